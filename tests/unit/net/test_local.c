/*
 * Local only segments: members in one process and in separate processes
 * share a segment through nothing but its directory; DHCP on the segment;
 * segments are isolated from each other; dead members are cleaned up.
 */
#include <criterion/criterion.h>
#include "net/local.h"
#include "net/switch.h"
#include "guest_stack.h"
#include "net_test_util.h"
#include "support/tmpdir.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const uint8_t MAC_A[6] = {0x00, 0x03, 0xFF, 0x00, 0x01, 0x0A};
static const uint8_t MAC_B[6] = {0x00, 0x03, 0xFF, 0x00, 0x01, 0x0B};
static const uint8_t MAC_C[6] = {0x00, 0x03, 0xFF, 0x00, 0x01, 0x0C};

static char dir[TMPDIR_LEN];

/* One VM: a NIC stand-in on a switch whose uplink is a segment member. */
typedef struct Member {
    Clock *clk;
    GMainContext *ctx;
    NetSwitch *sw;
    NetSwitchPort *vm, *up;
    NetLocal *local;
    TestEnd nic;
} Member;

static void member_init(Member *m, const char *seg, const uint8_t *mac,
                        bool dhcp)
{
    g_autoptr(GError) err = NULL;
    m->clk = clock_new(1000000000);
    m->ctx = g_main_context_new();
    m->sw = net_switch_new(m->clk, "sw");
    m->vm = net_switch_add_vm_port(m->sw, "vm", NET_PROMISC_DENY, false);
    m->up = net_switch_add_uplink(m->sw, "local");
    test_end_init(&m->nic, m->clk, "nic", mac);
    test_end_filter(&m->nic, false, false, NULL, 0);
    net_port_connect(&m->nic.port, &m->vm->port);
    m->local = net_local_new(m->clk, m->ctx, seg, dhcp, &err);
    cr_assert_not_null(m->local, "%s", err ? err->message : "");
    net_port_connect(net_local_port(m->local), &m->up->port);
}

static void member_cleanup(Member *m)
{
    net_local_free(m->local);
    net_switch_free(m->sw);
    test_end_cleanup(&m->nic);
    g_main_context_unref(m->ctx);
    clock_free(m->clk);
}

static void member_run(Member *m)
{
    while (g_main_context_iteration(m->ctx, FALSE)) {
    }
    clock_step_ns(m->clk, 1000000);
}

static bool run_until_frames(Member **ms, unsigned n, Member *m, unsigned want)
{
    for (gint64 dl = test_deadline(); test_before(dl);) {
        for (unsigned k = 0; k < n; k++) {
            member_run(ms[k]);
        }
        if (m->nic.n >= want) {
            return true;
        }
        g_usleep(500);
    }
    return false;
}

static void setup(void)
{
    tmpdir_make(dir, "local");
    g_setenv("TULIPVM_LOCAL_DIR", dir, TRUE);
}

static void teardown(void)
{
    cr_assert(tmpdir_remove(dir));
}

TestSuite(local, .init = setup, .fini = teardown, .timeout = 60);

Test(local, members_share_broadcast_and_unicast_but_not_others_unicast)
{
    Member a, b, c;
    Member *all[] = {&a, &b, &c};
    uint8_t f[80];

    member_init(&a, "lab", MAC_A, false);
    member_init(&b, "lab", MAC_B, false);
    member_init(&c, "lab", MAC_C, false);

    test_frame(f, sizeof(f), TEST_BCAST, MAC_A, 1);
    net_port_send(&a.nic.port, f, sizeof(f));
    cr_assert(run_until_frames(all, 3, &b, 1));
    cr_assert(run_until_frames(all, 3, &c, 1));
    cr_assert_arr_eq(test_end_frame(&b.nic, 0, NULL), f, sizeof(f));

    test_frame(f, sizeof(f), MAC_A, MAC_B, 2); /* B answers A */
    net_port_send(&b.nic.port, f, sizeof(f));
    cr_assert(run_until_frames(all, 3, &a, 1));
    cr_assert_arr_eq(test_end_frame(&a.nic, 0, NULL), f, sizeof(f));
    test_frame(f, sizeof(f), MAC_B, MAC_A, 3); /* A now knows B */
    net_port_send(&a.nic.port, f, sizeof(f));
    cr_assert(run_until_frames(all, 3, &b, 2));
    for (int i = 0; i < 50; i++) {
        member_run(&c);
    }
    cr_assert_eq(c.nic.n, 1, "C saw only the broadcast");
    cr_assert_eq(net_local_stats(c.local)->rx_frames, 1,
                 "learnt unicast was not even sent to C");

    member_cleanup(&a);
    member_cleanup(&b);
    member_cleanup(&c);
}

