/*
 * A minimal machine for CPU tests (see cpu_vm.h).
 */
#include <string.h>
#include <criterion/criterion.h>
#include "cpu_vm.h"

static uint32_t report_read(void *opaque, uint32_t off, unsigned size)
{
    (void)opaque;
    (void)off;
    (void)size;
    return 0;
}

static void report_write(void *opaque, uint32_t off, uint32_t val,
                         unsigned size)
{
    TestVm *vm = opaque;
    (void)off;
    (void)size;
    if (vm->nreports < VM_MAX_REPORTS) {
        vm->reports[vm->nreports++] = val;
    }
}

static void post_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    TestVm *vm = opaque;
    (void)off;
    (void)size;
    if (vm->npost < sizeof(vm->post)) {
        vm->post[vm->npost++] = (uint8_t)val;
    }
}

static bool intr_pending(void *opaque)
{
    TestVm *vm = opaque;
    return vm->intr_line;
}

static uint8_t intr_ack(void *opaque)
{
    TestVm *vm = opaque;
    vm->acks++;
    vm->intr_line = false;
    return vm->intr_vec;
}

static TestVm *vm_create(uint64_t ram_size, bool pc);

TestVm *vm_new(uint64_t ram_size)
{
    return vm_create(ram_size, false);
}

TestVm *vm_new_pc(uint64_t ram_size)
{
    return vm_create(ram_size, true);
}

static TestVm *vm_create(uint64_t ram_size, bool pc)
{
    static const IoRegionOps report_ops = {.read = report_read,
                                           .write = report_write,
                                           .min_size = 1,
                                           .max_size = 4};
    static const IoRegionOps post_ops = {
        .write = post_write, .min_size = 1, .max_size = 1};
    TestVm *vm = g_new0(TestVm, 1);
    vm->mem = mem_new(ram_size, NULL);
    cr_assert_not_null(vm->mem);
    if (pc) {
        cr_assert(mem_map_ram(vm->mem, 0, 0, 0xA0000, NULL));
        cr_assert(mem_map_ram(vm->mem, 0x100000, 0x100000, ram_size - 0x100000,
                              NULL));
    } else {
        cr_assert(mem_map_ram(vm->mem, 0, 0, ram_size, NULL));
    }
    vm->io = bus_new("io", 0xFFFF);
    cr_assert_not_null(
        bus_map(vm->io, "report", 0xE9, 4, &report_ops, vm, NULL));
    cr_assert_not_null(bus_map(vm->io, "post", 0x80, 1, &post_ops, vm, NULL));
    vm->clock = clock_new(1000000000);
    IntrSource intr = {intr_pending, intr_ack, vm};
    vm->cpu = cpu_new(vm->mem, vm->io, vm->clock, &intr, NULL);
    cr_assert_not_null(vm->cpu);
    return vm;
}

void vm_free(TestVm *vm)
{
    cpu_free(vm->cpu);
    clock_free(vm->clock);
    bus_free(vm->io);
    mem_free(vm->mem);
    g_free(vm);
}

void vm_load(TestVm *vm, uint32_t addr, const void *data, size_t len)
{
    cr_assert(mem_dma_write(vm->mem, addr, data, len));
}

uint8_t *vm_read_guest(const char *name, size_t *len)
{
    char *path = g_strdup_printf("%s/%s.bin", EMU_GUEST_DIR, name);
    gchar *data = NULL;
    gsize n = 0;
    GError *err = NULL;
    if (!g_file_get_contents(path, &data, &n, &err)) {
        cr_assert_fail("cannot read %s: %s", path, err->message);
    }
    g_free(path);
    *len = n;
    return (uint8_t *)data;
}

size_t vm_load_guest(TestVm *vm, const char *name, uint32_t addr)
{
    size_t n;
    uint8_t *data = vm_read_guest(name, &n);
    vm_load(vm, addr, data, n);
    g_free(data);
    return n;
}

CpuStop vm_run(TestVm *vm, uint64_t max_cycles)
{
    uint64_t end = clock_now(vm->clock) + max_cycles;
    for (;;) {
        CpuStop st = cpu_run(vm->cpu, end);
        if (st == CPU_STOP_LIMIT && clock_now(vm->clock) < end) {
            clock_run_due(vm->clock);
            continue;
        }
        return st;
    }
}

uint32_t vm_rd32(TestVm *vm, uint32_t addr)
{
    uint32_t v;
    cr_assert(mem_dma_read_le32(vm->mem, addr, &v));
    return v;
}

void vm_wr32(TestVm *vm, uint32_t addr, uint32_t v)
{
    cr_assert(mem_dma_write_le32(vm->mem, addr, v));
}
