/*
 * tulipvm: logging and tracing.
 *
 * Two separate mechanisms, after QEMU's qemu_log_mask and trace events:
 *
 *  - Logs (emu_log) report things a user should hear about: a guest
 *    programming mistake (LOG_GUEST_ERROR), a feature the guest used that we
 *    do not model (LOG_UNIMP), or a host-side warning (LOG_WARN).  A guest
 *    error is never fatal.  Every class is counted even when its printing is
 *    switched off, and printing is rate-limited so a misbehaving guest cannot
 *    flood the terminal.
 *
 *  - Traces (TRACE) are per-category developer events, off by default and
 *    switched on at run time with "-trace tulip,pci".  The enabled check is
 *    one load and one test.
 */
#ifndef EMU_LOG_H
#define EMU_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

typedef enum LogClass {
    LOG_GUEST_ERROR = 1u << 0, /* the guest did something invalid */
    LOG_UNIMP = 1u << 1,       /* the guest used something not modelled */
    LOG_WARN = 1u << 2,        /* host-side problem worth telling the user */
} LogClass;

/*
 * Trace categories.  One per device or subsystem; names are what -trace
 * accepts.  Keep the list in log.c (trace_names) in the same order.
 */
typedef enum TraceCat {
    TRACE_BUS,     /* unassigned port / MMIO accesses, region (un)mapping */
    TRACE_MEM,     /* DMA refusals, memory map changes */
    TRACE_PCI,     /* configuration cycles, BAR mapping */
    TRACE_IRQ,     /* interrupt line changes */
    TRACE_CLOCK,   /* event scheduling */
    TRACE_CPU,     /* interpreter events (exceptions, mode changes) */
    TRACE_POST,    /* POST code ports 0x80 / 0x190 */
    TRACE_TULIP,   /* DEC 21140 registers and processes */
    TRACE_SROM,    /* DEC 21140 serial ROM bit-banging */
    TRACE_MII,     /* DEC 21140 MII management frames */
    TRACE_NET,     /* virtual switch, ports, queues */
    TRACE_SLIRP,   /* shared networking (NAT) */
    TRACE_BRIDGE,  /* host adapter (AF_PACKET) backend */
    TRACE_NETD,    /* host network daemon protocol */
    TRACE_PIC,     /* 8259A */
    TRACE_PIT,     /* 8254 */
    TRACE_RTC,     /* MC146818 */
    TRACE_UART,    /* 16550A */
    TRACE_KBD,     /* i8042 and PS/2 keyboard */
    TRACE_VGA,     /* VGA text mode */
    TRACE_LOADER,  /* Linux loader */
    TRACE_GUI,     /* SDL frontend */
    TRACE_CONTROL, /* control socket */
    TRACE__COUNT
} TraceCat;

extern uint64_t emu_trace_mask;

static inline bool trace_on(TraceCat cat)
{
    return (emu_trace_mask >> cat) & 1;
}

void trace_emit(TraceCat cat, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#define TRACE(cat, ...)                                                        \
    do {                                                                       \
        if (G_UNLIKELY(trace_on(cat))) {                                       \
            trace_emit((cat), __VA_ARGS__);                                    \
        }                                                                      \
    } while (0)

/* Name of a category ("tulip"), or NULL when out of range. */
const char *trace_cat_name(TraceCat cat);

/*
 * Parse a comma-separated category list ("tulip,pci", "all", "none") and
 * enable exactly those.  On an unknown name, nothing changes and errp names
 * the offending word and lists the valid ones.
 */
bool trace_parse(const char *spec, GError **errp);
void trace_set(TraceCat cat, bool on);

void emu_log(LogClass cls, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* "-d guest_errors,unimp,warn": which classes are printed. */
bool log_parse(const char *spec, GError **errp);
void log_set_enabled(unsigned classes);
unsigned log_enabled(void);

/* How many messages of a class were raised since start (printed or not). */
uint64_t log_count(LogClass cls);

/*
 * Where output goes.  The default writes to stderr.  Tests install a
 * handler to capture messages; NULL restores the default.
 */
typedef void (*LogHandlerFn)(void *opaque, const char *line);
void log_set_handler(LogHandlerFn fn, void *opaque);

/*
 * Rate limit for printed log lines: at most burst lines, refilled at
 * per_second lines per second of host time.  Suppressed lines are counted
 * and reported with the next printed line.
 */
void log_set_rate_limit(unsigned burst, unsigned per_second);

/* Error domain used for host/config errors across tulipvm. */
#define EMU_ERROR (emu_error_quark())
GQuark emu_error_quark(void);

typedef enum EmuError {
    EMU_ERROR_INVALID, /* malformed configuration or argument */
    EMU_ERROR_OVERLAP, /* address range collides with an existing one */
    EMU_ERROR_HOST,    /* a host resource failed */
} EmuError;

/* Set *errp to EMU_ERROR_INVALID "what: <message>" and return false, so a
 * parser can report malformed input with one return statement. */
bool emu_error_invalid(GError **errp, const char *what, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

#endif /* EMU_LOG_H */
