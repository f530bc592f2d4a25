/*
 * tulipvm-netd, run as a real daemon process: VM processes exchange frames
 * through its local segments and reach a bridged veth through it; it
 * checks credentials, refuses duplicate MACs, keeps only CAP_NET_RAW, and
 * survives garbage and crashing clients.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include "net/attach.h"
#include "net/netd.h"
#include "net/switch.h"
#include "net_test_util.h"
#include "netns_util.h"
#include "support/tmpdir.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const uint8_t MAC_A[6] = {0x00, 0x03, 0xFF, 0x00, 0x05, 0x0A};
static const uint8_t MAC_B[6] = {0x00, 0x03, 0xFF, 0x00, 0x05, 0x0B};
static const uint8_t MAC_X[6] = {0x00, 0x03, 0xFF, 0x00, 0x05, 0x99};

static char tmp[TMPDIR_LEN];
static char sock_path[96];
static pid_t netd_pid;
static int ns_self;

static bool netd_reachable(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    bool ok;
    g_strlcpy(sa.sun_path, sock_path, sizeof(sa.sun_path));
    ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

static void setup(void)
{
    ns_self = netns_isolate();
    cr_assert_geq(ns_self, 0, "needs root: network namespaces");
    tmpdir_make(tmp, "netd");
    /* Other users must reach the socket to be refused by netd itself. */
    cr_assert_eq(chmod(tmp, 0711), 0);
    snprintf(sock_path, sizeof(sock_path), "%s/netd.sock", tmp);
    netd_pid = fork();
    if (netd_pid == 0) {
        g_autofree char *log = g_strdup_printf("%s/netd.log", tmp);
        if (!freopen(log, "w", stderr)) {
            _exit(126);
        }
        execl(NETD_PATH, "tulipvm-netd", "--socket", sock_path, "--group",
              "root", "--socket-mode", "0666", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 400 && !netd_reachable(); i++) {
        g_usleep(5000);
    }
    cr_assert(netd_reachable(), "tulipvm-netd started");
}

static void teardown(void)
{
    if (netd_pid > 0) {
        kill(netd_pid, SIGKILL);
        waitpid(netd_pid, NULL, 0);
    }
    cr_assert(tmpdir_remove(tmp));
}

TestSuite(netd, .init = setup, .fini = teardown, .timeout = 60);

static bool netd_alive(void)
{
    int st;
    return waitpid(netd_pid, &st, WNOHANG) == 0;
}

/* A VM process's view: NIC stand-in, switch, netd backend. */
typedef struct Vm {
    Clock *clk;
    GMainContext *ctx;
    NetSwitch *sw;
    NetNetd *netd;
    TestEnd nic;
} Vm;

static bool vm_open(Vm *v, NetdKind kind, const char *name, const uint8_t *mac,
                    GError **errp)
{
    v->clk = clock_new(1000000000);
    v->ctx = g_main_context_new();
    v->sw = net_switch_new(v->clk, "vm");
    NetSwitchPort *vp =
        net_switch_add_vm_port(v->sw, "vm", NET_PROMISC_DENY, true);
    NetSwitchPort *up = net_switch_add_uplink(v->sw, "netd");
    test_end_init(&v->nic, v->clk, "nic", mac);
    test_end_filter(&v->nic, false, false, NULL, 0);
    net_port_connect(&v->nic.port, &vp->port);
    v->netd = net_netd_new(v->clk, v->ctx, sock_path, kind, name, mac, errp);
    if (v->netd) {
        net_port_connect(net_netd_port(v->netd), &up->port);
    }
    return v->netd != NULL;
}

static void vm_close(Vm *v)
{
    net_netd_free(v->netd);
    net_switch_free(v->sw);
    test_end_cleanup(&v->nic);
    g_main_context_unref(v->ctx);
    clock_free(v->clk);
}

static void vm_run(Vm *v)
{
    while (g_main_context_iteration(v->ctx, FALSE)) {
    }
    clock_step_ns(v->clk, 1000000);
}

static bool vm_wait(Vm *v, unsigned frames)
{
    for (gint64 dl = test_deadline(); v->nic.n < frames && test_before(dl);) {
        vm_run(v);
        g_usleep(250);
    }
    return v->nic.n >= frames;
}