Test(local, different_segments_are_isolated)
{
    Member a, b;
    Member *all[] = {&a, &b};
    uint8_t f[60];

    member_init(&a, "red", MAC_A, false);
    member_init(&b, "blue", MAC_B, false);
    test_frame(f, sizeof(f), TEST_BCAST, MAC_A, 1);
    net_port_send(&a.nic.port, f, sizeof(f));
    for (int i = 0; i < 100; i++) {
        member_run(all[i % 2]);
    }
    cr_assert_eq(b.nic.n, 0);
    cr_assert_eq(net_local_stats(b.local)->rx_frames, 0);
    member_cleanup(&a);
    member_cleanup(&b);
}

Test(local, socket_left_by_a_crashed_member_is_removed)
{
    Member a;
    uint8_t f[60];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    member_init(&a, "lab", MAC_A, false);
    /* A member that died: its socket file stays, nobody is bound. */
    g_autofree char *ghost = g_strdup_printf("%s/lab/ep-999999-dead", dir);
    g_strlcpy(sa.sun_path, ghost, sizeof(sa.sun_path));
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
    cr_assert_eq(access(ghost, F_OK), 0);

    test_frame(f, sizeof(f), TEST_BCAST, MAC_A, 1);
    net_port_send(&a.nic.port, f, sizeof(f));
    cr_assert_neq(access(ghost, F_OK), 0, "stale socket removed");
    cr_assert_eq(net_local_stats(a.local)->stale_removed, 1);
    member_cleanup(&a);
}

/* Child process: one member that answers every frame for it. */
static void child_echo(const char *seg, int ready_fd)
{
    Member m;
    uint8_t f[80];

    member_init(&m, seg, MAC_B, false);
    if (write(ready_fd, "r", 1) != 1) {
        _exit(3);
    }
    for (int i = 0; i < 20000; i++) {
        member_run(&m);
        if (m.nic.n) {
            size_t len;
            const uint8_t *got = test_end_frame(&m.nic, 0, &len);
            memcpy(f, got, MIN(len, sizeof(f)));
            memcpy(f, got + 6, 6); /* back to the sender */
            memcpy(f + 6, MAC_B, 6);
            f[20] ^= 0xFF;
            net_port_send(&m.nic.port, f, sizeof(f));
            test_end_clear(&m.nic);
        }
        g_usleep(200);
    }
    _exit(0);
}

Test(local, members_in_separate_processes_exchange_frames)
{
    Member a;
    Member *all[] = {&a};
    int p[2];
    char c;
    uint8_t f[80];

    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        child_echo("lab", p[1]);
    }
    cr_assert_eq(read(p[0], &c, 1), 1);
    member_init(&a, "lab", MAC_A, false);
    test_frame(f, sizeof(f), TEST_BCAST, MAC_A, 5);
    net_port_send(&a.nic.port, f, sizeof(f));
    cr_assert(run_until_frames(all, 1, &a, 1), "the other process answers");
    size_t len;
    const uint8_t *got = test_end_frame(&a.nic, 0, &len);
    cr_assert_eq(len, sizeof(f));
    cr_assert_arr_eq(got, MAC_A, 6);
    cr_assert_arr_eq(got + 6, MAC_B, 6);
    cr_assert_eq(got[20], (uint8_t)(f[20] ^ 0xFF));
    cr_assert_arr_eq(got + 21, f + 21, sizeof(f) - 21);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    member_cleanup(&a);
}

/* Child: a dhcp=on member without VMs of its own that serves the segment. */
static void child_dhcp_server(const char *seg, int ready_fd)
{
    g_autoptr(GError) err = NULL;
    Clock *clk = clock_new(1000000000);
    GMainContext *ctx = g_main_context_new();
    NetLocal *l = net_local_new(clk, ctx, seg, true, &err);
    NetSwitch *sw = net_switch_new(clk, "srv");
    NetSwitchPort *up = net_switch_add_uplink(sw, "local");

    if (!l) {
        _exit(2);
    }
    net_port_connect(net_local_port(l), &up->port);
    if (write(ready_fd, "r", 1) != 1) {
        _exit(3);
    }
    for (int i = 0; i < 40000; i++) {
        while (g_main_context_iteration(ctx, FALSE)) {
        }
        clock_step_ns(clk, 1000000);
        g_usleep(200);
    }
    _exit(0);
}

static bool guest_bound_run(Guest *g, Clock *clk, GMainContext *ctx)
{
    for (gint64 dl = test_deadline(); g->dhcp != 3 && test_before(dl);) {
        while (g_main_context_iteration(ctx, FALSE)) {
        }
        clock_step_ns(clk, 1000000);
        g_usleep(250);
    }
    return g->dhcp == 3;
}

