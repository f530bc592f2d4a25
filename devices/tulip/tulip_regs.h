/*
 * tulipvm: DEC 21140/21140A register, descriptor and serial-bus bit names.
 *
 * Names follow the DEC 21140A Hardware Reference Manual as quoted by the
 * Linux, NetBSD and ReactOS drivers (docs/dec21140.md sections 2-7).  Only
 * what the 21140 has is listed; 21041/2114x-only bits are left out.
 */
#ifndef TULIP_REGS_H
#define TULIP_REGS_H

#define TULIP_VENDOR_DEC      0x1011
#define TULIP_DEVICE_21140    0x0009
#define TULIP_REVISION_21140A 0x20
#define TULIP_CLASS_ETHERNET  0x020000
#define TULIP_CSR_SPACE       128 /* sixteen CSRs at an 8-byte stride */
#define TULIP_NUM_CSRS        16
#define TULIP_PCI_CFDD        0x40 /* configuration "driver area" / sleep */

/* CSR0: bus mode */
#define CSR0_SWR       (1u << 0)
#define CSR0_BAR       (1u << 1)
#define CSR0_DSL_SHIFT 2
#define CSR0_DSL_MASK  (0x1Fu << CSR0_DSL_SHIFT)
#define CSR0_BLE       (1u << 7)
#define CSR0_PBL_SHIFT 8
#define CSR0_PBL_MASK  (0x3Fu << CSR0_PBL_SHIFT)
#define CSR0_CAL_SHIFT 14
#define CSR0_DAS       (1u << 16)
#define CSR0_TAP_SHIFT 17
#define CSR0_TAP_MASK  (0x7u << CSR0_TAP_SHIFT)
#define CSR0_DBO       (1u << 20)
#define CSR0_RME       (1u << 21)
#define CSR0_RLE       (1u << 23)
#define CSR0_WIE       (1u << 24)
#define CSR0_WMASK     0x01BFFFFEu /* bits 1-21, 23, 24 */
#define CSR0_RESET     0xFE000000u

/* CSR5: status; CSR7 uses the same layout for enables */
#define CSR5_TI        (1u << 0)
#define CSR5_TPS       (1u << 1)
#define CSR5_TU        (1u << 2)
#define CSR5_TJT       (1u << 3)
#define CSR5_UNF       (1u << 5)
#define CSR5_RI        (1u << 6)
#define CSR5_RU        (1u << 7)
#define CSR5_RPS       (1u << 8)
#define CSR5_RWT       (1u << 9)
#define CSR5_GTE       (1u << 11)
#define CSR5_FBE       (1u << 13)
#define CSR5_ERI       (1u << 14)
#define CSR5_AIS       (1u << 15)
#define CSR5_NIS       (1u << 16)
#define CSR5_RS_SHIFT  17
#define CSR5_RS_MASK   (7u << CSR5_RS_SHIFT)
#define CSR5_TS_SHIFT  20
#define CSR5_TS_MASK   (7u << CSR5_TS_SHIFT)
#define CSR5_EB_SHIFT  23
#define CSR5_EB_MASK   (7u << CSR5_EB_SHIFT)
#define CSR5_RESERVED1 0xFC000000u /* reserved bits read as one */
/* The events that exist on a 21140 (Linux's 0x0001EBEF less summaries). */
#define CSR5_EVENTS 0x00006BEFu
#define CSR5_NORMAL (CSR5_TI | CSR5_TU | CSR5_RI | CSR5_ERI)
/* GTE counts as abnormal: Linux's overload recovery needs it (doc 2, 8). */
#define CSR5_ABNORMAL                                                          \
    (CSR5_TPS | CSR5_TJT | CSR5_UNF | CSR5_RU | CSR5_RPS | CSR5_RWT |          \
     CSR5_GTE | CSR5_FBE)
#define CSR5_EB_MASTER_ABORT 1u

/* Process states as CSR5 TS/RS report them (doc section 4). */
#define TS_STOPPED   0
#define TS_FETCH     1
#define TS_WAIT_END  2
#define TS_READ_BUF  3
#define TS_SETUP     5
#define TS_SUSPENDED 6
#define TS_CLOSE     7
#define RS_STOPPED   0
#define RS_FETCH     1
#define RS_WAIT      3
#define RS_SUSPENDED 4
#define RS_CLOSE     5

