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

static const char *const trace_names[TRACE__COUNT] = {
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

static const struct {
    const char *name;
    LogClass cls;
} log_names[] = {
    {"guest_errors", LOG_GUEST_ERROR},
    {"unimp", LOG_UNIMP},
    {"warn", LOG_WARN},
};

#define LOG_NCLASSES G_N_ELEMENTS(log_names)

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

static char *trace_valid_list(void)
{
    GString *s = g_string_new("all, none");
    for (int i = 0; i < TRACE__COUNT; i++) {
        g_string_append_printf(s, ", %s", trace_names[i]);
    }
    return g_string_free(s, FALSE);
}

bool trace_parse(const char *spec, GError **errp)
{
    uint64_t mask = 0;
    g_auto(GStrv) words = g_strsplit(spec ? spec : "", ",", -1);

    for (int i = 0; words[i]; i++) {
        const char *w = g_strstrip(words[i]);
        bool found = false;

        if (!*w) {
            continue;
        }
        if (!strcmp(w, "all")) {
            mask = (UINT64_C(1) << TRACE__COUNT) - 1;
            continue;
        }
        if (!strcmp(w, "none")) {
            mask = 0;
            continue;
        }
        for (int c = 0; c < TRACE__COUNT; c++) {
            if (!strcmp(w, trace_names[c])) {
                mask |= UINT64_C(1) << c;
                found = true;
                break;
            }
        }
        if (!found) {
            g_autofree char *valid = trace_valid_list();
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "-trace: unknown category '%s' (valid: %s)", w, valid);
            return false;
        }
    }
    emu_trace_mask = mask;
    return true;
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
        if (log_names[i].cls == cls) {
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
    unsigned mask = 0;
    g_auto(GStrv) words = g_strsplit(spec ? spec : "", ",", -1);

    for (int i = 0; words[i]; i++) {
        const char *w = g_strstrip(words[i]);
        bool found = false;

        if (!*w) {
            continue;
        }
        if (!strcmp(w, "none")) {
            mask = 0;
            continue;
        }
        for (unsigned c = 0; c < LOG_NCLASSES; c++) {
            if (!strcmp(w, log_names[c].name)) {
                mask |= log_names[c].cls;
                found = true;
            }
        }
        if (!found) {
            g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                        "-d: unknown log class '%s' (valid: none, "
                        "guest_errors, unimp, warn)",
                        w);
            return false;
        }
    }
    log_state.enabled = mask;
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
