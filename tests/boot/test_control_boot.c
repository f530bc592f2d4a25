/*
 * The control socket on a running guest: Debian's kernel and tulip.ko boot
 * with the adapter not connected; re-attaching it to Shared networking
 * (NAT) over -control makes the real driver see the link come up and get
 * a DHCP lease, and pulling the cable over the socket makes it see the
 * link go down - read at the guest's shell, as a user would.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/wait.h>
#include "control_client.h"
#include "guest_session.h"
#include "support/tmpdir.h"

/* One request, its reply line (g_free it). */
static char *ctl_req(CtlClient *c, const char *req)
{
    char *reply = ctl_call(c, req);
    cr_assert_not_null(reply, "no reply to %s", req);
    return reply;
}

static void ctl_ok(CtlClient *c, const char *req)
{
    g_autofree char *reply = ctl_req(c, req);
    cr_assert(g_str_has_prefix(reply, "{\"ok\":true"), "%s -> %s", req, reply);
}

/* A command at the shell: slow under the sanitizers, as the boot is. */
static double shell_timeout(void)
{
    return 60 + guest_boot_timeout() / 4;
}

/* The kernel's carrier flag for eth0, read at the shell.  A command typed
 * while the shell is still setting up its terminal can be lost, so it is
 * asked again. */
static int guest_carrier(GuestSession *s)
{
    gint64 end =
        g_get_monotonic_time() + (gint64)(shell_timeout() * G_USEC_PER_SEC);
    for (;;) {
        guest_send(s, "cat /sys/class/net/eth0/carrier; echo c-$((6*7))\n");
        g_autofree char *m =
            guest_expect(s, "\n[01]\r?\nc-42", shell_timeout() / 4);
        if (m) {
            return m[1] - '0';
        }
        cr_assert_lt(g_get_monotonic_time(), end, "the shell never answered");
    }
}

/* tulip checks the MII link every 3 s without carrier and every 60 s
 * with it (drivers/net/ethernet/dec/tulip/timer.c): poll up to 150 s. */
static void wait_carrier(GuestSession *s, int want)
{
    gint64 end = g_get_monotonic_time() +
                 (gint64)((150 + shell_timeout()) * G_USEC_PER_SEC);
    while (guest_carrier(s) != want) {
        cr_assert_lt(g_get_monotonic_time(), end, "carrier never became %d",
                     want);
        g_usleep(2 * G_USEC_PER_SEC);
    }
}

Test(guest_control, reattach_to_nat_gives_link_and_lease_unplug_drops_link,
     .timeout = 1800)
{
    char dir[TMPDIR_LEN];
    tmpdir_make(dir, "gctl");
    g_autofree char *path = g_strdup_printf("%s/ctl.sock", dir);
    g_autofree char *ctl_arg = g_strdup_printf("unix:%s", path);
    const char *args[] = {"-nic", "none", "-control", ctl_arg, NULL};
    GuestSession *s = guest_start(args);
    double t = guest_boot_timeout();

    g_autofree char *probe =
        guest_expect(s, "net eth0: Digital DS21140 Tulip", t);
    cr_assert_not_null(probe, "tulip bound to the adapter");
    g_autofree char *nolease =
        guest_expect(s, "eth0 00:03:ff:\\S+ no DHCP lease", t);
    cr_assert_not_null(nolease, "not connected: no lease at boot");
    g_autofree char *prompt = guest_expect(s, "tulipvm:/# ", t);
    cr_assert_not_null(prompt, "a shell");
    cr_assert_eq(guest_carrier(s), 0, "no carrier while not connected");

    CtlClient c;
    cr_assert(ctl_connect(&c, path, 10));
    g_autofree char *before = ctl_req(&c, "{\"cmd\":\"list\"}");
    cr_assert(strstr(before, "\"attachment\":\"none\""), "%s", before);
    cr_assert(strstr(before, "\"link\":false"), "%s", before);

    ctl_ok(&c, "{\"cmd\":\"reattach\",\"adapter\":0,\"attachment\":\"user\"}");
    wait_carrier(s, 1);
    guest_send(s, "udhcpc -i eth0 -s /etc/udhcpc.script -n -q\n");
    g_autofree char *lease = guest_expect(
        s, "udhcpc: eth0 bound 10\\.0\\.2\\.15/24 router 10\\.0\\.2\\.2",
        shell_timeout());
    cr_assert_not_null(lease, "a DHCP lease from the NAT after re-attaching");
    guest_send(s, "ping -c 1 -W 5 10.0.2.2 >/dev/null && echo gw-$((6*7))\n");
    g_autofree char *ping = guest_expect(s, "gw-42", shell_timeout());
    cr_assert_not_null(ping, "the gateway answers");

    g_autofree char *after = ctl_req(&c, "{\"cmd\":\"list\"}");
    cr_assert(strstr(after, "\"attachment\":\"user\""), "%s", after);
    cr_assert(strstr(after, "\"link\":true"), "%s", after);
    cr_assert_null(strstr(after, "\"tx_frames\":0,"), "guest sent: %s", after);
    cr_assert_null(strstr(after, "\"rx_frames\":0,"), "guest got: %s", after);

    ctl_ok(&c, "{\"cmd\":\"set_link\",\"adapter\":0,\"up\":false}");
    wait_carrier(s, 0);
    g_autofree char *unplugged = ctl_req(&c, "{\"cmd\":\"list\"}");
    cr_assert(strstr(unplugged, "\"cable\":false,\"link\":false"), "%s",
              unplugged);

    ctl_ok(&c, "{\"cmd\":\"quit\"}");
    cr_assert(guest_wait_exit(s, 30), "quit over the socket ends tulipvm");
    cr_assert(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0,
              "exit status 0x%x", s->status);
    ctl_close(&c);
    guest_free(s);
    cr_assert(tmpdir_remove(dir));
}

