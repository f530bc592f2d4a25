/*
 * The -nic option parser: defaults, every option's accepted forms, and one
 * precise error per malformed, unknown, misplaced or repeated field.
 */
#include <criterion/criterion.h>
#include "net/nic_opts.h"

#include <arpa/inet.h>
#include <string.h>

static NetNicConfig cfg;

static void teardown(void)
{
    net_nic_config_clear(&cfg);
}

TestSuite(nic_opts, .fini = teardown);

static void ok(const char *spec)
{
    g_autoptr(GError) err = NULL;
    net_nic_config_clear(&cfg);
    cr_assert(net_nic_config_parse(spec, &cfg, &err), "%s: %s", spec,
              err ? err->message : "");
}

/* The parse fails and the message contains every given fragment. */
static void bad(const char *spec, const char *frag1, const char *frag2)
{
    g_autoptr(GError) err = NULL;
    net_nic_config_clear(&cfg);
    cr_assert_not(net_nic_config_parse(spec, &cfg, &err), "%s accepted", spec);
    cr_assert_not_null(err);
    cr_assert(strstr(err->message, frag1), "'%s' -> '%s' lacks '%s'", spec,
              err->message, frag1);
    if (frag2) {
        cr_assert(strstr(err->message, frag2), "'%s' -> '%s' lacks '%s'", spec,
                  err->message, frag2);
    }
    cr_assert_null(cfg.capture, "nothing leaks from a failed parse");
}

Test(nic_opts, both_board_models_are_accepted)
{
    ok("user,model=dc21140-gpr");
    cr_assert_str_eq(cfg.model, "dc21140-gpr");
}

Test(nic_opts, type_alone_gets_documented_defaults)
{
    ok("user");
    cr_assert_eq(cfg.type, NET_BACKEND_USER);
    cr_assert_str_eq(cfg.model, "dc21140");
    cr_assert(cfg.link_up);
    cr_assert_not(cfg.has_mac);
    cr_assert_not(cfg.hostaccess, "host protected by default");
    cr_assert_not(cfg.restricted);
    cr_assert_eq(cfg.promisc, NET_PROMISC_DENY);
    cr_assert_not(cfg.allow_spoof);
    cr_assert_eq(cfg.rate_bps, 0, "unpaced unless rate= is given");
    cr_assert_eq(cfg.n_hostfwd, 0);
    cr_assert_null(cfg.capture);
    ok("local");
    cr_assert_str_eq(cfg.segment, "default");
    cr_assert_not(cfg.dhcp);
    ok("none");
    cr_assert_eq(cfg.type, NET_BACKEND_NONE);
}

Test(nic_opts, common_options_are_parsed)
{
    ok("bridge,ifname=veth0,mac=00:03:FF:12:34:56,link=off,capture=/tmp/"
       "a,,b.pcap,rate=100M,promisc=allow-vms,macspoof=allow,model=dc21140");
    cr_assert_eq(cfg.type, NET_BACKEND_BRIDGE);
    cr_assert_str_eq(cfg.ifname, "veth0");
    cr_assert(cfg.has_mac);
    cr_assert_arr_eq(cfg.mac, ((uint8_t[]){0x00, 0x03, 0xFF, 0x12, 0x34, 0x56}),
                     6);
    cr_assert_not(cfg.link_up);
    cr_assert_str_eq(cfg.capture, "/tmp/a,b.pcap", "',,' is a comma");
    cr_assert_eq(cfg.rate_bps, 100000000);
    cr_assert_eq(cfg.promisc, NET_PROMISC_ALLOW_VMS);
    cr_assert(cfg.allow_spoof);
    ok("tap,ifname=tap0,mac=00-03-ff-00-00-01,rate=10M");
    cr_assert_eq(cfg.mac[5], 1);
    cr_assert_eq(cfg.rate_bps, 10000000);
    ok("vde,sock=vxvde://239.1.2.3");
    cr_assert_str_eq(cfg.sock, "vxvde://239.1.2.3");
    ok("local,net=lab,dhcp=on");
    cr_assert_str_eq(cfg.segment, "lab");
    cr_assert(cfg.dhcp);
}

Test(nic_opts, user_options_and_repeated_hostfwd)
{
    ok("user,net=10.0.9.0/24,restrict=on,hostaccess=on,"
       "hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp::5353-10.0.9.20:53,"
       "hostfwd=tcp:0.0.0.0:8080-10.0.9.15:80");
    cr_assert(cfg.has_net);
    cr_assert_eq(ntohl(cfg.net_addr.s_addr), 0x0A000900u);
    cr_assert_eq(ntohl(cfg.net_mask.s_addr), 0xFFFFFF00u);
    cr_assert(cfg.restricted);
    cr_assert(cfg.hostaccess);
    cr_assert_eq(cfg.n_hostfwd, 3);
    cr_assert_not(cfg.hostfwd[0].udp);
    cr_assert_eq(ntohl(cfg.hostfwd[0].host_addr.s_addr), 0x7F000001u);
    cr_assert_eq(cfg.hostfwd[0].host_port, 2222);
    cr_assert_eq(cfg.hostfwd[0].guest_addr.s_addr, 0, "first lease");
    cr_assert_eq(cfg.hostfwd[0].guest_port, 22);
    cr_assert(cfg.hostfwd[1].udp);
    cr_assert_eq(ntohl(cfg.hostfwd[1].host_addr.s_addr), 0x7F000001u,
                 "an omitted host address means loopback, not the LAN");
    cr_assert_eq(ntohl(cfg.hostfwd[1].guest_addr.s_addr), 0x0A000914u);
    cr_assert_eq(cfg.hostfwd[2].host_addr.s_addr, 0, "explicit 0.0.0.0");
}

