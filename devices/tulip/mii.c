/*
 * tulipvm: MII management interface (IEEE 802.3 clause 22) bit-banged over
 * the 21140's CSR9 MDC/MDO/MDI pins, and a generic 10/100 PHY at address 1
 * (docs/dec21140.md section 7).
 *
 * Edge-exact as the drivers need it: after at least 32 preamble ones, MDC
 * rising edges 1-14 clock ST, OP, PHYAD and REGAD in from MDO.  For a read
 * of an existing PHY, MDI is 1 (turnaround Z) after edge 14, 0 after edge
 * 15, data bit 15-k after edge 16+k, and released (1) after edge 32.
 * Writes take data from edges 17-32 and commit after edge 32.  Absent PHY
 * addresses leave MDI at 1, so they read 0xFFFF.
 *
 * The PHY reports autonegotiation complete at once while the cable is
 * plugged, with a 100BASE-TX full-duplex link partner (ANLPAR 0x45E1).  The
 * BMSR link bit latches low when the link drops, as on real PHYs.  Not
 * modelled: isolate, power-down, loopback data paths, next pages.
 */
#include "tulip_int.h"
#include "emu/log.h"

#include <string.h>

#define MII_PREAMBLE  32
#define MII_CMD_BITS  14
#define MII_LAST_EDGE 32
#define MII_OP_READ   2
#define MII_OP_WRITE  1

#define PHY_ADDR      1
#define PHY_BMCR_INIT 0x1000 /* autonegotiation enabled */
#define PHY_BMSR_BASE 0x7809 /* 100FD/HD, 10FD/HD, AN able, extended */
#define PHY_ID1       0x0016
#define PHY_ID2       0xF830
#define PHY_ANAR_INIT 0x01E1
#define PHY_ANLPAR    0x45E1
#define PHY_ANER      0x0001
#define BMCR_WRITABLE 0x7FFFu

void tulip_mii_reset(TulipMii *m)
{
    memset(m->regs, 0, sizeof(m->regs));
    m->regs[MII_BMCR] = PHY_BMCR_INIT;
    m->regs[MII_PHYID1] = PHY_ID1;
    m->regs[MII_PHYID2] = PHY_ID2;
    m->regs[MII_ANAR] = PHY_ANAR_INIT;
    m->regs[MII_ANER] = PHY_ANER;
    m->link_latched = !m->link;
    m->phase = MII_IDLE;
    m->mdc = false;
    m->ones = m->edges = 0;
    m->cmd = 0;
    m->data = 0;
    m->mdi = true;
}

void tulip_mii_init(TulipMii *m, bool present, bool link)
{
    memset(m, 0, sizeof(*m));
    m->present = present;
    m->addr = PHY_ADDR;
    m->link = link;
    tulip_mii_reset(m);
}

void tulip_mii_set_link(TulipMii *m, bool up)
{
    if (m->link && !up) {
        m->link_latched = true;
    }
    m->link = up;
}

static uint16_t phy_read(TulipMii *m, unsigned reg)
{
    uint16_t v;
    switch (reg) {
    case MII_BMSR:
        v = PHY_BMSR_BASE;
        if (m->link && !m->link_latched) {
            v |= BMSR_LINK;
        }
        if (m->link && (m->regs[MII_BMCR] & BMCR_ANEN)) {
            v |= BMSR_ANDONE;
        }
        /* Reading releases the latch: the next read shows the present. */
        m->link_latched = false;
        return v;
    case MII_ANLPAR:
        return m->link && (m->regs[MII_BMCR] & BMCR_ANEN) ? PHY_ANLPAR : 0;
    default:
        return m->regs[reg & 31];
    }
}

static void phy_write(TulipMii *m, unsigned reg, uint16_t v)
{
    switch (reg) {
    case MII_BMCR:
        if (v & BMCR_RESET) {
            /* Completes at once; reads back with the bit clear. */
            tulip_mii_reset(m);
            return;
        }
        /* restart-AN self-clears: negotiation finishes immediately */
        m->regs[MII_BMCR] = v & BMCR_WRITABLE & ~BMCR_ANRST;
        break;
    case MII_ANAR:
        m->regs[MII_ANAR] = v;
        break;
    case MII_BMSR:
    case MII_PHYID1:
    case MII_PHYID2:
    case MII_ANLPAR:
    case MII_ANER:
        break; /* read-only */
    default:
        m->regs[reg & 31] = v;
        break;
    }
}

static void mii_rising_edge(TulipMii *m, bool bit)
{
    m->ones = bit ? m->ones + 1 : 0;
    switch (m->phase) {
    case MII_IDLE:
        if (!bit && m->edges >= MII_PREAMBLE) {
            m->phase = MII_CMD;
            m->edges = 1; /* this 0 is the first ST bit */
            m->cmd = 0;
        }
        m->edges = m->phase == MII_IDLE ? m->ones : m->edges;
        return;
    case MII_CMD:
        m->cmd = m->cmd << 1 | bit;
        if (++m->edges < MII_CMD_BITS) {
            break;
        }
        {
            unsigned st1 = (m->cmd >> 12) & 1;
            unsigned op = (m->cmd >> 10) & 3;
            unsigned phy = (m->cmd >> 5) & 31;
            unsigned reg = m->cmd & 31;
            bool mine = m->present && phy == m->addr;

            if (!st1 || (op != MII_OP_READ && op != MII_OP_WRITE)) {
                m->phase = MII_IDLE;
                m->edges = m->ones;
                return;
            }
            if (op == MII_OP_READ) {
                m->phase = MII_READ;
                m->data = mine ? phy_read(m, reg) : 0xFFFF;
                m->mdi = true; /* turnaround: Z */
                TRACE(TRACE_MII, "read phy %u reg %u = 0x%04x%s", phy, reg,
                      m->data, mine ? "" : " (no PHY)");
            } else {
                m->phase = MII_WRITE;
                m->data = 0;
            }
            m->cmd = (uint32_t)mine << 16 | reg;
        }
        return;
    case MII_READ:
        m->edges++;
        if (!(m->cmd >> 16)) {
            m->mdi = true; /* nobody drives the line */
        } else if (m->edges == 15) {
            m->mdi = false; /* second turnaround bit: PHY present */
        } else if (m->edges <= 31) {
            m->mdi = (m->data >> (31 - m->edges)) & 1;
        } else {
            m->mdi = true;
        }
        if (m->edges >= MII_LAST_EDGE) {
            m->phase = MII_IDLE;
            m->edges = 0;
            m->ones = 0;
        }
        return;
    case MII_WRITE:
        m->edges++;
        if (m->edges >= 17) {
            m->data = (uint16_t)(m->data << 1 | bit);
        }
        if (m->edges >= MII_LAST_EDGE) {
            unsigned reg = m->cmd & 31;
            if (m->cmd >> 16) {
                TRACE(TRACE_MII, "write phy reg %u = 0x%04x", reg, m->data);
                phy_write(m, reg, m->data);
            }
            m->phase = MII_IDLE;
            m->edges = m->ones;
        }
        break;
    }
    /* Resynchronise on a full preamble seen inside a host-driven frame. */
    if (m->ones >= MII_PREAMBLE) {
        m->phase = MII_IDLE;
        m->edges = m->ones;
    }
}

void tulip_mii_pins(TulipMii *m, bool mdc, bool mdo, bool read_dir)
{
    if (mdc && !m->mdc) {
        /* With the host's driver off the line floats high (pull-up). */
        mii_rising_edge(m, read_dir ? true : mdo);
    }
    m->mdc = mdc;
}

bool tulip_mii_mdi(const TulipMii *m)
{
    return m->mdi;
}
