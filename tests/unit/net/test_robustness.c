/*
 * Guest- and wire-controlled input never crashes the network layer:
 * deterministic random and mutated frames (seeded, so failures replay)
 * through the switch, the NAT backend's host-protection parser and
 * libslirp, the segment DHCP server, the offload splitter and checksum
 * fixer, and random -nic strings through the option parser.  Run under
 * ASan/UBSan in the sanitizer build.
 */
#include <criterion/criterion.h>
#include "net/dhcpd.h"
#include "net/inet.h"
#include "net/nic_opts.h"
#include "net/slirp.h"
#include "net/switch.h"
#include "net_test_util.h"

#include <string.h>

#define ROUNDS 20000

static const uint8_t MAC_VM[6] = {0x00, 0x03, 0xFF, 0x00, 0x07, 0x01};

/* A valid frame of some kind, then a few random byte flips. */
static size_t mutated_frame(GRand *r, uint8_t *f, size_t cap)
{
    size_t len = (size_t)g_rand_int_range(r, 0, (gint32)MIN(cap, 1600));
    for (size_t i = 0; i < len; i++) {
        f[i] = (uint8_t)g_rand_int(r);
    }
    if (len >= 42 && g_rand_boolean(r)) {
        /* Plausible IPv4 header so parsers go deeper. */
        memcpy(f + 6, MAC_VM, 6);
        net_put16(f + 12, ETHTYPE_IPV4);
        f[14] = (uint8_t)(0x40 | g_rand_int_range(r, 0, 16));
        net_put16(f + 16, (uint16_t)g_rand_int_range(r, 0, (gint32)len));
        f[20] = f[21] = 0;
        f[23] = g_rand_boolean(r) ? IPPROTO_TCP_ : IPPROTO_UDP_;
        if (g_rand_boolean(r)) {
            net_put16(f + 36, 67); /* DHCP server port */
        }
    }
    return len;
}

static void emit_nothing(void *opaque, const uint8_t *frame, size_t len)
{
    (void)frame;
    *(size_t *)opaque += len;
}

Test(robustness, random_frames_through_switch_parsers_and_splitter)
{
    GRand *r = g_rand_new_with_seed(0x21140);
    Clock *clk = clock_new(1000000);
    NetSwitch *sw = net_switch_new(clk, "fuzz");
    NetSwitchPort *vp =
        net_switch_add_vm_port(sw, "vm", NET_PROMISC_ALLOW_ALL, false);
    NetSwitchPort *up = net_switch_add_uplink(sw, "up");
    TestEnd nic, wire;
    NetDhcpd dhcpd;
    static uint8_t f[65536], out[700];

    test_end_init(&nic, clk, "nic", MAC_VM);
    test_end_filter(&nic, true, true, NULL, 0);
    test_end_init(&wire, clk, "wire", NULL);
    net_port_connect(&nic.port, &vp->port);
    net_port_connect(&wire.port, &up->port);
    net_dhcpd_init(&dhcpd, NULL);

    for (int i = 0; i < ROUNDS; i++) {
        size_t len = mutated_frame(r, f, sizeof(f));
        net_port_send(&nic.port, f, len);
        net_port_send(&wire.port, f, len);
        net_dhcpd_handle(&dhcpd, f, len, out, sizeof(out));
        net_ipv4_fix_l4_csum(f, len);
        if (i % 64 == 0) {
            test_end_clear(&nic);
            test_end_clear(&wire);
            clock_step(clk, 10);
        }
    }
    /* Super-frames of every size with random headers. */
    size_t total = 0;
    for (int i = 0; i < 500; i++) {
        size_t len = (size_t)g_rand_int_range(r, 34, sizeof(f));
        for (size_t k = 0; k < len; k++) {
            f[k] = (uint8_t)g_rand_int(r);
        }
        net_put16(f + 12, ETHTYPE_IPV4);
        f[14] = (uint8_t)(0x40 | g_rand_int_range(r, 5, 16));
        net_put16(f + 16, (uint16_t)MIN(len - 14, 65535));
        f[20] = f[21] = 0;
        f[23] = IPPROTO_TCP_;
        net_tcp4_segment(f, len, 1514, emit_nothing, &total);
    }
    cr_assert_gt(vp->stats.drop_spoofed + vp->stats.drop_runt, 0,
                 "the garbage was judged, not ignored");
    net_dhcpd_cleanup(&dhcpd);
    net_switch_free(sw);
    test_end_cleanup(&nic);
    test_end_cleanup(&wire);
    clock_free(clk);
    g_rand_free(r);
}

Test(robustness, random_guest_frames_into_the_nat_backend)
{
    GRand *r = g_rand_new_with_seed(0x51124);
    Clock *clk = clock_new(1000000000);
    GMainContext *ctx = g_main_context_new();
    NetSlirpConfig cfg = {0};
    g_autoptr(GError) err = NULL;
    NetSlirp *sl = net_slirp_new(clk, ctx, &cfg, &err);
    TestEnd guest;
    static uint8_t f[2048];

    cr_assert_not_null(sl);
    test_end_init(&guest, clk, "guest", MAC_VM);
    net_port_connect(&guest.port, net_slirp_port(sl));
    for (int i = 0; i < ROUNDS / 4; i++) {
        size_t len = mutated_frame(r, f, sizeof(f));
        if (len >= 38) {
            /* Aim at slirp's own addresses. */
            memcpy(f + 30, (uint8_t[]){10, 0, 2, (uint8_t)(2 + i % 2)}, 4);
        }
        net_port_send(&guest.port, f, len);
        if (i % 32 == 0) {
            g_main_context_iteration(ctx, FALSE);
            clock_step_ns(clk, 1000000);
            test_end_clear(&guest);
        }
    }
    net_slirp_free(sl);
    test_end_cleanup(&guest);
    g_main_context_unref(ctx);
    clock_free(clk);
    g_rand_free(r);
}

Test(robustness, random_nic_strings_get_an_answer)
{
    static const char *seeds[] = {
        "user,hostfwd=tcp:127.0.0.1:2222-:22,net=10.0.2.0/24",
        "local,net=lab,dhcp=on,mac=00:03:ff:00:00:01",
        "bridge,ifname=eth0,promisc=allow-all,capture=/tmp/x.pcap",
        "vde,sock=vxvde://239.0.0.1,rate=100M,link=off",
    };
    static const char alphabet[] = "usertapvdbignol,=:-./0123456789xf";
    GRand *r = g_rand_new_with_seed(0x4E1C);

    for (int i = 0; i < ROUNDS; i++) {
        char s[128];
        g_strlcpy(s, seeds[i % G_N_ELEMENTS(seeds)], sizeof(s));
        size_t n = strlen(s);
        for (int k = g_rand_int_range(r, 1, 6); k > 0 && n; k--) {
            s[g_rand_int_range(r, 0, (gint32)n)] =
                alphabet[g_rand_int_range(r, 0, sizeof(alphabet) - 1)];
        }
        if (g_rand_boolean(r)) {
            s[g_rand_int_range(r, 0, (gint32)n)] = 0;
        }
        NetNicConfig cfg;
        GError *err = NULL;
        bool ok = net_nic_config_parse(s, &cfg, &err);
        cr_assert(ok != (err != NULL), "exactly one of config or error");
        if (err) {
            cr_assert(g_str_has_prefix(err->message, "-nic: "), "%s",
                      err->message);
            g_error_free(err);
        }
        net_nic_config_clear(&cfg);
    }
    g_rand_free(r);
}
