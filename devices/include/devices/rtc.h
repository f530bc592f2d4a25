/*
 * tulipvm: Motorola MC146818 real-time clock with 128 bytes of CMOS RAM at
 * ports 0x70 (index, bit 7 = NMI mask) and 0x71 (data), IRQ8.
 */
#ifndef DEVICES_RTC_H
#define DEVICES_RTC_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "emu/bus.h"
#include "emu/clock.h"
#include "emu/irq.h"

#define RTC_BASE      0x70
#define RTC_CMOS_SIZE 128

typedef struct RtcConfig {
    int64_t start_time; /* RTC time at power-on, seconds since 1970 (UTC) */
    uint64_t ram_size;  /* guest RAM in bytes, for the memory-size bytes */
} RtcConfig;

typedef struct Rtc {
    Clock *clock;
    Bus *io;
    IoRegion *region;
    IrqLine irq;
    Timer timer;
    uint8_t cmos[RTC_CMOS_SIZE];
    uint8_t index;
    bool nmi_masked;
    bool frozen;       /* time registers hold the time (SET, divider off) */
    int64_t base_secs; /* time at epoch_ns while running */
    int64_t epoch_ns;  /* a second boundary of the divider chain */
    int64_t flags_ns;  /* register C flags are current up to here */
    bool irq_level;
} Rtc;

bool rtc_init(Rtc *s, Bus *io, Clock *clock, IrqLine irq8, const RtcConfig *cfg,
              GError **errp);
void rtc_destroy(Rtc *s);

/* NMI enable as last written to port 0x70 bit 7 (for the machine). */
bool rtc_nmi_masked(const Rtc *s);

/* The RTC's current time in seconds since 1970 (inspection, tests). */
int64_t rtc_get_time(Rtc *s);

#endif /* DEVICES_RTC_H */
