/*
 * tulipvm: Motorola MC146818A real-time clock and CMOS RAM (PC/AT ports
 * 0x70/0x71, IRQ8).
 *
 * Time runs from the machine's virtual clock; the host time is only the
 * start value the machine passes in.  While the divider runs and SET is
 * clear, the time registers are derived on each read from the seconds
 * elapsed since a divider "epoch", so no event fires every second unless
 * the guest enabled an interrupt.  Register C flags are brought up to date
 * lazily (on reads, writes and timer events) from the interval since the
 * last update: PF at the rate of register A, UF at every second boundary,
 * AF when the new time matches the alarm bytes (0xC0-0xFF = don't care).
 * UIP reads 1 during the 244 us before each update; the update itself is
 * instantaneous.
 *
 * Modelled: BCD/binary and 12/24-hour formats (register B), SET, divider
 * reset/start (first update half a second after the divider starts), the
 * three interrupt sources on IRQ8 with IRQF and clear-on-read register C,
 * VRT, the NMI mask bit of port 0x70, PC/AT memory-size bytes, century byte
 * 0x32 and the standard checksum of 0x10-0x2D.
 *
 * Not modelled: daylight saving (DSE), the square-wave pin, test divider
 * settings (any divider other than 32.768 kHz stops the clock), and a
 * guest-written day of week (it is recomputed from the date).
 */
#include "devices/rtc.h"
#include "emu/log.h"
#include "rtc_regs.h"

#define NS_PER_SEC 1000000000LL

typedef struct RtcTm {
    int64_t year;
    int mon, mday, hour, min, sec, wday; /* wday 0 = Sunday */
} RtcTm;

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b) != 0 && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1-12). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void rtc_tm_from_secs(int64_t secs, RtcTm *tm)
{
    int64_t days = floor_div(secs, 86400);
    int64_t sod = secs - days * 86400;
    tm->hour = sod / 3600;
    tm->min = sod / 60 % 60;
    tm->sec = sod % 60;
    tm->wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    tm->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
    tm->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
    tm->year = yoe + era * 400 + (tm->mon <= 2);
}

static bool rtc_divider_running(const Rtc *s)
{
    return (s->cmos[RTC_REG_A] & REGA_DV_MASK) == REGA_DV_32K;
}

static bool rtc_should_freeze(const Rtc *s)
{
    return !rtc_divider_running(s) || (s->cmos[RTC_REG_B] & REGB_SET);
}

static int64_t rtc_now_ns(const Rtc *s)
{
    return clock_now_ns(s->clock);
}

static int64_t rtc_secs_at(const Rtc *s, int64_t ns)
{
    return s->base_secs + floor_div(ns - s->epoch_ns, NS_PER_SEC);
}

/* 32.768 kHz divider ticks since the epoch. */
static int64_t rtc_32k_at(const Rtc *s, int64_t ns)
{
    int64_t d = ns > s->epoch_ns ? ns - s->epoch_ns : 0;
    return (int64_t)((__int128)d * RTC_32K_HZ / NS_PER_SEC);
}

/* Periodic interrupt period in 32 kHz ticks for rate select rs, 0 = off. */
static int64_t rtc_period_32k(int rs)
{
    if (rs == 0) {
        return 0;
    }
    return rs <= 2 ? 1 << (rs + 6) : 1 << (rs - 1);
}

static uint8_t rtc_enc(const Rtc *s, int v)
{
    if (s->cmos[RTC_REG_B] & REGB_DM) {
        return v;
    }
    return (v / 10) << 4 | v % 10;
}

static int rtc_dec(const Rtc *s, uint8_t v)
{
    if (s->cmos[RTC_REG_B] & REGB_DM) {
        return v;
    }
    return (v >> 4) * 10 + (v & 0x0F);
}

static uint8_t rtc_enc_hour(const Rtc *s, int h)
{
    if (s->cmos[RTC_REG_B] & REGB_24H) {
        return rtc_enc(s, h);
    }
    int h12 = h % 12 ? h % 12 : 12;
    return rtc_enc(s, h12) | (h >= 12 ? RTC_HOUR_PM : 0);
}

static int rtc_dec_hour(const Rtc *s, uint8_t v)
{
    if (s->cmos[RTC_REG_B] & REGB_24H) {
        return rtc_dec(s, v);
    }
    int h = rtc_dec(s, v & ~RTC_HOUR_PM) % 12;
    return (v & RTC_HOUR_PM) ? h + 12 : h;
}

