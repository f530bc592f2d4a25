/*
 * The loader on the real default-guest kernel (Debian's linux-image-686)
 * from the cache that scripts/build-guest.sh fills.  CI runs that script
 * during setup, so a missing cache is a failure, not a skip.
 */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <string.h>
#include "emu/loader.h"

#define RAM_SIZE (128u << 20)

static MemMap *mem;

static void setup(void)
{
    mem = mem_new(RAM_SIZE, NULL);
    cr_assert(mem_map_ram(mem, 0, 0, 0xA0000, NULL));
    cr_assert(mem_map_ram(mem, 0x100000, 0x100000, RAM_SIZE - 0x100000, NULL));
}

static void teardown(void)
{
    mem_free(mem);
}

static char *cache_file(const char *name)
{
    char *path = g_build_filename(GUEST_CACHE_DIR, name, NULL);
    cr_assert(g_file_test(path, G_FILE_TEST_EXISTS),
              "%s is missing: run scripts/build-guest.sh (as root, on "
              "Debian 12) to download the default guest",
              path);
    return path;
}

static uint32_t get32(uint64_t addr)
{
    uint32_t v;
    cr_assert(mem_dma_read_le32(mem, addr, &v));
    return v;
}

TestSuite(pc_loader_debian, .init = setup, .fini = teardown);

Test(pc_loader_debian, debian_kernel_loads_with_host_decompression)
{
    g_autofree char *kpath = cache_file("vmlinuz");
    g_autofree char *ipath = cache_file("initrd.img");
    g_autofree char *vpath = cache_file("VERSION");
    g_autofree char *version = NULL;
    cr_assert(g_file_get_contents(vpath, &version, NULL, NULL));
    g_strstrip(version);

    CpuEntryState e;
    GError *err = NULL;
    cr_assert(linux_load_files(mem, kpath, ipath,
                               "console=ttyS0 acpi=off cryptomgr.notests",
                               false, &e, &err),
              "%s", err ? err->message : "");
    cr_assert_eq(e.eip, 0x1000000, "startup_32 at LOAD_PHYSICAL_ADDR");
    cr_assert_eq(e.esi, LOADER_BOOT_PARAMS);
    cr_assert_eq(get32(LOADER_BOOT_PARAMS + 0x206) & 0xFFFF, 0x020F);

    /* The banner proves the payload was decompressed and placed. */
    g_autofree char *banner = g_strdup_printf("Linux version %s", version);
    const uint8_t *ram = mem_ram_base(mem);
    cr_assert_not_null(
        memmem(ram + 0x1000000, 0x1000000, banner, strlen(banner)),
        "'%s' not found in the loaded kernel", banner);

    /* The initrd is where boot_params says, intact. */
    g_autofree char *initrd = NULL;
    gsize ilen;
    cr_assert(g_file_get_contents(ipath, &initrd, &ilen, NULL));
    uint32_t rd = get32(LOADER_BOOT_PARAMS + 0x218);
    cr_assert_eq(get32(LOADER_BOOT_PARAMS + 0x21C), ilen);
    cr_assert(rd >= 0x200C000, "above the kernel's bss/brk");
    cr_assert(memcmp(ram + rd, initrd, ilen) == 0);
}

Test(pc_loader_debian, debian_kernel_loads_for_guest_decompression)
{
    g_autofree char *kpath = cache_file("vmlinuz");
    g_autofree char *kernel = NULL;
    gsize klen;
    cr_assert(g_file_get_contents(kpath, &kernel, &klen, NULL));
    size_t setup_len = ((size_t)(uint8_t)kernel[0x1F1] + 1) * 512;

    CpuEntryState e;
    GError *err = NULL;
    cr_assert(linux_load_files(mem, kpath, NULL, "nokaslr", true, &e, &err),
              "%s", err ? err->message : "");
    cr_assert_eq(e.eip, 0x100000);
    cr_assert(memcmp(mem_ram_base(mem) + 0x100000, kernel + setup_len,
                     klen - setup_len) == 0);
}