/* Start tulipvm with args, list its adapters over the socket, quit. */
static char *list_at_start(const char *const *extra, const char *sock)
{
    GuestSession *s = guest_start(extra);
    CtlClient c;
    cr_assert(ctl_connect(&c, sock, 30), "tulipvm listens");
    char *list = ctl_req(&c, "{\"cmd\":\"list\"}");
    ctl_ok(&c, "{\"cmd\":\"quit\"}");
    cr_assert(guest_wait_exit(s, 30), "quit ends tulipvm");
    ctl_close(&c);
    guest_free(s);
    return list;
}

/* -config FILE gives the adapters; -nic on the command line wins. */
Test(guest_control, config_file_adapters_and_command_line_override,
     .timeout = 300)
{
    char dir[TMPDIR_LEN];
    tmpdir_make(dir, "gcfg");
    g_autofree char *ini = g_strdup_printf("%s/vm.ini", dir);
    g_autofree char *sock = g_strdup_printf("%s/ctl.sock", dir);
    g_autofree char *ctl = g_strdup_printf("unix:%s", sock);
    cr_assert(g_file_set_contents(ini,
                                  "[vm]\nadapters=2\n"
                                  "[adapter0]\nattachment=none\n"
                                  "mac=00:03:ff:31:32:33\n"
                                  "[adapter1]\nattachment=local\n"
                                  "segment=cfgtest\nlink=false\n",
                                  -1, NULL));
    const char *from_file[] = {"-serial",  "none", "-config", ini,
                               "-control", ctl,    NULL};
    g_autofree char *a = list_at_start(from_file, sock);
    cr_assert(strstr(a, "\"index\":0,\"attachment\":\"none\""), "%s", a);
    cr_assert(strstr(a, "\"mac\":\"00:03:ff:31:32:33\""), "%s", a);
    cr_assert(strstr(a, "\"index\":1,\"attachment\":\"local\","
                        "\"detail\":\"cfgtest\""),
              "%s", a);
    cr_assert(strstr(a, "\"cable\":false"), "adapter1 link=false: %s", a);

    const char *overridden[] = {"-serial", "none", "-config", ini, "-control",
                                ctl,       "-nic", "user",    NULL};
    g_autofree char *b = list_at_start(overridden, sock);
    cr_assert(strstr(b, "\"adapters\":[{\"index\":0,\"attachment\":\"user\""),
              "%s", b);
    cr_assert_null(strstr(b, "\"index\":1"), "one adapter: %s", b);

    /* A malformed file is an error naming it, before anything starts. */
    cr_assert(g_file_set_contents(ini, "[vm]\nadapters=9\n", -1, NULL));
    const char *bad[] = {"-config", ini, NULL};
    GuestSession *s = guest_start(bad);
    cr_assert(guest_wait_exit(s, 30));
    cr_assert(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 1);
    guest_free(s);
    cr_assert(tmpdir_remove(dir));
}
