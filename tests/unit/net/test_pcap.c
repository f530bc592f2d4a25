/*
 * Capture: what an adapter sends and receives lands in a nanosecond pcap
 * file that tcpdump reads back, frame for frame.
 */
#include <criterion/criterion.h>
#include "net/pcap.h"
#include "net/switch.h"
#include "net_test_util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const uint8_t MAC_VM[6] = {0x00, 0x03, 0xFF, 0x00, 0x00, 0x01};
static const uint8_t MAC_LAN[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x09};

static char path[64];

static void setup(void)
{
    int fd;
    g_strlcpy(path, "/tmp/tvm-cap-XXXXXX", sizeof(path));
    fd = g_mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
}

static void teardown(void)
{
    unlink(path);
}

TestSuite(pcap, .init = setup, .fini = teardown);

Test(pcap, adapter_traffic_both_ways_is_read_back_by_tcpdump)
{
    Clock *clk = clock_new(1000000);
    NetSwitch *sw = net_switch_new(clk, "cap");
    TestEnd nic, lan;
    uint8_t f[100];
    g_autoptr(GError) err = NULL;

    test_end_init(&nic, clk, "nic", MAC_VM);
    test_end_filter(&nic, false, false, NULL, 0);
    test_end_init(&lan, clk, "lan", NULL);
    NetSwitchPort *vm =
        net_switch_add_vm_port(sw, "vm", NET_PROMISC_DENY, false);
    NetSwitchPort *up = net_switch_add_uplink(sw, "up");
    net_port_connect(&nic.port, &vm->port);
    net_port_connect(&lan.port, &up->port);
    NetPcap *cap = net_pcap_open(path, &err);
    cr_assert_not_null(cap, "%s", err ? err->message : "");
    net_switch_port_set_capture(vm, cap);

    test_frame(f, 100, MAC_LAN, MAC_VM, 1); /* sent by the adapter */
    net_port_send(&nic.port, f, 100);
    test_frame(f, 64, MAC_VM, MAC_LAN, 2); /* received */
    net_port_send(&lan.port, f, 64);
    test_frame(f, 64, MAC_LAN, MAC_LAN, 3); /* not for it: not recorded */
    net_port_send(&lan.port, f, 64);
    cr_assert_eq(net_pcap_frames(cap), 2);
    net_switch_port_set_capture(vm, NULL);
    net_pcap_close(cap);

    g_autofree char *cmd =
        g_strdup_printf("tcpdump -nn -e -r %s 2>/dev/null", path);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof(line), p)) {
        if (g_ascii_isspace(line[0])) {
            continue; /* hex dump of the unknown EtherType */
        }
        if (n == 0) {
            cr_assert(strstr(line, "00:03:ff:00:00:01 > 02:00:00:00:00:09"),
                      "%s", line);
            cr_assert(strstr(line, "length 100"), "%s", line);
        } else if (n == 1) {
            cr_assert(strstr(line, "02:00:00:00:00:09 > 00:03:ff:00:00:01"),
                      "%s", line);
            cr_assert(strstr(line, "length 64"), "%s", line);
        }
        n++;
    }
    cr_assert_eq(pclose(p), 0, "tcpdump accepts the file");
    cr_assert_eq(n, 2);

    /* Nanosecond magic, Ethernet link type, bytes intact. */
    g_autofree char *data = NULL;
    gsize len;
    cr_assert(g_file_get_contents(path, &data, &len, NULL));
    cr_assert_eq(len, 24 + 16 + 100 + 16 + 64);
    uint32_t magic, link;
    memcpy(&magic, data, 4);
    memcpy(&link, data + 20, 4);
    cr_assert_eq(magic, 0xA1B23C4Du);
    cr_assert_eq(link, 1);
    test_frame(f, 64, MAC_VM, MAC_LAN, 2);
    cr_assert_arr_eq(data + 24 + 16 + 100 + 16, f, 64);

    net_switch_free(sw);
    test_end_cleanup(&nic);
    test_end_cleanup(&lan);
    clock_free(clk);
}

Test(pcap, unwritable_path_is_a_clear_error)
{
    g_autoptr(GError) err = NULL;
    cr_assert_null(net_pcap_open("/nonexistent-dir/x.pcap", &err));
    cr_assert(strstr(err->message, "/nonexistent-dir/x.pcap"), "%s",
              err->message);
}