static void child_echo(int ready)
{
    Vm v;
    uint8_t f[80];
    if (!vm_open(&v, NETD_KIND_LOCAL, "lab", MAC_B, NULL) ||
        write(ready, "r", 1) != 1) {
        _exit(2);
    }
    for (int i = 0; i < 40000; i++) {
        vm_run(&v);
        if (v.nic.n) {
            size_t len;
            const uint8_t *got = test_end_frame(&v.nic, 0, &len);
            memcpy(f, got, sizeof(f));
            memcpy(f, got + 6, 6);
            memcpy(f + 6, MAC_B, 6);
            f[30] = 0xEE;
            net_port_send(&v.nic.port, f, sizeof(f));
            test_end_clear(&v.nic);
        }
        g_usleep(200);
    }
    _exit(0);
}

Test(netd, two_vm_processes_exchange_frames_on_a_local_segment)
{
    int p[2];
    char c;
    Vm a;
    uint8_t f[80];
    g_autoptr(GError) err = NULL;

    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        child_echo(p[1]);
    }
    cr_assert_eq(read(p[0], &c, 1), 1, "child attached");
    cr_assert(vm_open(&a, NETD_KIND_LOCAL, "lab", MAC_A, &err), "%s",
              err ? err->message : "");
    test_frame(f, sizeof(f), TEST_BCAST, MAC_A, 1);
    net_port_send(&a.nic.port, f, sizeof(f));
    cr_assert(vm_wait(&a, 1), "the other process answered through netd");
    size_t len;
    const uint8_t *got = test_end_frame(&a.nic, 0, &len);
    cr_assert_eq(len, sizeof(f));
    cr_assert_arr_eq(got, MAC_A, 6);
    cr_assert_arr_eq(got + 6, MAC_B, 6);
    cr_assert_eq(got[30], 0xEE);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    vm_close(&a);
}

Test(netd, client_outside_the_group_is_refused_and_netd_lives_on)
{
    pid_t pid = fork();
    if (pid == 0) {
        g_autoptr(GError) err = NULL;
        Vm v;
        if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0) {
            _exit(3);
        }
        if (vm_open(&v, NETD_KIND_LOCAL, "lab", MAC_A, &err)) {
            _exit(1); /* must not be accepted */
        }
        if (!strstr(err->message, "not in the group")) {
            fprintf(stderr, "unexpected: %s\n", err->message);
            _exit(2);
        }
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st));
    cr_assert_eq(WEXITSTATUS(st), 0, "refused with a clear reason (%d)",
                 WEXITSTATUS(st));
    cr_assert(netd_alive());
    Vm v;
    g_autoptr(GError) err = NULL;
    cr_assert(vm_open(&v, NETD_KIND_LOCAL, "lab", MAC_A, &err), "%s",
              err ? err->message : "");
    vm_close(&v);
}

