/*
 * MAC defaults (stable, in 00:03:FF, distinct per VM and adapter) and the
 * host-wide registry that refuses duplicates, across processes too.
 */
#include <criterion/criterion.h>
#include "net/mac.h"
#include "emu/log.h"
#include "support/tmpdir.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[TMPDIR_LEN];

static void setup(void)
{
    tmpdir_make(dir, "macs");
    g_setenv("TULIPVM_MAC_DIR", dir, TRUE);
}

static void teardown(void)
{
    cr_assert(tmpdir_remove(dir));
}

TestSuite(mac, .init = setup, .fini = teardown);

Test(mac, default_is_stable_and_in_the_virtual_pc_range)
{
    uint8_t a[6], b[6];
    net_mac_default("3d1219c7c4c5404aaa1f6d2a48adfda4", "vm1", 0, 0, a);
    net_mac_default("3d1219c7c4c5404aaa1f6d2a48adfda4", "vm1", 0, 0, b);
    cr_assert_arr_eq(a, b, 6, "same host, VM and adapter: same MAC");
    cr_assert_eq(a[0], 0x00);
    cr_assert_eq(a[1], 0x03);
    cr_assert_eq(a[2], 0xFF);
}

Test(mac, default_differs_by_host_vm_adapter_and_attempt)
{
    uint8_t base[6], m[6];
    net_mac_default("host-a", "vm1", 0, 0, base);
    net_mac_default("host-b", "vm1", 0, 0, m);
    cr_assert(memcmp(base, m, 6));
    net_mac_default("host-a", "vm2", 0, 0, m);
    cr_assert(memcmp(base, m, 6));
    net_mac_default("host-a", "vm1", 1, 0, m);
    cr_assert(memcmp(base, m, 6));
    net_mac_default("host-a", "vm1", 0, 1, m);
    cr_assert(memcmp(base, m, 6));
}

Test(mac, default_uses_this_machines_id)
{
    g_autofree char *id = NULL;
    uint8_t a[6], b[6];
    cr_assert(g_file_get_contents("/etc/machine-id", &id, NULL, NULL));
    g_strstrip(id);
    net_mac_default(NULL, "vm", 2, 0, a);
    net_mac_default(id, "vm", 2, 0, b);
    cr_assert_arr_eq(a, b, 6);
}

Test(mac, explicit_duplicate_is_refused_naming_the_holder)
{
    uint8_t mac[6] = {0x00, 0x03, 0xFF, 0x01, 0x02, 0x03};
    g_autoptr(GError) err = NULL;
    NetMacClaim *c1 = net_mac_claim(mac, "first-vm", &err);
    cr_assert_not_null(c1);
    NetMacClaim *c2 = net_mac_assign(true, mac, "second-vm", 0, &err);
    cr_assert_null(c2);
    cr_assert_not_null(err);
    cr_assert(strstr(err->message, "00:03:ff:01:02:03"), "%s", err->message);
    cr_assert(strstr(err->message, "already in use"), "%s", err->message);
    cr_assert(strstr(err->message, "first-vm"), "%s", err->message);
    net_mac_release(c1);
    g_clear_error(&err);
    c2 = net_mac_claim(mac, "second-vm", &err);
    cr_assert_not_null(c2, "free again once released");
    net_mac_release(c2);
}

Test(mac, another_process_holding_a_mac_blocks_it_until_it_dies)
{
    uint8_t mac[6] = {0x00, 0x03, 0xFF, 0x0A, 0x0B, 0x0C};
    int go[2], ready[2];
    char c;
    g_autoptr(GError) err = NULL;

    cr_assert_eq(pipe(go), 0);
    cr_assert_eq(pipe(ready), 0);
    pid_t pid = fork();
    if (pid == 0) {
        NetMacClaim *cl = net_mac_claim(mac, "child-vm", NULL);
        if (write(ready[1], cl ? "y" : "n", 1) != 1 ||
            read(go[0], &c, 1) != 1) {
            _exit(2);
        }
        _exit(0); /* dies holding it: the kernel releases the lock */
    }
    cr_assert_eq(read(ready[0], &c, 1), 1);
    cr_assert_eq(c, 'y');
    cr_assert_null(net_mac_claim(mac, "parent-vm", &err));
    cr_assert(strstr(err->message, "child-vm"), "%s", err->message);
    cr_assert_eq(write(go[1], "x", 1), 1);
    int st;
    waitpid(pid, &st, 0);
    g_clear_error(&err);
    NetMacClaim *cl = net_mac_claim(mac, "parent-vm", &err);
    cr_assert_not_null(cl, "a crashed holder leaves nothing behind");
    net_mac_release(cl);
}

Test(mac, taken_default_moves_to_the_next_free_one)
{
    uint8_t first[6], chosen[6], again[6];
    g_autoptr(GError) err = NULL;

    NetMacClaim *a = net_mac_assign(false, first, "vm", 0, &err);
    cr_assert_not_null(a);
    uint8_t expect[6];
    net_mac_default(NULL, "vm", 0, 0, expect);
    cr_assert_arr_eq(first, expect, 6, "attempt 0 when free");
    /* A copy of the same VM starts: it must not share the address. */
    NetMacClaim *b = net_mac_assign(false, chosen, "vm", 0, &err);
    cr_assert_not_null(b);
    cr_assert(memcmp(first, chosen, 6));
    net_mac_default(NULL, "vm", 0, 1, expect);
    cr_assert_arr_eq(chosen, expect, 6);
    net_mac_release(a);
    NetMacClaim *c = net_mac_assign(false, again, "vm", 0, &err);
    cr_assert_arr_eq(again, first, 6, "back to its stable MAC when free");
    net_mac_release(b);
    net_mac_release(c);
}

Test(mac, registry_in_a_directory_others_can_empty_is_refused)
{
    uint8_t mac[6] = {0x00, 0x03, 0xFF, 0x0D, 0x0E, 0x0F};
    g_autoptr(GError) err = NULL;
    g_autofree char *open_dir = g_strdup_printf("%s/wide-open", dir);
    cr_assert_eq(mkdir(open_dir, 0700), 0);
    cr_assert_eq(chmod(open_dir, 0777), 0); /* world-writable, not sticky */
    g_setenv("TULIPVM_MAC_DIR", open_dir, TRUE);
    cr_assert_null(net_mac_claim(mac, "vm", &err));
    cr_assert(strstr(err->message, "not a safe directory"), "%s", err->message);
}