/* CSR6: operation mode */
#define CSR6_HP       (1u << 0)
#define CSR6_SR       (1u << 1)
#define CSR6_HO       (1u << 2)
#define CSR6_PB       (1u << 3)
#define CSR6_IF       (1u << 4)
#define CSR6_SB       (1u << 5)
#define CSR6_PR       (1u << 6)
#define CSR6_PM       (1u << 7)
#define CSR6_FD       (1u << 9)
#define CSR6_OM_SHIFT 10
#define CSR6_OM_MASK  (3u << CSR6_OM_SHIFT)
#define CSR6_OM_INT   1u /* internal (FIFO) loopback */
#define CSR6_OM_EXT   2u /* external loopback */
#define CSR6_FC       (1u << 12)
#define CSR6_ST       (1u << 13)
#define CSR6_PS       (1u << 18)
#define CSR6_TTM      (1u << 22)
#define CSR6_MBO      (1u << 25)
#define CSR6_RA       (1u << 30)
#define CSR6_RO       (CSR6_HP | CSR6_HO | CSR6_IF)
#define CSR6_RESET    0x32000040u

#define CSR7_WMASK 0x0001EBEFu
#define CSR7_RESET 0xFFFE0000u

/* CSR8: missed frames */
#define CSR8_MFC_MASK 0xFFFFu
#define CSR8_MFO      (1u << 16)

/* CSR9: serial ROM and MII management */
#define CSR9_SROM_CS  (1u << 0)
#define CSR9_SROM_SK  (1u << 1)
#define CSR9_SROM_DI  (1u << 2)
#define CSR9_SROM_DO  (1u << 3)
#define CSR9_SR       (1u << 11)
#define CSR9_RD       (1u << 14)
#define CSR9_MDC      (1u << 16)
#define CSR9_MDO      (1u << 17)
#define CSR9_MII_READ (1u << 18)
#define CSR9_MDI      (1u << 19)
#define CSR9_RESET    0xFFF483FFu

/* CSR11: general-purpose timer */
#define CSR11_COUNT_MASK 0xFFFFu
#define CSR11_CON        (1u << 16)
#define CSR11_RESET      0xFFFE0000u

/* CSR12: general-purpose port */
#define CSR12_GPC (1u << 8)

/* Receive descriptor */
#define RDES0_OWN      (1u << 31)
#define RDES0_FF       (1u << 30)
#define RDES0_FL_SHIFT 16
#define RDES0_ES       (1u << 15)
#define RDES0_DE       (1u << 14)
#define RDES0_DT_SHIFT 12
#define RDES0_RF       (1u << 11)
#define RDES0_MF       (1u << 10)
#define RDES0_FS       (1u << 9)
#define RDES0_LS       (1u << 8)
#define RDES0_TL       (1u << 7)
#define RDES0_FT       (1u << 5)
#define RDES0_RW       (1u << 4)
#define RDES1_RBS1     0x7FFu
#define RDES1_RBS2_SH  11
#define RDES1_RCH      (1u << 24)
#define RDES1_RER      (1u << 25)

/* Transmit descriptor */
#define TDES0_OWN     (1u << 31)
#define TDES0_ES      (1u << 15)
#define TDES0_TO      (1u << 14)
#define TDES0_LO      (1u << 11)
#define TDES0_NC      (1u << 10)
#define TDES1_TBS1    0x7FFu
#define TDES1_TBS2_SH 11
#define TDES1_FT0     (1u << 22)
#define TDES1_DPD     (1u << 23)
#define TDES1_TCH     (1u << 24)
#define TDES1_TER     (1u << 25)
#define TDES1_AC      (1u << 26)
#define TDES1_SET     (1u << 27)
#define TDES1_FT1     (1u << 28)
#define TDES1_FS      (1u << 29)
#define TDES1_LS      (1u << 30)
#define TDES1_IC      (1u << 31)
/* What the chip writes into a closed setup or empty descriptor. */
#define TDES0_SETUP_DONE 0x7FFFFFFFu

#define TULIP_SETUP_FRAME_LEN 192

/* MII PHY registers (IEEE 802.3 clause 22) */
#define MII_BMCR    0
#define MII_BMSR    1
#define MII_PHYID1  2
#define MII_PHYID2  3
#define MII_ANAR    4
#define MII_ANLPAR  5
#define MII_ANER    6
#define BMCR_RESET  (1u << 15)
#define BMCR_LOOP   (1u << 14)
#define BMCR_ANEN   (1u << 12)
#define BMCR_ANRST  (1u << 9)
#define BMSR_ANDONE (1u << 5)
#define BMSR_LINK   (1u << 2)

#endif /* TULIP_REGS_H */