static int raw_client(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    g_strlcpy(sa.sun_path, sock_path, sizeof(sa.sun_path));
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

static int32_t read_reply(int fd)
{
    NetdReply r;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    cr_assert_eq(poll(&pfd, 1, 2000), 1);
    cr_assert_eq(recv(fd, &r, sizeof(r), 0), (ssize_t)sizeof(r));
    cr_assert_eq(r.magic, NETD_MAGIC);
    return r.status;
}

static bool closed_by_peer(int fd)
{
    char b[8];
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    return poll(&pfd, 1, 2000) == 1 && recv(fd, b, sizeof(b), 0) == 0;
}

Test(netd, garbage_and_crashing_clients_do_not_hurt_it)
{
    /* Garbage instead of an attach request. */
    int fd = raw_client();
    cr_assert_eq(send(fd, "garbage", 7, 0), 7);
    cr_assert_eq(read_reply(fd), EPROTO);
    cr_assert(closed_by_peer(fd));
    close(fd);

    /* Right size, wrong content. */
    NetdAttachRequest bad = {.magic = 0xDEADBEEF, .version = 1, .kind = 1};
    fd = raw_client();
    cr_assert_eq(send(fd, &bad, sizeof(bad), 0), (ssize_t)sizeof(bad));
    cr_assert_eq(read_reply(fd), EPROTO);
    close(fd);

    /* Attach, then send runts and oversize messages: ignored. */
    NetdAttachRequest ok = {
        .magic = NETD_MAGIC, .version = NETD_VERSION, .kind = NETD_KIND_LOCAL};
    memcpy(ok.mac, MAC_A, 6);
    strcpy(ok.name, "lab");
    fd = raw_client();
    cr_assert_eq(send(fd, &ok, sizeof(ok), 0), (ssize_t)sizeof(ok));
    cr_assert_eq(read_reply(fd), 0);
    uint8_t big[4000] = {0};
    cr_assert_eq(send(fd, big, 5, 0), 5);
    cr_assert_eq(send(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));

    /* A client that dies while attached holding MAC_B. */
    pid_t pid = fork();
    if (pid == 0) {
        int cfd = raw_client();
        NetdAttachRequest r = ok;
        memcpy(r.mac, MAC_B, 6);
        if (send(cfd, &r, sizeof(r), 0) != (ssize_t)sizeof(r) ||
            read_reply(cfd) != 0) {
            _exit(1);
        }
        abort(); /* crash without closing anything */
    }
    int st;
    waitpid(pid, &st, 0);
    cr_assert(WIFSIGNALED(st));
    cr_assert(netd_alive(), "netd survives all of it");

    /* MAC_B is free again and the segment still carries frames. */
    Vm b;
    g_autoptr(GError) err = NULL;
    cr_assert(vm_open(&b, NETD_KIND_LOCAL, "lab", MAC_B, &err), "%s",
              err ? err->message : "");
    uint8_t f[64];
    test_frame(f, sizeof(f), MAC_B, MAC_A, 3);
    cr_assert_eq(send(fd, f, sizeof(f), 0), (ssize_t)sizeof(f));
    cr_assert(vm_wait(&b, 1), "the garbage sender is still attached");
    vm_close(&b);
    close(fd);
}

Test(netd, duplicate_mac_is_refused_host_wide)
{
    Vm a, b;
    g_autoptr(GError) err = NULL;
    cr_assert(vm_open(&a, NETD_KIND_LOCAL, "one", MAC_A, &err));
    cr_assert_not(vm_open(&b, NETD_KIND_LOCAL, "two", MAC_A, &err));
    cr_assert(strstr(err->message, "00:03:ff:00:05:0a is already in use"), "%s",
              err->message);
    net_switch_free(b.sw);
    test_end_cleanup(&b.nic);
    g_main_context_unref(b.ctx);
    clock_free(b.clk);
    vm_close(&a);
}

Test(netd, keeps_only_cap_net_raw)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status", netd_pid);
    g_autofree char *status = NULL;
    cr_assert(g_file_get_contents(path, &status, NULL, NULL));
    cr_assert(strstr(status, "CapEff:\t0000000000002000"), "%s", status);
    cr_assert(strstr(status, "CapPrm:\t0000000000002000"), "%s", status);
    cr_assert(strstr(status, "CapBnd:\t0000000000002000"), "%s", status);
    cr_assert(strstr(status, "NoNewPrivs:\t1"), "%s", status);
}

/* A veth pair tvm0 (here) / tvm1 (peer namespace); the peer's raw view. */
static int veth_with_peer(void)
{
    int ns_peer = netns_peer_veth();
    cr_assert_geq(ns_peer, 0);
    cr_assert(netns_sh("ip link set tvm0 up"));
    cr_assert(netns_sh_in(ns_peer, ns_self, "ip link set tvm1 up"));
    cr_assert(netns_wait_link_up("tvm0"));
    struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                              .sll_protocol = htons(ETH_P_ALL)};
    cr_assert(netns_enter(ns_peer));
    int raw = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
    sll.sll_ifindex = (int)if_nametoindex("tvm1");
    cr_assert(netns_enter(ns_self));
    cr_assert_eq(bind(raw, (struct sockaddr *)&sll, sizeof(sll)), 0);
    return raw;
}

