/*
 * The local segment's DHCP server, driven by the test guest's DHCP client:
 * offer and ack from the pool, a stable address per MAC, NAK for an
 * address it did not offer, silence towards requests for another server
 * and when the pool is exhausted, leases kept in the lease file.
 */
#include <criterion/criterion.h>
#include "net/dhcpd.h"
#include "net/inet.h"
#include "guest_stack.h"
#include "net_test_util.h"

#include <string.h>
#include <unistd.h>

static Clock *clk;
static NetDhcpd d;
static Guest g;
static TestEnd wire;
static char leases[64];

static void setup(void)
{
    int fd;
    static const uint8_t mac[6] = {0x00, 0x03, 0xFF, 0x00, 0x08, 0x01};
    g_strlcpy(leases, "/tmp/tvm-leases-XXXXXX", sizeof(leases));
    fd = g_mkstemp(leases);
    close(fd);
    clk = clock_new(1000000);
    net_dhcpd_init(&d, leases);
    guest_init(&g, clk, mac);
    test_end_init(&wire, clk, "wire", NULL);
    net_port_connect(&g.port, &wire.port);
}

static void teardown(void)
{
    net_dhcpd_cleanup(&d);
    guest_cleanup(&g);
    test_end_cleanup(&wire);
    clock_free(clk);
    unlink(leases);
}

TestSuite(dhcpd, .init = setup, .fini = teardown);

/* Serve every frame the guest put on the wire; returns replies sent. */
static unsigned serve(void)
{
    unsigned replies = 0;
    uint8_t out[700];
    GPtrArray *pending =
        g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);

    clock_step(clk, 1); /* deferred deliveries (no re-entry) */
    for (unsigned i = 0; i < wire.frames->len; i++) {
        g_ptr_array_add(pending,
                        g_bytes_ref(g_ptr_array_index(wire.frames, i)));
    }
    test_end_clear(&wire);
    for (unsigned i = 0; i < pending->len; i++) {
        gsize len;
        const uint8_t *f =
            g_bytes_get_data(g_ptr_array_index(pending, i), &len);
        size_t n = net_dhcpd_handle(&d, f, len, out, sizeof(out));
        if (n) {
            replies++;
            NetIpv4View v;
            cr_assert(net_ipv4_parse(out, n, &v));
            cr_assert_eq(
                net_l4_csum(v.ip + 12, v.ip + 16, IPPROTO_UDP_, v.l4, v.l4_len),
                0, "valid UDP checksum");
            net_port_send(&wire.port, out, n);
        }
    }
    g_ptr_array_free(pending, TRUE);
    clock_step(clk, 1);
    return replies;
}

static void lease(void)
{
    guest_dhcp_discover(&g);
    for (int i = 0; i < 4 && g.dhcp != 3; i++) {
        serve();
    }
}

Test(dhcpd, offers_and_acks_the_first_pool_address)
{
    lease();
    cr_assert_eq(g.dhcp, 3);
    cr_assert_arr_eq(g.ip, ((uint8_t[]){192, 168, 77, 100}), 4);
    cr_assert_arr_eq(g.server_id, ((uint8_t[]){192, 168, 77, 1}), 4);
    cr_assert_arr_eq(g.router, ((uint8_t[]){0, 0, 0, 0}), 4,
                     "a local-only segment has no router");
}

Test(dhcpd, same_mac_gets_the_same_address_again)
{
    lease();
    memset(g.ip, 0, 4);
    g.dhcp = 0;
    lease();
    cr_assert_arr_eq(g.ip, ((uint8_t[]){192, 168, 77, 100}), 4);
}

Test(dhcpd, leases_survive_a_new_server_on_the_same_file)
{
    static const uint8_t mac2[6] = {0x00, 0x03, 0xFF, 0x00, 0x08, 0x02};
    lease();
    net_dhcpd_cleanup(&d);
    net_dhcpd_init(&d, leases);
    /* A second guest now gets the next address, not the first again. */
    Guest g2;
    guest_init(&g2, clk, mac2);
    net_port_disconnect(&g.port);
    net_port_connect(&g2.port, &wire.port);
    guest_dhcp_discover(&g2);
    for (int i = 0; i < 4 && g2.dhcp != 3; i++) {
        serve();
    }
    cr_assert_arr_eq(g2.ip, ((uint8_t[]){192, 168, 77, 101}), 4);
    guest_cleanup(&g2);
}

Test(dhcpd, request_for_an_address_not_offered_gets_a_nak)
{
    guest_dhcp_discover(&g);
    serve(); /* OFFER, the guest REQUESTs .100 */
    cr_assert_eq(g.dhcp, 2);
    cr_assert_eq(wire.frames->len, 1, "the REQUEST");
    /* Tamper: the guest asks for .150 instead. */
    size_t len;
    const uint8_t *req = test_end_frame(&wire, 0, &len);
    uint8_t f[600];
    memcpy(f, req, len);
    uint8_t *opt = f + 14 + 20 + 8 + 240;
    for (int i = 0; opt + i < f + len && opt[i] != 255; i += 2 + opt[i + 1]) {
        if (opt[i] == 50) {
            opt[i + 5] = 150;
        }
    }
    uint8_t out[700];
    size_t n = net_dhcpd_handle(&d, f, len, out, sizeof(out));
    cr_assert_gt(n, 0);
    const uint8_t *b = out + 14 + 20 + 8;
    cr_assert_eq(b[240 + 2], 6, "DHCPNAK");
}

Test(dhcpd, request_for_another_server_is_ignored)
{
    guest_dhcp_discover(&g);
    serve();
    cr_assert_eq(wire.frames->len, 1, "the REQUEST");
    size_t len;
    const uint8_t *req = test_end_frame(&wire, 0, &len);
    uint8_t f[600], out[700];
    memcpy(f, req, len);
    uint8_t *opt = f + 14 + 20 + 8 + 240;
    for (int i = 0; opt + i < f + len && opt[i] != 255; i += 2 + opt[i + 1]) {
        if (opt[i] == 54) {
            opt[i + 5] = 9; /* the client chose 192.168.77.9 */
        }
    }
    cr_assert_eq(net_dhcpd_handle(&d, f, len, out, sizeof(out)), 0);
    cr_assert_gt(net_dhcpd_handle(&d, req, len, out, sizeof(out)), 0,
                 "the untouched request is answered");
}

Test(dhcpd, exhausted_pool_stays_silent)
{
    uint8_t out[700];
    for (int i = 0; i < NET_DHCPD_POOL; i++) {
        uint8_t mac[6] = {0x00, 0x03, 0xFF, 0x01, 0x00, (uint8_t)i};
        memcpy(d.leases[i].mac, mac, 6);
        d.leases[i].used = true;
    }
    net_dhcpd_cleanup(&d); /* in memory only from here */
    NetDhcpd mem = d;
    mem.lease_file = NULL;
    guest_dhcp_discover(&g);
    clock_step(clk, 1);
    size_t len;
    const uint8_t *f = test_end_frame(&wire, 0, &len);
    cr_assert_not_null(f);
    cr_assert_eq(net_dhcpd_handle(&mem, f, len, out, sizeof(out)), 0);
    net_dhcpd_init(&d, NULL);
}
