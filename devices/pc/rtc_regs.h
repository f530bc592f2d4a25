/*
 * tulipvm: MC146818 register map (Motorola MC146818A datasheet) and the
 * IBM PC/AT CMOS RAM layout conventions.
 */
#ifndef DEVICES_PC_RTC_REGS_H
#define DEVICES_PC_RTC_REGS_H

#define RTC_SECONDS       0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES       0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS         0x04
#define RTC_HOURS_ALARM   0x05
#define RTC_DAY_OF_WEEK   0x06
#define RTC_DAY_OF_MONTH  0x07
#define RTC_MONTH         0x08
#define RTC_YEAR          0x09
#define RTC_REG_A         0x0A
#define RTC_REG_B         0x0B
#define RTC_REG_C         0x0C
#define RTC_REG_D         0x0D

/* Register A */
#define REGA_UIP     0x80
#define REGA_DV_MASK 0x70
#define REGA_DV_32K  0x20 /* 32.768 kHz time base, divider running */
#define REGA_RS_MASK 0x0F

/* Register B */
#define REGB_SET  0x80
#define REGB_PIE  0x40
#define REGB_AIE  0x20
#define REGB_UIE  0x10
#define REGB_SQWE 0x08
#define REGB_DM   0x04 /* binary (1) or BCD (0) */
#define REGB_24H  0x02
#define REGB_DSE  0x01

/* Register C */
#define REGC_IRQF 0x80
#define REGC_PF   0x40
#define REGC_AF   0x20
#define REGC_UF   0x10

/* Register D */
#define REGD_VRT 0x80

#define RTC_HOUR_PM        0x80
#define RTC_ALARM_DONTCARE 0xC0

/* PC/AT CMOS bytes */
#define CMOS_BASE_MEM_LO 0x15 /* KB of base memory */
#define CMOS_BASE_MEM_HI 0x16
#define CMOS_EXT_MEM_LO  0x17 /* KB above 1 MB (max 0xFC00) */
#define CMOS_EXT_MEM_HI  0x18
#define CMOS_CHECKSUM_HI 0x2E /* sum of 0x10-0x2D, big endian */
#define CMOS_CHECKSUM_LO 0x2F
#define CMOS_EXT_MEM2_LO 0x30 /* copy of 0x17/0x18 */
#define CMOS_EXT_MEM2_HI 0x31
#define CMOS_CENTURY     0x32
#define CMOS_HIGH_MEM_LO 0x34 /* 64 KB units above 16 MB */
#define CMOS_HIGH_MEM_HI 0x35

/* UIP is set this long before each update (datasheet: 244 us). */
#define RTC_UIP_NS 244000
#define RTC_32K_HZ 32768

#endif /* DEVICES_PC_RTC_REGS_H */