/* Write the time registers for secs into regs (a CMOS-sized array). */
static void rtc_render(const Rtc *s, int64_t secs, uint8_t *regs)
{
    RtcTm tm;
    rtc_tm_from_secs(secs, &tm);
    regs[RTC_SECONDS] = rtc_enc(s, tm.sec);
    regs[RTC_MINUTES] = rtc_enc(s, tm.min);
    regs[RTC_HOURS] = rtc_enc_hour(s, tm.hour);
    regs[RTC_DAY_OF_WEEK] = rtc_enc(s, tm.wday + 1);
    regs[RTC_DAY_OF_MONTH] = rtc_enc(s, tm.mday);
    regs[RTC_MONTH] = rtc_enc(s, tm.mon);
    regs[RTC_YEAR] = rtc_enc(s, (int)(tm.year % 100));
    regs[CMOS_CENTURY] = rtc_enc(s, (int)(tm.year / 100));
}

static int rtc_clamp(int v, int lo, int hi, bool *bad)
{
    if (v < lo || v > hi) {
        *bad = true;
        return v < lo ? lo : hi;
    }
    return v;
}

/* Seconds since 1970 from the time registers; bad values are clamped. */
static int64_t rtc_parse(const Rtc *s)
{
    const uint8_t *r = s->cmos;
    bool bad = false;
    int sec = rtc_clamp(rtc_dec(s, r[RTC_SECONDS]), 0, 59, &bad);
    int min = rtc_clamp(rtc_dec(s, r[RTC_MINUTES]), 0, 59, &bad);
    int hour = rtc_clamp(rtc_dec_hour(s, r[RTC_HOURS]), 0, 23, &bad);
    int mday = rtc_clamp(rtc_dec(s, r[RTC_DAY_OF_MONTH]), 1, 31, &bad);
    int mon = rtc_clamp(rtc_dec(s, r[RTC_MONTH]), 1, 12, &bad);
    int yy = rtc_clamp(rtc_dec(s, r[RTC_YEAR]), 0, 99, &bad);
    int cc = rtc_clamp(rtc_dec(s, r[CMOS_CENTURY]), 19, 99, &bad);
    if (bad) {
        emu_log(LOG_GUEST_ERROR, "rtc: time registers out of range, clamped");
    }
    int64_t days = days_from_civil(cc * 100 + yy, mon, mday);
    return days * 86400 + hour * 3600 + min * 60 + sec;
}

static bool rtc_alarm_matches(const Rtc *s, int64_t secs)
{
    static const uint8_t pairs[3][2] = {
        {RTC_SECONDS_ALARM, RTC_SECONDS},
        {RTC_MINUTES_ALARM, RTC_MINUTES},
        {RTC_HOURS_ALARM, RTC_HOURS},
    };
    uint8_t now[RTC_CMOS_SIZE];
    rtc_render(s, secs, now);
    for (int i = 0; i < 3; i++) {
        uint8_t alarm = s->cmos[pairs[i][0]];
        if ((alarm & RTC_ALARM_DONTCARE) != RTC_ALARM_DONTCARE &&
            alarm != now[pairs[i][1]]) {
            return false;
        }
    }
    return true;
}

/* Bring PF/UF/AF up to date with what happened since flags_ns. */
static void rtc_sync_flags(Rtc *s)
{
    int64_t now = rtc_now_ns(s), from = s->flags_ns;
    s->flags_ns = now;
    if (now <= from || !rtc_divider_running(s)) {
        return;
    }
    int64_t per = rtc_period_32k(s->cmos[RTC_REG_A] & REGA_RS_MASK);
    if (per && rtc_32k_at(s, now) / per > rtc_32k_at(s, from) / per) {
        s->cmos[RTC_REG_C] |= REGC_PF;
    }
    if (s->cmos[RTC_REG_B] & REGB_SET) {
        return; /* updates inhibited */
    }
    int64_t k0 = floor_div(from - s->epoch_ns, NS_PER_SEC);
    int64_t k1 = floor_div(now - s->epoch_ns, NS_PER_SEC);
    if (k1 <= k0) {
        return;
    }
    s->cmos[RTC_REG_C] |= REGC_UF;
    /* Any alarm pattern repeats within a day: look at most that far. */
    int64_t first = k1 - k0 > 86400 ? k1 - 86399 : k0 + 1;
    for (int64_t k = first; k <= k1; k++) {
        if (rtc_alarm_matches(s, s->base_secs + k)) {
            s->cmos[RTC_REG_C] |= REGC_AF;
            break;
        }
    }
}

static void rtc_update_irq(Rtc *s)
{
    uint8_t c = s->cmos[RTC_REG_C] & (REGC_PF | REGC_AF | REGC_UF);
    if (c & s->cmos[RTC_REG_B] & (REGB_PIE | REGB_AIE | REGB_UIE)) {
        c |= REGC_IRQF;
    }
    s->cmos[RTC_REG_C] = c;
    bool level = c & REGC_IRQF;
    if (level != s->irq_level) {
        s->irq_level = level;
        TRACE(TRACE_RTC, "rtc_irq level=%d flags=0x%x", level, c);
        irq_set(&s->irq, level);
    }
}