Test(local, dhcp_on_the_segment_gives_each_guest_its_own_lease)
{
    int p[2];
    char c;
    g_autoptr(GError) err = NULL;

    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        child_dhcp_server("dom", p[1]);
    }
    cr_assert_eq(read(p[0], &c, 1), 1);

    /* Two guests in this process, each on its own member (dhcp=off). */
    Clock *clk = clock_new(1000000000);
    GMainContext *ctx = g_main_context_new();
    Guest g1, g2;
    NetSwitch *sw1 = net_switch_new(clk, "s1"),
              *sw2 = net_switch_new(clk, "s2");
    NetSwitchPort *v1 =
        net_switch_add_vm_port(sw1, "vm", NET_PROMISC_DENY, false);
    NetSwitchPort *v2 =
        net_switch_add_vm_port(sw2, "vm", NET_PROMISC_DENY, false);
    NetSwitchPort *u1 = net_switch_add_uplink(sw1, "l");
    NetSwitchPort *u2 = net_switch_add_uplink(sw2, "l");
    NetLocal *l1 = net_local_new(clk, ctx, "dom", false, &err);
    NetLocal *l2 = net_local_new(clk, ctx, "dom", false, &err);
    cr_assert(l1 && l2);
    guest_init(&g1, clk, MAC_A);
    guest_init(&g2, clk, MAC_B);
    net_port_connect(&g1.port, &v1->port);
    net_port_connect(&g2.port, &v2->port);
    net_port_connect(net_local_port(l1), &u1->port);
    net_port_connect(net_local_port(l2), &u2->port);

    guest_dhcp_discover(&g1);
    cr_assert(guest_bound_run(&g1, clk, ctx), "first guest gets a lease");
    guest_dhcp_discover(&g2);
    cr_assert(guest_bound_run(&g2, clk, ctx), "second guest gets a lease");
    cr_assert_arr_eq(g1.ip, ((uint8_t[]){192, 168, 77, 100}), 4);
    cr_assert_arr_eq(g2.ip, ((uint8_t[]){192, 168, 77, 101}), 4);
    cr_assert_arr_eq(g1.server_id, ((uint8_t[]){192, 168, 77, 1}), 4);

    /* The server dies; a new dhcp=on member takes over with the leases. */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    NetLocal *l3 = net_local_new(clk, ctx, "dom", true, &err);
    cr_assert_not_null(l3);
    g1.dhcp = 0;
    memset(g1.ip, 0, 4);
    guest_dhcp_discover(&g1);
    cr_assert(guest_bound_run(&g1, clk, ctx));
    cr_assert_arr_eq(g1.ip, ((uint8_t[]){192, 168, 77, 100}), 4,
                     "same address after the takeover");
    cr_assert_eq(net_local_stats(l3)->dhcp_replies, 2);

    net_local_free(l1);
    net_local_free(l2);
    net_local_free(l3);
    net_switch_free(sw1);
    net_switch_free(sw2);
    guest_cleanup(&g1);
    guest_cleanup(&g2);
    g_main_context_unref(ctx);
    clock_free(clk);
}

Test(local, busy_nic_stops_the_reader_and_loses_nothing)
{
    Member a, b;
    Member *all[] = {&a, &b};
    uint8_t f[100];
    const unsigned burst = 300; /* more than any queue of ours holds */

    member_init(&a, "lab", MAC_A, false);
    member_init(&b, "lab", MAC_B, false);
    b.nic.refuse = true; /* its RX ring is full */
    for (unsigned i = 0; i < burst; i++) {
        test_frame(f, sizeof(f), MAC_B, MAC_A, (uint8_t)i);
        f[14] = (uint8_t)(i >> 8);
        f[15] = (uint8_t)i;
        net_port_send(&a.nic.port, f, sizeof(f));
    }
    for (int i = 0; i < 200; i++) {
        member_run(all[i % 2]);
    }
    cr_assert_eq(b.nic.n, 0);
    cr_assert_lt(net_local_stats(b.local)->rx_frames, burst,
                 "the reader stopped: the rest waits in the kernel");
    cr_assert_eq(b.nic.port.stats.rx_dropped_full, 0);

    b.nic.refuse = false;
    net_port_flush(&b.nic.port);
    run_until_frames(all, 2, &b, burst);
    cr_assert_eq(b.nic.n, burst,
                 "every frame arrives: %u, read %lu, queued nic %u uplink %u "
                 "(waiting %d), held %lu",
                 b.nic.n, (unsigned long)net_local_stats(b.local)->rx_frames,
                 net_port_queued(&b.nic.port), net_port_queued(&b.up->port),
                 b.up->port.waiting, (unsigned long)b.up->stats.held);
    for (unsigned i = 0; i < burst; i++) {
        const uint8_t *got = test_end_frame(&b.nic, i, NULL);
        cr_assert_eq(got[14] << 8 | got[15], i, "in order");
    }
    cr_assert_eq(net_local_stats(a.local)->tx_dropped, 0);
    cr_assert_gt(net_local_stats(a.local)->tx_queued, 0,
                 "the sender held what the kernel could not");
    member_cleanup(&a);
    member_cleanup(&b);
}
