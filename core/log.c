/*
 * tulipvm: logging and tracing (see emu/log.h).
 *
 * Output goes to stderr or a test-installed handler.  The state here is
 * process-wide on purpose: there is one terminal and one -trace setting per
 * process, as in QEMU.
 */
#include "emu/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

uint64_t emu_trace_mask;

/* One name per TraceCat, NULL-terminated. */

static const char *const trace_names[TRACE__COUNT + 1] = {
    [TRACE_BUS] = "bus",         [TRACE_MEM] = "mem",
    [TRACE_PCI] = "pci",         [TRACE_IRQ] = "irq",
    [TRACE_CLOCK] = "clock",     [TRACE_CPU] = "cpu",
    [TRACE_POST] = "post",       [TRACE_TULIP] = "tulip",
    [TRACE_SROM] = "srom",       [TRACE_MII] = "mii",
    [TRACE_NET] = "net",         [TRACE_SLIRP] = "slirp",
    [TRACE_BRIDGE] = "bridge",   [TRACE_NETD] = "netd",
    [TRACE_PIC] = "pic",         [TRACE_PIT] = "pit",
    [TRACE_RTC] = "rtc",         [TRACE_UART] = "uart",
    [TRACE_KBD] = "kbd",         [TRACE_VGA] = "vga",
    [TRACE_LOADER] = "loader",   [TRACE_GUI] = "gui",
    [TRACE_CONTROL] = "control",
};

/* Bit i of LogClass is log_class_names[i]; NULL-terminated for joining. */
static const char *const log_class_names[] = {"guest_errors", "unimp", "warn",
                                              NULL};

#define LOG_NCLASSES (G_N_ELEMENTS(log_class_names) - 1)

static struct {
    unsigned enabled;
    uint64_t counts[LOG_NCLASSES];
    LogHandlerFn handler;
    void *handler_opaque;
    /* token bucket for printed lines */
    unsigned burst, per_second;
    double tokens;
    int64_t last_refill_us;
    uint64_t suppressed;
    GMutex lock;
} log_state = {
    .enabled = LOG_GUEST_ERROR | LOG_UNIMP | LOG_WARN,
    .burst = 50,
    .per_second = 20,
    .tokens = 50,
};

G_DEFINE_QUARK(emu - error - quark, emu_error)

bool emu_error_invalid(GError **errp, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID, "%s: %s", what, msg);
    return false;
}

const char *trace_cat_name(TraceCat cat)
{
    if ((unsigned)cat >= TRACE__COUNT) {
        return NULL;
    }
    return trace_names[cat];
}

void trace_set(TraceCat cat, bool on)
{
    if ((unsigned)cat >= TRACE__COUNT) {
        return;
    }
    if (on) {
        emu_trace_mask |= UINT64_C(1) << cat;
    } else {
        emu_trace_mask &= ~(UINT64_C(1) << cat);
    }
}

/*
 * Parse "a,b,c" against names[] (bit i of the result is names[i]); "all"
 * selects every name and "none" clears the selection so far.  On an
 * unknown word the error names it and lists the valid ones.
 */
static bool parse_name_list(const char *spec, const char *option,
                            const char *const *names, unsigned n, uint64_t *out,
                            GError **errp)
{
    uint64_t mask = 0;
    g_auto(GStrv) words = g_strsplit(spec ? spec : "", ",", -1);

    for (int i = 0; words[i]; i++) {
        const char *w = g_strstrip(words[i]);
        unsigned c;

        if (!*w) {
            continue;
        }
        if (!strcmp(w, "all")) {
            mask = (UINT64_C(1) << n) - 1;
            continue;
        }
        if (!strcmp(w, "none")) {
            mask = 0;
            continue;
        }
        for (c = 0; c < n && strcmp(w, names[c]); c++) {
        }
        if (c == n) {
            g_autofree char *valid = g_strjoinv(", ", (char **)names);
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "%s: unknown name '%s' (valid: all, none, %s)", option,
                        w, valid);
            return false;
        }
        mask |= UINT64_C(1) << c;
    }
    *out = mask;
    return true;
}