Test(nic_opts, each_malformed_field_gets_its_own_error)
{
    bad("", "unknown type ''", NULL);
    bad("usr", "unknown type 'usr'", "user");
    bad("user,bogus=1", "unknown option 'bogus'", NULL);
    bad("user,mac", "option 'mac' needs a value", NULL);
    bad("user,mac=00:03:ff:00:00:01,", "empty option", NULL);
    bad("user,mac=00:03:ff:00:00", "mac=00:03:ff:00:00", "six hex bytes");
    bad("user,mac=00:03:ff:00:00:0g", "mac=", "six hex bytes");
    bad("user,mac=00:03-ff:00:00:01", "mac=", "six hex bytes");
    bad("user,mac=01:03:ff:00:00:01", "multicast", NULL);
    bad("user,mac=00:00:00:00:00:00", "all-zero", NULL);
    bad("user,model=e1000", "model=e1000", "dc21140");
    bad("user,link=maybe", "link=maybe", "on or off");
    bad("user,capture=", "capture=", "file name");
    bad("user,rate=fast", "rate=fast", "10M");
    bad("user,rate=0", "rate=0", NULL);
    bad("user,rate=10X", "rate=10X", NULL);
    bad("user,promisc=yes", "promisc=yes", "allow-vms");
    bad("user,macspoof=on", "macspoof=on", "deny or allow");
    bad("user,restrict=1", "restrict=1", "on or off");
    bad("user,hostaccess=", "hostaccess=", "on or off");
    bad("user,net=10.0.2.0", "net=10.0.2.0", "A.B.C.D/N");
    bad("user,net=10.0.2.1/24", "host bits", "10.0.2.0/24");
    bad("user,net=10.0.2.0/30", "prefix length", NULL);
    bad("user,net=10.0.300.0/24", "net=10.0.300.0/24", NULL);
    bad("local,net=a/b", "segment name", NULL);
    bad("local,dhcp=yes", "dhcp=yes", NULL);
    bad("vde", "sock=URL", NULL);
    bad("tap", "ifname=IFACE", NULL);
    bad("bridge,ifname=way-too-long-interface-name", "not a valid interface",
        NULL);
}

Test(nic_opts, empty_names_and_out_of_range_rates_are_refused)
{
    bad("tap,ifname=", "ifname=: a value is required", NULL);
    bad("bridge,ifname=", "ifname=: a value is required", NULL);
    bad("vde,sock=", "sock=: a value is required", NULL);
    bad("user,rate=20G", "rate=20G", "10M or 100M");
    bad("user,rate=-10M", "rate=-10M", NULL);
    bad("user,rate=", "rate=", NULL);
    ok("user,rate=1500K");
    cr_assert_eq(cfg.rate_bps, 1500000);
    ok("user,rate=1G");
    cr_assert_eq(cfg.rate_bps, 1000000000);
}

Test(nic_opts, hostfwd_ports_cover_1_to_65535)
{
    ok("user,hostfwd=udp::65535-:1");
    cr_assert_eq(cfg.hostfwd[0].host_port, 65535);
    cr_assert_eq(cfg.hostfwd[0].guest_port, 1);
    bad("user,hostfwd=tcp::65536-:22", "host port '65536'", "1-65535");
    bad("user,hostfwd=tcp::2222-:0", "guest port '0'", NULL);
    bad("user,hostfwd=tcp::+22-:22", "host port '+22'", NULL);
    bad("user,hostfwd=tcp::2222-:", "guest port ''", NULL);
    bad("user,hostfwd=tcp::2222-22", "guest part '22'", "[ADDRESS]:PORT");
}

Test(nic_opts, hostfwd_errors_name_the_broken_part)
{
    bad("user,hostfwd=sctp::1-:2", "tcp: or udp:", NULL);
    bad("user,hostfwd=tcp::2222:22", "missing '-'", NULL);
    bad("user,hostfwd=tcp:2222-:22", "host part '2222'", "[ADDRESS]:PORT");
    bad("user,hostfwd=tcp::0-:22", "host port '0'", NULL);
    bad("user,hostfwd=tcp::70000-:22", "host port '70000'", NULL);
    bad("user,hostfwd=tcp::2222-:x", "guest port 'x'", NULL);
    bad("user,hostfwd=tcp:1.2.3:2222-:22", "host address '1.2.3'", NULL);
    bad("user,hostfwd=tcp::2222-10.0.2:22", "guest address '10.0.2'", NULL);
}

Test(nic_opts, options_for_another_type_and_repeats_are_refused)
{
    bad("local,hostfwd=tcp::1-:2", "'hostfwd' does not apply to type local",
        NULL);
    bad("bridge,ifname=eth9,restrict=on", "'restrict' does not apply", NULL);
    bad("user,ifname=eth0", "'ifname' does not apply to type user", NULL);
    bad("user,dhcp=on", "'dhcp' does not apply", NULL);
    bad("none,sock=x", "'sock' does not apply", NULL);
    bad("user,mac=00:03:ff:00:00:01,mac=00:03:ff:00:00:02", "'mac' given twice",
        NULL);
    bad("user,link=on,link=off", "'link' given twice", NULL);
}

Test(nic_opts, too_many_forwards_are_refused)
{
    GString *s = g_string_new("user");
    for (int i = 0; i <= NET_MAX_HOSTFWD; i++) {
        g_string_append_printf(s, ",hostfwd=tcp::%d-:22", 2000 + i);
    }
    bad(s->str, "at most 16", NULL);
    g_string_free(s, TRUE);
}