Test(netd, vm_process_reaches_a_bridged_wire_through_netd)
{
    int raw = veth_with_peer();

    Vm v;
    g_autoptr(GError) err = NULL;
    cr_assert(vm_open(&v, NETD_KIND_BRIDGE, "tvm0", MAC_A, &err), "%s",
              err ? err->message : "");
    uint8_t f[64], buf[2048];
    test_frame(f, sizeof(f), TEST_BCAST, MAC_A, 1);
    net_port_send(&v.nic.port, f, sizeof(f));
    /* The VM process allows itself to spoof; netd does not. */
    test_frame(f, sizeof(f), TEST_BCAST, MAC_X, 2);
    net_port_send(&v.nic.port, f, sizeof(f));
    int from_a = 0, from_x = 0;
    for (int i = 0; i < 400; i++) {
        vm_run(&v);
        ssize_t n = recv(raw, buf, sizeof(buf), 0);
        if (n >= 14 && buf[12] == 0x88 && buf[13] == 0xB5) {
            from_a += !memcmp(buf + 6, MAC_A, 6);
            from_x += !memcmp(buf + 6, MAC_X, 6);
        }
        g_usleep(500);
    }
    cr_assert_eq(from_a, 1, "the VM's frame is on the wire");
    cr_assert_eq(from_x, 0, "netd dropped the spoofed one");

    test_frame(f, sizeof(f), MAC_A, MAC_X, 3);
    cr_assert_eq(send(raw, f, sizeof(f), 0), (ssize_t)sizeof(f));
    cr_assert(vm_wait(&v, 1), "a frame for the VM comes back through netd");
    vm_close(&v);
    close(raw);
}

/* Child: a VM process without CAP_NET_RAW asks for bridge,ifname=tvm0. */
static void child_unprivileged_bridge(void)
{
    struct __user_cap_header_struct hdr = {.version =
                                               _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct none[2] = {{0}};
    NetNicConfig cfg;
    g_autoptr(GError) err = NULL;

    if (syscall(SYS_capset, &hdr, none) < 0) {
        _exit(3);
    }
    g_setenv("TULIPVM_NETD_SOCKET", sock_path, TRUE);
    g_autofree char *macs = g_strdup_printf("%s/macs", tmp);
    g_setenv("TULIPVM_MAC_DIR", macs, TRUE);
    Clock *clk = clock_new(1000000000);
    GMainContext *ctx = g_main_context_new();
    NetAttachEnv env = {.clock = clk, .ctx = ctx, .vm_name = "unpriv"};
    if (!net_nic_config_parse("bridge,ifname=tvm0,mac=00:03:ff:00:05:0c", &cfg,
                              &err)) {
        _exit(4);
    }
    NetAttachment *att = net_attachment_new(&env, &cfg, 0, &err);
    if (!att) {
        fprintf(stderr, "attach: %s\n", err->message);
        _exit(5);
    }
    g_autofree char *desc = net_attachment_describe(att);
    if (!strstr(desc, "via=tulipvm-netd")) {
        _exit(6); /* it must not have bridged in-process */
    }
    TestEnd nic;
    uint8_t f[64];
    test_end_init(&nic, clk, "nic", net_attachment_mac(att));
    net_attachment_plug(att, &nic.port);
    test_frame(f, sizeof(f), TEST_BCAST, net_attachment_mac(att), 7);
    net_port_send(&nic.port, f, sizeof(f));
    for (int i = 0; i < 400; i++) {
        while (g_main_context_iteration(ctx, FALSE)) {
        }
        clock_step_ns(clk, 1000000);
        g_usleep(500);
    }
    _exit(0);
}

Test(netd, vm_process_without_privileges_bridges_through_netd)
{
    static const uint8_t MAC_C[6] = {0x00, 0x03, 0xFF, 0x00, 0x05, 0x0C};
    int raw = veth_with_peer();
    pid_t pid = fork();
    if (pid == 0) {
        child_unprivileged_bridge();
    }
    int seen = 0;
    uint8_t buf[2048];
    for (gint64 dl = test_deadline(); !seen && test_before(dl);) {
        ssize_t n = recv(raw, buf, sizeof(buf), 0);
        if (n >= 14 && !memcmp(buf + 6, MAC_C, 6) && buf[12] == 0x88) {
            seen++;
        }
        g_usleep(1000);
    }
    int st;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d",
              WEXITSTATUS(st));
    cr_assert_eq(seen, 1, "its frame reached the wire through netd");
    close(raw);
}

Test(netd, sigterm_ends_it_cleanly_and_removes_its_socket)
{
    Vm v;
    g_autoptr(GError) err = NULL;
    cr_assert(vm_open(&v, NETD_KIND_LOCAL, "lab", MAC_A, &err));
    cr_assert_eq(kill(netd_pid, SIGTERM), 0);
    int st;
    cr_assert_eq(waitpid(netd_pid, &st, 0), netd_pid);
    netd_pid = -1;
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    cr_assert_neq(access(sock_path, F_OK), 0, "socket removed");
    vm_close(&v);
}