/* Arm the timer for the next event an enabled interrupt waits for. */
static void rtc_schedule(Rtc *s)
{
    uint8_t b = s->cmos[RTC_REG_B];
    int64_t now = rtc_now_ns(s), next = INT64_MAX;
    /* With IRQF up, further events cannot change IRQ8 until C is read
     * (the flags themselves are caught up lazily then). */
    if (!rtc_divider_running(s) || (s->cmos[RTC_REG_C] & REGC_IRQF)) {
        timer_del(&s->timer);
        return;
    }
    int64_t per = rtc_period_32k(s->cmos[RTC_REG_A] & REGA_RS_MASK);
    if ((b & REGB_PIE) && per) {
        int64_t k = (rtc_32k_at(s, now) / per + 1) * per;
        int64_t t =
            s->epoch_ns +
            (int64_t)(((__int128)k * NS_PER_SEC + RTC_32K_HZ - 1) / RTC_32K_HZ);
        next = MIN(next, t);
    }
    if ((b & (REGB_UIE | REGB_AIE)) && !(b & REGB_SET)) {
        int64_t k = floor_div(now - s->epoch_ns, NS_PER_SEC) + 1;
        next = MIN(next, s->epoch_ns + k * NS_PER_SEC);
    }
    if (next == INT64_MAX) {
        timer_del(&s->timer);
    } else {
        timer_mod_ns(&s->timer, next);
    }
}

static void rtc_timer_cb(void *opaque)
{
    Rtc *s = opaque;
    rtc_sync_flags(s);
    rtc_update_irq(s);
    rtc_schedule(s);
}

static void rtc_apply_freeze(Rtc *s)
{
    bool freeze = rtc_should_freeze(s);
    int64_t now = rtc_now_ns(s);
    if (freeze && !s->frozen) {
        rtc_render(s, rtc_secs_at(s, now), s->cmos);
        s->frozen = true;
    } else if (!freeze && s->frozen) {
        s->base_secs = rtc_parse(s) - floor_div(now - s->epoch_ns, NS_PER_SEC);
        s->frozen = false;
    }
}

static bool rtc_is_time_reg(uint8_t idx)
{
    return idx == RTC_SECONDS || idx == RTC_MINUTES || idx == RTC_HOURS ||
           (idx >= RTC_DAY_OF_WEEK && idx <= RTC_YEAR) || idx == CMOS_CENTURY;
}

static uint8_t rtc_read_data(Rtc *s, uint8_t idx)
{
    int64_t now = rtc_now_ns(s);
    switch (idx) {
    case RTC_REG_A: {
        uint8_t v = s->cmos[RTC_REG_A] & ~REGA_UIP;
        int64_t phase = (now - s->epoch_ns) -
                        floor_div(now - s->epoch_ns, NS_PER_SEC) * NS_PER_SEC;
        if (!rtc_should_freeze(s) && phase >= NS_PER_SEC - RTC_UIP_NS) {
            v |= REGA_UIP;
        }
        return v;
    }
    case RTC_REG_C: {
        rtc_sync_flags(s);
        rtc_update_irq(s);
        uint8_t v = s->cmos[RTC_REG_C];
        s->cmos[RTC_REG_C] = 0;
        rtc_update_irq(s);
        rtc_schedule(s);
        return v;
    }
    case RTC_REG_D:
        return REGD_VRT;
    default:
        if (rtc_is_time_reg(idx) && !s->frozen) {
            uint8_t regs[RTC_CMOS_SIZE];
            rtc_render(s, rtc_secs_at(s, now), regs);
            return regs[idx];
        }
        return s->cmos[idx];
    }
}

static void rtc_write_data(Rtc *s, uint8_t idx, uint8_t val)
{
    TRACE(TRACE_RTC, "rtc_write idx=0x%x val=0x%x", idx, val);
    rtc_sync_flags(s);
    switch (idx) {
    case RTC_REG_A: {
        bool was_running = rtc_divider_running(s);
        s->cmos[RTC_REG_A] = val & ~REGA_UIP;
        if (!was_running && rtc_divider_running(s)) {
            /* Datasheet: the first update follows half a second later. */
            s->epoch_ns = rtc_now_ns(s) - NS_PER_SEC / 2;
        } else if (!rtc_divider_running(s) && (val & REGA_DV_MASK) != 0x60 &&
                   (val & REGA_DV_MASK) != 0x70) {
            emu_log(LOG_UNIMP, "rtc: divider setting 0x%x stops the clock",
                    val & REGA_DV_MASK);
        }
        break;
    }
    case RTC_REG_B:
        if (val & REGB_DSE) {
            emu_log(LOG_UNIMP, "rtc: daylight saving not modelled");
        }
        s->cmos[RTC_REG_B] = val;
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        break; /* read-only */
    default:
        if (rtc_is_time_reg(idx) && !s->frozen) {
            /* A running clock takes the new byte as part of its time. */
            rtc_render(s, rtc_secs_at(s, rtc_now_ns(s)), s->cmos);
            s->cmos[idx] = val;
            s->base_secs = rtc_parse(s) -
                           floor_div(rtc_now_ns(s) - s->epoch_ns, NS_PER_SEC);
        } else {
            s->cmos[idx] = val;
        }
        break;
    }
    rtc_apply_freeze(s);
    rtc_update_irq(s);
    rtc_schedule(s);
}