bool trace_parse(const char *spec, GError **errp)
{
    return parse_name_list(spec, "-trace", trace_names, TRACE__COUNT,
                           &emu_trace_mask, errp);
}

static void log_output(const char *line)
{
    if (log_state.handler) {
        log_state.handler(log_state.handler_opaque, line);
    } else {
        fputs(line, stderr);
        fputc('\n', stderr);
    }
}

void trace_emit(TraceCat cat, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *line =
        g_strdup_printf("trace %s: %s", trace_cat_name(cat), msg);

    g_mutex_lock(&log_state.lock);
    log_output(line);
    g_mutex_unlock(&log_state.lock);
}

static int log_class_index(LogClass cls)
{
    for (unsigned i = 0; i < LOG_NCLASSES; i++) {
        if (cls == 1u << i) {
            return (int)i;
        }
    }
    return -1;
}

/* Token bucket over host time; called with the lock held. */
static bool log_take_token(void)
{
    int64_t now = g_get_monotonic_time();

    if (log_state.last_refill_us == 0) {
        log_state.last_refill_us = now;
    }
    log_state.tokens +=
        (double)(now - log_state.last_refill_us) * log_state.per_second / 1e6;
    log_state.last_refill_us = now;
    if (log_state.tokens > log_state.burst) {
        log_state.tokens = log_state.burst;
    }
    if (log_state.tokens < 1.0) {
        return false;
    }
    log_state.tokens -= 1.0;
    return true;
}

void emu_log(LogClass cls, const char *fmt, ...)
{
    int idx = log_class_index(cls);
    static const char *const prefix[] = {"guest error", "unimplemented",
                                         "warning"};

    if (idx < 0) {
        return;
    }
    g_mutex_lock(&log_state.lock);
    log_state.counts[idx]++;
    if (!(log_state.enabled & cls)) {
        g_mutex_unlock(&log_state.lock);
        return;
    }
    if (!log_take_token()) {
        log_state.suppressed++;
        g_mutex_unlock(&log_state.lock);
        return;
    }

    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *line = NULL;
    if (log_state.suppressed) {
        line = g_strdup_printf("%s: %s (%" G_GUINT64_FORMAT
                               " earlier messages suppressed)",
                               prefix[idx], msg, log_state.suppressed);
        log_state.suppressed = 0;
    } else {
        line = g_strdup_printf("%s: %s", prefix[idx], msg);
    }
    log_output(line);
    g_mutex_unlock(&log_state.lock);
}

bool log_parse(const char *spec, GError **errp)
{
    uint64_t mask;

    if (!parse_name_list(spec, "-d", log_class_names, LOG_NCLASSES, &mask,
                         errp)) {
        return false;
    }
    log_state.enabled = (unsigned)mask;
    return true;
}

void log_set_enabled(unsigned classes)
{
    log_state.enabled = classes;
}

unsigned log_enabled(void)
{
    return log_state.enabled;
}

uint64_t log_count(LogClass cls)
{
    int idx = log_class_index(cls);
    uint64_t n;

    if (idx < 0) {
        return 0;
    }
    g_mutex_lock(&log_state.lock);
    n = log_state.counts[idx];
    g_mutex_unlock(&log_state.lock);
    return n;
}

void log_set_handler(LogHandlerFn fn, void *opaque)
{
    g_mutex_lock(&log_state.lock);
    log_state.handler = fn;
    log_state.handler_opaque = opaque;
    g_mutex_unlock(&log_state.lock);
}

void log_set_rate_limit(unsigned burst, unsigned per_second)
{
    g_mutex_lock(&log_state.lock);
    log_state.burst = burst;
    log_state.per_second = per_second;
    log_state.tokens = burst;
    log_state.last_refill_us = 0;
    g_mutex_unlock(&log_state.lock);
}
