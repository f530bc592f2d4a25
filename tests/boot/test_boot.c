/*
 * Guest driver compatibility suite: Debian's unmodified i386 kernel and its
 * tulip.ko boot in tulipvm, bind to the emulated DEC 21140, see the link,
 * get a DHCP lease from Shared networking (NAT), ping the gateway and give
 * a shell - read from the serial console as a user would see it.
 */
#include <criterion/criterion.h>
#include "guest_session.h"

/* The kernel command line the default guest uses (pc-platform.md 3.10). */
#define FAST_APPEND                                                            \
    "console=ttyS0 acpi=off noapic nolapic cryptomgr.notests noisapnp "        \
    "pnpbios=off tsc=reliable rdinit=/init"

/*
 * What every boot must show: tulip's probe line naming our chip with a
 * 00:03:ff MAC and the IRQ the machine routed, a lease from the NAT, the
 * gateway answering, a shell, and carrier on eth0.  With the MII PHY the
 * driver's media timer also reports the negotiated link.  (tulip never
 * calls netif_carrier_on/off for a 21140, so operstate stays "unknown",
 * as on real hardware.)
 */
static void assert_guest_online(GuestSession *s, bool mii)
{
    double t = guest_boot_timeout();
    g_autofree char *probe = guest_expect(
        s,
        "net eth0: Digital DS21140 Tulip rev 32 at Port 0x[0-9a-f]+, "
        "00:03:ff:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}, IRQ 11",
        t);
    cr_assert_not_null(probe, "tulip bound to the 21140 with its MAC/IRQ");
    g_autofree char *lease = guest_expect(
        s, "lease of 10\\.0\\.2\\.15 obtained from 10\\.0\\.2\\.2", t);
    cr_assert_not_null(lease, "DHCP lease from the NAT");
    g_autofree char *ping =
        guest_expect(s,
                     "eth0 00:03:ff:\\S+ 10\\.0\\.2\\.15/24 ping "
                     "10\\.0\\.2\\.2 ok",
                     t);
    cr_assert_not_null(ping, "the gateway answers a ping");
    g_autofree char *prompt = guest_expect(s, "tulipvm:/# ", t);
    cr_assert_not_null(prompt, "a shell on the console");
    guest_send(s, "cat /sys/class/net/eth0/carrier; echo done-$((6*7))\n");
    g_autofree char *carrier = guest_expect(s, "\n1\r?\ndone-42", 60 + t / 4);
    cr_assert_not_null(carrier, "the kernel sees carrier on eth0");
    if (mii) {
        /* tulip's media timer read the PHY: link up, partner abilities.
         * Printed asynchronously, so look from the start of the log. */
        s->mark = 0;
        g_autofree char *nway = guest_expect(
            s, "eth0: Setting full-duplex based on MII#1 link partner", t);
        cr_assert_not_null(nway, "the driver saw the MII link come up");
    }
}

Test(guest_boot, default_vm_dc21140_gets_a_lease_and_a_shell, .timeout = 1800)
{
    const char *args[] = {"-stats", NULL};
    GuestSession *s = guest_start(args);
    assert_guest_online(s, true);
    guest_free(s);
}

Test(guest_boot, gpr_board_without_mii_gets_a_lease, .timeout = 1800)
{
    const char *args[] = {"-nic", "user,model=dc21140-gpr", NULL};
    GuestSession *s = guest_start(args);
    g_autofree char *media =
        guest_expect(s, "tulip0: +Index #0 - Media 100baseTx", 600);
    cr_assert_not_null(media, "the driver reads the GPR media block");
    assert_guest_online(s, false);
    guest_free(s);
}

#ifndef TULIPVM_SANITIZED
/*
 * The in-guest decompressor path (2.3 G instructions more): only in the
 * optimised build, where it takes about a minute.
 */
Test(guest_boot, bzimage_decompressed_by_the_guest_boots, .timeout = 1800)
{
    const char *args[] = {"-kernel",           TULIPVM_GUEST_DIR "/vmlinuz",
                          "-initrd",           TULIPVM_GUEST_DIR "/initrd.img",
                          "-append",           FAST_APPEND,
                          "-guest-decompress", NULL};
    GuestSession *s = guest_start(args);
    assert_guest_online(s, true);
    guest_free(s);
}
#endif