static uint32_t rtc_io_read(void *opaque, uint32_t off, unsigned size)
{
    Rtc *s = opaque;
    (void)size;
    if (off == 0) {
        return 0xFF; /* the index register is write-only */
    }
    return rtc_read_data(s, s->index);
}

static void rtc_io_write(void *opaque, uint32_t off, uint32_t val,
                         unsigned size)
{
    Rtc *s = opaque;
    (void)size;
    if (off == 0) {
        s->index = val & 0x7F;
        s->nmi_masked = val & 0x80;
    } else {
        rtc_write_data(s, s->index, val);
    }
}

static const IoRegionOps rtc_ops = {
    .read = rtc_io_read,
    .write = rtc_io_write,
    .min_size = 1,
    .max_size = 1,
};

static void rtc_set_word(Rtc *s, uint8_t lo_idx, uint8_t hi_idx, uint64_t v)
{
    s->cmos[lo_idx] = v & 0xFF;
    s->cmos[hi_idx] = v >> 8;
}

static void rtc_set_memory_size(Rtc *s, uint64_t ram)
{
    const uint64_t kib = 1024, mib = 1024 * 1024;
    uint64_t ext = ram > mib ? MIN((ram - mib) / kib, 0xFC00) : 0;
    uint64_t high =
        ram > 16 * mib ? MIN((ram - 16 * mib) / (64 * kib), 0xFFFF) : 0;
    rtc_set_word(s, CMOS_BASE_MEM_LO, CMOS_BASE_MEM_HI, 640);
    rtc_set_word(s, CMOS_EXT_MEM_LO, CMOS_EXT_MEM_HI, ext);
    rtc_set_word(s, CMOS_EXT_MEM2_LO, CMOS_EXT_MEM2_HI, ext);
    rtc_set_word(s, CMOS_HIGH_MEM_LO, CMOS_HIGH_MEM_HI, high);
    unsigned sum = 0;
    for (int i = 0x10; i <= 0x2D; i++) {
        sum += s->cmos[i];
    }
    s->cmos[CMOS_CHECKSUM_HI] = sum >> 8;
    s->cmos[CMOS_CHECKSUM_LO] = sum & 0xFF;
}

/* 1970-01-01 .. 9999-12-31: what the year and century bytes can hold. */
#define RTC_MAX_TIME 253402300799LL

bool rtc_init(Rtc *s, Bus *io, Clock *clock, IrqLine irq8, const RtcConfig *cfg,
              GError **errp)
{
    if (cfg->start_time < 0 || cfg->start_time > RTC_MAX_TIME) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "rtc: start time %" G_GINT64_FORMAT " is outside 1970-9999",
                    cfg->start_time);
        return false;
    }
    *s = (Rtc){.clock = clock, .io = io, .irq = irq8};
    timer_init(&s->timer, clock, rtc_timer_cb, s);
    s->cmos[RTC_REG_A] = REGA_DV_32K | 0x06; /* 1024 Hz rate, as firmware */
    s->cmos[RTC_REG_B] = REGB_24H;
    s->cmos[RTC_REG_D] = REGD_VRT;
    rtc_set_memory_size(s, cfg->ram_size);
    s->base_secs = cfg->start_time;
    s->epoch_ns = s->flags_ns = rtc_now_ns(s);
    s->region = bus_map(io, "rtc", RTC_BASE, 2, &rtc_ops, s, errp);
    if (!s->region) {
        return false;
    }
    return true;
}

void rtc_destroy(Rtc *s)
{
    timer_del(&s->timer);
    if (s->region) {
        bus_unmap(s->io, s->region);
        s->region = NULL;
    }
}

bool rtc_nmi_masked(const Rtc *s)
{
    return s->nmi_masked;
}

int64_t rtc_get_time(Rtc *s)
{
    if (s->frozen) {
        return rtc_parse(s);
    }
    return rtc_secs_at(s, rtc_now_ns(s));
}
