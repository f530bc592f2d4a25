/*
 * tulipvm: DEC 21140A "Tulip" PCI Fast Ethernet controller.
 *
 * Models the chip as docs/dec21140.md describes it: PCI identity of the
 * Virtual PC adapter, sixteen CSRs behind an I/O and a memory BAR, the
 * transmit and receive DMA processes as state machines visible in CSR5,
 * ring and chained descriptors, setup frames and the four address filter
 * modes (filter.c), internal and external loopback, the CSR11 timer, the
 * CSR8 missed-frame counter, the GP port, the serial ROM (srom.c) and an
 * MII PHY (mii.c).  Interrupt summaries are derived from enabled sources on
 * every change; INTA# follows them.
 *
 * Time: work runs on the machine clock.  A poll demand or a start schedules
 * the transmit process; every frame costs descriptor fetches and data
 * bursts at 33 MHz PCI, plus wire time (preamble, gap, minimum frame) when
 * a link rate is configured, and its descriptor is closed when that time
 * has passed.  Received frames are stored when they arrive (after their
 * wire time when paced).  Work per event is bounded.
 *
 * Backpressure (architecture.md): with no receive descriptor the NIC
 * refuses the frame and the network layer holds it (the NIC port's queue
 * holds one frame); further frames overflow and count in CSR8.MFC.  As on
 * the chip, a frame arriving at a suspended receive process makes it
 * re-fetch its descriptor, so drivers that never write CSR2 recover.  When
 * paced, frames arriving while the wire is busy queue behind the one being
 * received (up to RX_BACKLOG, standing in for the switch's buffer) and are
 * stored one wire time apart; beyond that they are refused the same way.
 *
 * Link: the 21140 has no link-change interrupt (CSR5 bits 4 and 12 are
 * reserved on it); the cable state shows on GP pin 6 of CSR12 and in the
 * PHY's BMSR, which drivers poll from their media timers.  Frames sent
 * with the cable unplugged close with no-carrier status.  Short frames
 * from the host side are padded to the 60-byte minimum, as the sending
 * MAC would have done on a real segment.
 *
 * Speed (bench/tulip_bench): the buffers of the descriptor that ends a
 * frame are checked when it is fetched but read when the frame leaves, so
 * internal loopback moves the bytes once, from the transmit buffers into
 * the receive buffers with the FCS computed on the way; other frames are
 * assembled in tx_buf first.  DMA remembers the RAM stretches it has seen
 * (pci_dma_ptr_cached), and the per-frame path is forced inline: as calls,
 * its prologues were a tenth of the cost of a small frame.
 *
 * Not modelled: FIFO underflow/overflow, collisions and back-off, the
 * receive watchdog and jabber timers as times (length limits instead),
 * big-endian data buffers (CSR0.BLE, logged), boot ROM access through
 * CSR9/CSR10 (plain storage), CFDD sleep, early receive interrupts.
 */
#include "tulip_int.h"
#include "emu/log.h"

#include <string.h>

#define PCI_CLOCK_NS      30 /* 33 MHz */
#define PCI_ARB_CLOCKS    3  /* arbitration and address phase per burst */
#define DESC_FETCH_NS     ((4 + PCI_ARB_CLOCKS) * PCI_CLOCK_NS)
#define DESC_CLOSE_NS     ((1 + PCI_ARB_CLOCKS) * PCI_CLOCK_NS)
#define SWR_NS            2000 /* > 50 PCI clocks, < 10 us (FreeBSD) */
#define TX_DESC_BUDGET    64   /* descriptors per transmit event */
#define RX_DESC_PER_FRAME 64   /* descriptors one received frame may use */
#define MIN_FRAME_NO_FCS  60
#define ETH_FCS_LEN       4
#define ETH_HEADER_LEN    14
#define ETH_MAX_FCS_FRAME 1518
#define WIRE_OVERHEAD     (8 + 12) /* preamble + SFD, inter-frame gap */
#define GPT_TICK_100M_NS  81920
#define GPT_TICK_10M_NS   204800
#define GP_LINK_PIN       TULIP_SROM_GPR_LINK_PIN
#define RX_BACKLOG        32 /* paced: frames queued behind the one arriving */

struct Tulip {
    PciDevice pci; /* first: the PCI core hands it back to us */
    TulipConfig cfg;
    Clock *clock;
    NetPort port;

    uint32_t csr0, csr3, csr4, csr6, csr7, csr9, csr10, csr15;
    uint32_t events; /* CSR5 bits 16:0 that latch (no summaries) */
    unsigned eb;     /* CSR5 bus error code */
    unsigned tx_state, rx_state;
    uint32_t tx_cur, rx_cur;
    uint32_t mfc; /* CSR8: count and overflow bit */
    uint8_t gp_dir, gp_data;
    bool irq_level;
    PciDmaCache dma; /* RAM stretches the DMA has reached */
    bool swr_active;

    /* CSR11 */
    Timer gpt_timer;
    uint32_t gpt_count;
    bool gpt_con;
    int64_t gpt_tick_ns;

    /* transmit process */
    Timer tx_timer;
    uint8_t tx_buf[TULIP_MAX_FRAME];
    size_t tx_len;  /* bytes of the frame so far */
    size_t tx_held; /* of which copied into tx_buf */
    /* the rest: the last descriptor's buffers, read when the frame leaves */
    const uint8_t *tx_ref[2];
    size_t tx_ref_len[2];
    unsigned tx_nref;
    bool tx_in_frame; /* FS seen, LS not yet */
    bool tx_jabber;   /* frame too long: discard until LS */
    bool tx_inflight; /* LS read, closing when its time has passed */
    bool tx_stop_pending;
    uint32_t tx_first_ctl, tx_ls_ctl, tx_ls_addr;
    int64_t tx_burst_ns; /* buffer reads of the frame being assembled */
    int64_t tx_time_ns;  /* the last frame time, and it in clock cycles */
    uint64_t tx_time_cycles;

    /* receive process */
    Timer rx_timer;      /* paced: end of the frame on the wire */
    Timer rx_poll_timer; /* re-fetch after a frame arrived while suspended */
    /* paced: frames still arriving, a bounded stand-in for the switch */
    uint8_t rx_fifo[RX_BACKLOG][TULIP_MAX_FRAME];
    uint8_t rx_runt[MIN_FRAME_NO_FCS + ETH_FCS_LEN]; /* short frame, padded */
    size_t rx_fifo_len[RX_BACKLOG];
    uint32_t rx_fifo_flags[RX_BACKLOG];
    unsigned rx_fifo_head, rx_fifo_count;
    bool rx_refused;  /* we returned 0: a net_port_flush() is owed */
    bool rx_flushing; /* inside that flush: frames are ones we refused */
    bool rx_stop_pending;

    Timer swr_timer;
    TulipFilter filter;
    NetRxFilter declared;
    TulipSrom srom;
    TulipMii mii;
};

static const char *const csr_names[TULIP_NUM_CSRS] = {
    "CSR0 bus mode", "CSR1 tx poll",   "CSR2 rx poll",   "CSR3 rx list",
    "CSR4 tx list",  "CSR5 status",    "CSR6 op mode",   "CSR7 irq enable",
    "CSR8 missed",   "CSR9 srom/mii",  "CSR10 boot rom", "CSR11 timer",
    "CSR12 gp port", "CSR13 reserved", "CSR14 reserved", "CSR15 watchdog",
};

static const char *tulip_reg_name(unsigned n)
{
    return n < TULIP_NUM_CSRS ? csr_names[n] : "?";
}

/* ---- interrupts ------------------------------------------------------- */

static bool tulip_nis(const Tulip *s)
{
    return (s->events & s->csr7 & CSR5_NORMAL) != 0;
}

static bool tulip_ais(const Tulip *s)
{
    return (s->events & s->csr7 & CSR5_ABNORMAL) != 0;
}

/* The one place INTA# is driven (doc section 4, "INTA#"). */
G_ALWAYS_INLINE static inline void tulip_update_irq(Tulip *s)
{
    bool level = (tulip_nis(s) && (s->csr7 & CSR5_NIS)) ||
                 (tulip_ais(s) && (s->csr7 & CSR5_AIS));
    if (level != s->irq_level) {
        TRACE(TRACE_TULIP, "INTA %s (CSR5 events 0x%x, CSR7 0x%x)",
              level ? "asserted" : "deasserted", s->events, s->csr7);
        s->irq_level = level;
        pci_set_irq(&s->pci, level);
    }
}

static uint32_t tulip_csr5(const Tulip *s)
{
    return CSR5_RESERVED1 | s->eb << CSR5_EB_SHIFT |
           s->tx_state << CSR5_TS_SHIFT | s->rx_state << CSR5_RS_SHIFT |
           (tulip_nis(s) ? CSR5_NIS : 0) | (tulip_ais(s) ? CSR5_AIS : 0) |
           s->events;
}

/* ---- DMA helpers ------------------------------------------------------ */

static void tulip_tx_halt(Tulip *s);
static void tulip_rx_halt(Tulip *s);

/*
 * A bus-master access failed (outside RAM, or mastering disabled): the
 * chip reports a fatal bus error with a master abort and both processes
 * stop (doc section 2, CSR5 FBE).
 */
static void tulip_bus_error(Tulip *s, const char *what, uint32_t addr)
{
    emu_log(LOG_GUEST_ERROR,
            "tulip: %s at 0x%08x failed (not RAM or bus mastering off): "
            "fatal bus error, DMA stopped",
            what, addr);
    s->events |= CSR5_FBE;
    s->eb = CSR5_EB_MASTER_ABORT;
    pci_set_word(&s->pci, PCI_STATUS,
                 pci_get_word(&s->pci, PCI_STATUS) |
                     PCI_STATUS_REC_MASTER_ABORT);
    tulip_tx_halt(s);
    tulip_rx_halt(s);
}

/*
 * Descriptors are read and closed in place (pci_dma_ptr_cached: the same checks
 * as a copy) because these small transfers are most of the per-frame work.
 */
G_ALWAYS_INLINE static inline bool tulip_read_desc(Tulip *s, uint32_t addr,
                                                   uint32_t d[4])
{
    const uint8_t *p = pci_dma_ptr_cached(&s->pci, &s->dma, addr, 16, false);
    if (!p) {
        tulip_bus_error(s, "descriptor read", addr);
        return false;
    }
    memcpy(d, p, 16);
    if (s->csr0 & CSR0_DBO) {
        for (int i = 0; i < 4; i++) {
            d[i] = GUINT32_FROM_BE(d[i]);
        }
    } else {
        for (int i = 0; i < 4; i++) {
            d[i] = GUINT32_FROM_LE(d[i]);
        }
    }
    return true;
}

G_ALWAYS_INLINE static inline bool tulip_close_desc(Tulip *s, uint32_t addr,
                                                    uint32_t status)
{
    uint32_t v =
        s->csr0 & CSR0_DBO ? GUINT32_TO_BE(status) : GUINT32_TO_LE(status);
    uint8_t *p = pci_dma_ptr_cached(&s->pci, &s->dma, addr, 4, true);
    if (!p) {
        tulip_bus_error(s, "descriptor write-back", addr);
        return false;
    }
    memcpy(p, &v, 4);
    return true;
}

/* Next descriptor: end of ring wins over chaining (doc section 3). */
static uint32_t tulip_next_desc(const Tulip *s, uint32_t cur,
                                const uint32_t d[4], uint32_t base)
{
    if (d[1] & RDES1_RER) {
        return base;
    }
    if (d[1] & RDES1_RCH) {
        return d[3] & ~3u;
    }
    return cur + 16 + 4 * ((s->csr0 & CSR0_DSL_MASK) >> CSR0_DSL_SHIFT);
}

/* Time for a data burst of len bytes under CSR0.PBL. */
static int64_t tulip_burst_ns(const Tulip *s, size_t len)
{
    size_t words = (len + 3) / 4;
    size_t pbl = (s->csr0 & CSR0_PBL_MASK) >> CSR0_PBL_SHIFT;
    size_t bursts;
    if (!words) {
        return 0;
    }
    bursts = pbl ? (words + pbl - 1) / pbl : 1;
    return (int64_t)(words + bursts * PCI_ARB_CLOCKS) * PCI_CLOCK_NS;
}

/* Wire time of a frame (without FCS) at the configured rate, 0 unpaced. */
static int64_t tulip_wire_ns(const Tulip *s, size_t len)
{
    size_t bytes;
    if (!s->cfg.rate_mbps) {
        return 0;
    }
    bytes = MAX(len, (size_t)MIN_FRAME_NO_FCS) + ETH_FCS_LEN + WIRE_OVERHEAD;
    return (int64_t)bytes * 8000 / s->cfg.rate_mbps;
}

/* ---- receive address filter -------------------------------------------- */

static void tulip_declare_filter(Tulip *s)
{
    NetRxFilter f;
    tulip_filter_declare(&s->filter, s->csr6, &f);
    if (memcmp(&f, &s->declared, sizeof(f))) {
        s->declared = f;
        net_port_set_rx_filter(&s->port, &f);
    }
}

/* Address decision (doc section 5, "Receive decision"); *ff for PR/RA. */
G_ALWAYS_INLINE static inline bool tulip_rx_accept(const Tulip *s,
                                                   const uint8_t *da, bool *ff)
{
    *ff = false;
    if (tulip_filter_match(&s->filter, da)) {
        return true;
    }
    if ((s->csr6 & CSR6_PM) && (da[0] & 1)) {
        return true;
    }
    if (s->csr6 & (CSR6_PR | CSR6_RA)) {
        *ff = true;
        return true;
    }
    return false;
}

/* ---- receive process ---------------------------------------------------- */

static void tulip_rx_flush(Tulip *s)
{
    if (s->rx_refused) {
        s->rx_refused = false;
        s->rx_flushing = true;
        net_port_flush(&s->port);
        s->rx_flushing = false;
    }
}

static void tulip_count_missed(Tulip *s)
{
    if ((s->mfc & CSR8_MFC_MASK) == CSR8_MFC_MASK) {
        s->mfc |= CSR8_MFO;
    } else {
        s->mfc++;
    }
}

/*
 * Look at the current descriptor.  Returns true when the chip owns it
 * (process running); otherwise the process is suspended, with RU raised on
 * the transition only.
 */
G_ALWAYS_INLINE static inline bool tulip_rx_fetch(Tulip *s)
{
    uint32_t d[4];
    if (!tulip_read_desc(s, s->rx_cur, d)) {
        return false;
    }
    if (d[0] & RDES0_OWN) {
        s->rx_state = RS_WAIT;
        return true;
    }
    if (s->rx_state != RS_SUSPENDED) {
        TRACE(TRACE_TULIP, "rx suspended at 0x%08x (RU)", s->rx_cur);
        s->rx_state = RS_SUSPENDED;
        s->events |= CSR5_RU;
    }
    return false;
}

/*
 * A frame's data in up to three pieces: what the chip already holds, then
 * the two buffers of the transmit descriptor that ends it (internal
 * loopback reads those straight into the receive buffers).
 */
#define FRAME_PIECES 3
typedef struct FrameSrc {
    const uint8_t *p[FRAME_PIECES];
    size_t len[FRAME_PIECES];
    unsigned n;
} FrameSrc;

/*
 * A frame on its way into receive buffers: the data, then its FCS, which
 * is computed while the data is copied (one pass) and is complete when the
 * last data byte has been stored.
 */
typedef struct RxCopy {
    const FrameSrc *src;
    unsigned piece; /* current piece of src, and the offset in it */
    size_t off;
    size_t dlen;
    uint32_t crc; /* over the data stored so far */
    uint8_t fcs[ETH_FCS_LEN];
    bool one_dma; /* data and FCS of a buffer in one transfer */
    size_t done;  /* bytes of data + FCS stored */
} RxCopy;

/* Fill host memory p with the next n bytes of the frame. */
G_ALWAYS_INLINE static inline void tulip_rx_copy(RxCopy *c, uint8_t *p,
                                                 size_t n)
{
    size_t from_data = c->done < c->dlen ? MIN(n, c->dlen - c->done) : 0;
    size_t left = from_data;
    uint8_t *q = p;

    /* The pieces hold at least dlen bytes, so this ends within them. */
    while (left) {
        size_t k = MIN(left, c->src->len[c->piece] - c->off);
        c->crc = tulip_fcs_copy(c->crc, q, c->src->p[c->piece] + c->off, k);
        q += k;
        left -= k;
        c->off += k;
        if (c->off == c->src->len[c->piece]) {
            c->piece++;
            c->off = 0;
        }
    }
    if (from_data) {
        c->done += from_data;
        if (c->done == c->dlen) {
            c->fcs[0] = c->crc & 0xFF;
            c->fcs[1] = (c->crc >> 8) & 0xFF;
            c->fcs[2] = (c->crc >> 16) & 0xFF;
            c->fcs[3] = c->crc >> 24;
        }
    }
    if (n > from_data) {
        memcpy(p + from_data, c->fcs + (c->done - c->dlen), n - from_data);
        c->done += n - from_data;
    }
}

/*
 * Copy the next part of the frame into one receive buffer.  The data and
 * the FCS are one transfer when the frame sits in one of our own buffers
 * (where the FCS used to be appended), two otherwise: each is checked as a
 * whole before anything of it is written.
 */
G_ALWAYS_INLINE static inline bool tulip_rx_fill(Tulip *s, uint32_t buf,
                                                 size_t size, RxCopy *c)
{
    size_t n = MIN(size, c->dlen + ETH_FCS_LEN - c->done);
    size_t from_data;
    uint8_t *p;

    if (!n) {
        return true;
    }
    from_data = c->done < c->dlen ? MIN(n, c->dlen - c->done) : 0;
    if (c->one_dma || !from_data || from_data == n) {
        p = pci_dma_ptr_cached(&s->pci, &s->dma, buf, n, true);
        if (!p) {
            tulip_bus_error(s, "receive buffer write", buf);
            return false;
        }
        tulip_rx_copy(c, p, n);
        return true;
    }
    p = pci_dma_ptr_cached(&s->pci, &s->dma, buf, from_data, true);
    if (!p) {
        tulip_bus_error(s, "receive buffer write", buf);
        return false;
    }
    tulip_rx_copy(c, p, from_data);
    p = pci_dma_ptr_cached(&s->pci, &s->dma, buf + from_data, n - from_data,
                           true);
    if (!p) {
        tulip_bus_error(s, "receive buffer write", buf);
        return false;
    }
    tulip_rx_copy(c, p, n - from_data);
    return true;
}

typedef enum RxResult {
    RX_STORED,
    RX_NO_DESC,
    RX_FAILED, /* bus error: processes stopped */
} RxResult;

/*
 * Store one accepted frame (no FCS, already padded to 60 bytes) into the
 * ring, starting with the current descriptor, and close its descriptors.
 * Frames the chip holds itself (own: transmitted, padded or queued ones)
 * had room to append the FCS, which made data and FCS one DMA per buffer;
 * the checks keep that shape.
 */
G_ALWAYS_INLINE static inline RxResult tulip_rx_store(Tulip *s,
                                                      const FrameSrc *src,
                                                      size_t dlen, bool own,
                                                      uint32_t flags)
{
    uint32_t d[4], nd[4];
    uint32_t addr = s->rx_cur;
    size_t total = dlen + ETH_FCS_LEN;
    uint32_t first = RDES0_FS;
    RxCopy c = {
        .src = src,
        .dlen = dlen,
        .one_dma = own && dlen + ETH_FCS_LEN <= TULIP_MAX_FRAME,
    };

    if (!tulip_read_desc(s, addr, d)) {
        return RX_FAILED;
    }
    if (!(d[0] & RDES0_OWN)) {
        return RX_NO_DESC;
    }
    s->rx_state = RS_CLOSE;
    for (unsigned ndesc = 1;; ndesc++) {
        size_t b1 = d[1] & RDES1_RBS1;
        size_t b2 = d[1] & RDES1_RCH ? 0 : (d[1] >> RDES1_RBS2_SH) & 0x7FF;
        uint32_t next = tulip_next_desc(s, addr, d, s->csr3);
        bool more;

        if (!tulip_rx_fill(s, d[2], b1, &c) ||
            !tulip_rx_fill(s, d[3], b2, &c)) {
            return RX_FAILED;
        }
        more = c.done < total;
        if (more) {
            if (ndesc >= RX_DESC_PER_FRAME) {
                emu_log(LOG_GUEST_ERROR,
                        "tulip: received frame needs more than %u "
                        "descriptors (zero-sized buffers?); truncated",
                        RX_DESC_PER_FRAME);
                nd[0] = 0;
            } else if (!tulip_read_desc(s, next, nd)) {
                return RX_FAILED;
            }
            if (nd[0] & RDES0_OWN) {
                if (!tulip_close_desc(s, addr, first)) {
                    return RX_FAILED;
                }
                first = 0;
                addr = next;
                memcpy(d, nd, sizeof(d));
                continue;
            }
            /* Out of descriptors mid-frame: DE, the rest is flushed. */
            flags |= RDES0_DE | RDES0_ES;
            total = c.done;
        }
        if (total > ETH_MAX_FCS_FRAME) {
            flags |= RDES0_TL | RDES0_ES;
        }
        if (!tulip_close_desc(s, addr,
                              first | RDES0_LS | flags |
                                  (uint32_t)total << RDES0_FL_SHIFT)) {
            return RX_FAILED;
        }
        s->rx_cur = next;
        s->events |= CSR5_RI;
        TRACE(TRACE_TULIP, "rx frame of %zu bytes closed at 0x%08x (0x%x)",
              total, addr, flags);
        return RX_STORED;
    }
}

/* Status flags read from the frame's header (ETH_HEADER_LEN bytes at p). */
static uint32_t tulip_rx_header_flags(const uint8_t *p, unsigned dt)
{
    uint32_t flags = dt << RDES0_DT_SHIFT;
    if (p[0] & 1) {
        flags |= RDES0_MF;
    }
    if ((p[12] << 8 | p[13]) > 1500) {
        flags |= RDES0_FT;
    }
    return flags;
}

/*
 * Prepare a frame for storing: pad runts to the minimum size (senders on
 * the host side do not pad), cap it at the watchdog limit, and compute
 * the status flags that do not depend on descriptors.
 */
G_ALWAYS_INLINE static inline const uint8_t *
tulip_rx_prepare(Tulip *s, const uint8_t *frame, size_t *len, unsigned dt,
                 uint32_t *flags)
{
    size_t n = *len;
    const uint8_t *p = frame;

    if (n > TULIP_MAX_FRAME - ETH_FCS_LEN) {
        n = TULIP_MAX_FRAME - ETH_FCS_LEN;
        *flags |= RDES0_RW | RDES0_ES;
        s->events |= CSR5_RWT;
    }
    if (n < MIN_FRAME_NO_FCS) {
        memcpy(s->rx_runt, frame, n);
        memset(s->rx_runt + n, 0, MIN_FRAME_NO_FCS - n);
        n = MIN_FRAME_NO_FCS;
        p = s->rx_runt;
    }
    *flags |= tulip_rx_header_flags(p, dt);
    *len = n;
    return p;
}

/* After a frame: look ahead at the next descriptor, as the chip does. */
G_ALWAYS_INLINE static inline void tulip_rx_after_frame(Tulip *s)
{
    if (s->rx_stop_pending) {
        s->rx_stop_pending = false;
        s->rx_state = RS_STOPPED;
        s->events |= CSR5_RPS;
        return;
    }
    if (s->rx_state != RS_STOPPED) {
        tulip_rx_fetch(s);
    }
}

/*
 * Frame delivery from the wire or a loopback path: len bytes in src.  own
 * says the frame is the chip's own (transmitted).  A frame in several
 * pieces comes from internal loopback, holds its 14-byte header in the
 * first piece and needs neither padding nor truncation (the caller
 * checked).  Returns the verdict.
 */
G_ALWAYS_INLINE static inline RxResult tulip_rx_frame_src(Tulip *s,
                                                          const FrameSrc *src,
                                                          size_t len,
                                                          unsigned dt, bool own)
{
    const uint8_t *frame = src->p[0];
    uint32_t flags = 0;
    FrameSrc one;
    bool ff;
    RxResult r;

    if (len < 6) {
        uint8_t da[6] = {0};
        memcpy(da, frame, len);
        if (!tulip_rx_accept(s, da, &ff)) {
            return RX_STORED; /* filtered: consumed */
        }
    } else if (!tulip_rx_accept(s, frame, &ff)) {
        return RX_STORED;
    }
    if (ff) {
        flags |= RDES0_FF;
    }
    if (s->rx_state == RS_SUSPENDED && !tulip_rx_fetch(s)) {
        return s->rx_state == RS_STOPPED ? RX_FAILED : RX_NO_DESC;
    }
    if (src->n == 1) {
        const uint8_t *p = tulip_rx_prepare(s, frame, &len, dt, &flags);
        if (p != frame) { /* padded: the chip's own copy */
            own = true;
            one = (FrameSrc){.p = {p}, .len = {len}, .n = 1};
            src = &one;
        }
    } else {
        flags |= tulip_rx_header_flags(frame, dt);
    }
    if (s->cfg.rate_mbps && dt == 0) {
        /*
         * Paced: frames follow each other on the wire; each is stored when
         * its last bit has arrived.  The caller checked there is room.
         * Frames from the wire are in one piece.
         */
        unsigned slot = (s->rx_fifo_head + s->rx_fifo_count) % RX_BACKLOG;
        memcpy(s->rx_fifo[slot], src->p[0], len);
        s->rx_fifo_len[slot] = len;
        s->rx_fifo_flags[slot] = flags;
        if (s->rx_fifo_count++ == 0) {
            /* The data DMA overlaps the wire; closing follows the end. */
            timer_mod_in_ns(&s->rx_timer,
                            tulip_wire_ns(s, len) + DESC_CLOSE_NS);
        }
        return RX_STORED;
    }
    r = tulip_rx_store(s, src, len, own, flags);
    if (r == RX_STORED) {
        tulip_rx_after_frame(s);
    } else if (r == RX_NO_DESC) {
        tulip_rx_fetch(s); /* marks the suspension */
    }
    return r;
}

/* A frame in one piece (from the wire, or assembled in tx_buf). */
static RxResult tulip_rx_frame(Tulip *s, const uint8_t *frame, size_t len,
                               unsigned dt, bool own)
{
    FrameSrc src = {.p = {frame}, .len = {len}, .n = 1};
    return tulip_rx_frame_src(s, &src, len, dt, own);
}

static void tulip_rx_timer_cb(void *opaque)
{
    Tulip *s = opaque;
    unsigned h = s->rx_fifo_head;
    FrameSrc src;
    RxResult r;

    if (!s->rx_fifo_count || s->rx_state == RS_STOPPED) {
        return; /* halted by a bus error or reset meanwhile */
    }
    src = (FrameSrc){.p = {s->rx_fifo[h]}, .len = {s->rx_fifo_len[h]}, .n = 1};
    r = tulip_rx_store(s, &src, s->rx_fifo_len[h], true, s->rx_fifo_flags[h]);
    if (r == RX_NO_DESC) {
        /* The ring ran out while it was arriving: a missed frame. */
        tulip_count_missed(s);
    }
    s->rx_fifo_head = (h + 1) % RX_BACKLOG;
    s->rx_fifo_count--;
    if (r != RX_FAILED) {
        tulip_rx_after_frame(s); /* a pending stop completes here */
    }
    if (s->rx_state == RS_STOPPED) {
        /* Stopped behind this frame: the ones still queued are lost. */
        for (; s->rx_fifo_count; s->rx_fifo_count--) {
            tulip_count_missed(s);
        }
    } else if (s->rx_fifo_count) {
        timer_mod_in_ns(&s->rx_timer,
                        tulip_wire_ns(s, s->rx_fifo_len[s->rx_fifo_head]) +
                            DESC_CLOSE_NS);
    }
    tulip_update_irq(s);
    tulip_rx_flush(s);
}

static void tulip_rx_poll_cb(void *opaque)
{
    Tulip *s = opaque;
    if (s->rx_state == RS_SUSPENDED && tulip_rx_fetch(s)) {
        TRACE(TRACE_TULIP, "rx resumed on frame arrival");
    }
    tulip_update_irq(s);
    if (s->rx_state != RS_SUSPENDED) {
        tulip_rx_flush(s);
    }
}

/*
 * SR 0->1: fetch at the current pointer (CSR3 only moves it while
 * stopped), so a restart continues where the ring was left.
 */
static void tulip_rx_start(Tulip *s)
{
    if (s->rx_stop_pending) {
        s->rx_stop_pending = false;
        return;
    }
    if (s->rx_state != RS_STOPPED) {
        return;
    }
    s->rx_state = RS_FETCH;
    tulip_rx_fetch(s);
}

/*
 * SR 1->0: RPS only on a real running -> stopped transition; NetBSD
 * re-initialises the chip whenever it sees an unexpected one.
 */
static void tulip_rx_stop(Tulip *s)
{
    if (s->rx_state == RS_STOPPED) {
        return;
    }
    if (s->rx_fifo_count) {
        s->rx_stop_pending = true; /* finish the frame in progress */
        return;
    }
    timer_del(&s->rx_poll_timer);
    s->rx_state = RS_STOPPED;
    s->events |= CSR5_RPS;
    TRACE(TRACE_TULIP, "rx stopped (RPS)");
}

/* Stop without a status event (reset, bus error). */
static void tulip_rx_halt(Tulip *s)
{
    timer_del(&s->rx_timer);
    timer_del(&s->rx_poll_timer);
    s->rx_fifo_count = 0;
    s->rx_stop_pending = false;
    s->rx_state = RS_STOPPED;
}

/* ---- transmit process --------------------------------------------------- */

static const int64_t tap_ns[8] = {0,     200000, 800000, 1600000,
                                  12800, 25600,  51200,  102400};

/*
 * No descriptor to send: suspend until CSR1 (or the CSR0.TAP auto-poll).
 * Linux reaps most of its transmit ring on TU, so it is raised on every
 * suspension the process enters from running.
 */
static void tulip_tx_suspend(Tulip *s, bool raise_tu)
{
    unsigned tap = (s->csr0 & CSR0_TAP_MASK) >> CSR0_TAP_SHIFT;
    if (raise_tu) {
        s->events |= CSR5_TU;
    }
    s->tx_state = TS_SUSPENDED;
    TRACE(TRACE_TULIP, "tx suspended at 0x%08x%s", s->tx_cur,
          raise_tu ? " (TU)" : "");
    if (tap) {
        timer_mod_in_ns(&s->tx_timer, tap_ns[tap]);
    }
}

/*
 * A setup descriptor loads the address filter from its 192-byte buffer;
 * FT1/FT0 in TDES1 pick the mode, FS/LS are ignored (doc section 5).
 * Anything shorter is not a table: the old filter stays.
 */
static void tulip_tx_setup_frame(Tulip *s, const uint32_t d[4])
{
    uint8_t table[TULIP_SETUP_FRAME_LEN];
    size_t len = d[1] & TDES1_TBS1;
    TulipFilterMode mode =
        (d[1] & TDES1_FT1 ? 2 : 0) | (d[1] & TDES1_FT0 ? 1 : 0);

    if (len < TULIP_SETUP_FRAME_LEN) {
        emu_log(LOG_GUEST_ERROR,
                "tulip: setup frame of %zu bytes (needs %d): ignored", len,
                TULIP_SETUP_FRAME_LEN);
        return;
    }
    if (!pci_dma_read(&s->pci, d[2], table, sizeof(table))) {
        tulip_bus_error(s, "setup frame read", d[2]);
        return;
    }
    tulip_filter_load(&s->filter, mode, table);
    TRACE(TRACE_TULIP, "setup frame loaded, filter mode %d", mode);
    tulip_declare_filter(s);
}

/* Forget the frame being assembled. */
static void tulip_tx_drop_frame(Tulip *s)
{
    s->tx_in_frame = false;
    s->tx_jabber = false;
    s->tx_len = 0;
    s->tx_held = 0;
    s->tx_nref = 0;
}

/* Copy the referenced buffers into tx_buf: the frame is then all held. */
static void tulip_tx_hold(Tulip *s)
{
    for (unsigned i = 0; i < s->tx_nref; i++) {
        memcpy(s->tx_buf + s->tx_held, s->tx_ref[i], s->tx_ref_len[i]);
        s->tx_held += s->tx_ref_len[i];
    }
    s->tx_nref = 0;
}

/*
 * Append one buffer to the frame being assembled.  The buffer is checked
 * now (a bus error stops the process here, as on the chip) but only
 * referenced: it is read when the frame leaves, which lets internal
 * loopback move the bytes once.  The guest may not touch it before: the
 * descriptor stays the chip's until then (tulip_tx_process copies the
 * buffers of descriptors it closes earlier).  Guest RAM is never unmapped
 * while the machine lives, so the reference stays valid memory.
 */
G_ALWAYS_INLINE static inline bool tulip_tx_append(Tulip *s, uint32_t addr,
                                                   size_t len)
{
    const uint8_t *src;

    if (!len || s->tx_jabber) {
        return true;
    }
    if (s->tx_len + len > TULIP_MAX_FRAME) {
        emu_log(LOG_GUEST_ERROR,
                "tulip: transmit frame longer than %d bytes: jabber, "
                "frame dropped",
                TULIP_MAX_FRAME);
        s->tx_jabber = true;
        s->events |= CSR5_TJT;
        return true;
    }
    src = pci_dma_ptr_cached(&s->pci, &s->dma, addr, len, false);
    if (!src) {
        tulip_bus_error(s, "transmit buffer read", addr);
        return false;
    }
    if (s->tx_nref == 2) {
        tulip_tx_hold(s); /* not reached: two buffers per descriptor */
    }
    s->tx_ref[s->tx_nref] = src;
    s->tx_ref_len[s->tx_nref] = len;
    s->tx_nref++;
    s->tx_len += len;
    return true;
}

/*
 * End the frame in ns.  Frames in a row mostly take the same time: the
 * last conversion to clock cycles (a 128-bit division) is kept.
 */
static void tulip_tx_schedule(Tulip *s, int64_t ns)
{
    if (ns != s->tx_time_ns) {
        s->tx_time_ns = ns;
        s->tx_time_cycles = clock_ns_to_cycles(s->clock, ns);
    }
    timer_mod_in(&s->tx_timer, s->tx_time_cycles);
}

/*
 * Walk descriptors from the current one: close setup and empty ones, read
 * the buffers of the next frame and schedule its completion.
 */
G_ALWAYS_INLINE static inline void tulip_tx_process(Tulip *s, bool raise_tu)
{
    int64_t cost = 0;

    for (unsigned n = 0; n < TX_DESC_BUDGET; n++) {
        uint32_t d[4];
        uint32_t addr = s->tx_cur;
        uint32_t ctl, next;
        size_t b1, b2;

        s->tx_state = TS_FETCH;
        if (!tulip_read_desc(s, addr, d)) {
            return;
        }
        cost += DESC_FETCH_NS;
        if (!(d[0] & TDES0_OWN)) {
            tulip_tx_suspend(s, raise_tu);
            return;
        }
        ctl = d[1];
        next = tulip_next_desc(s, addr, d, s->csr4);
        b1 = ctl & TDES1_TBS1;
        b2 = ctl & TDES1_TCH ? 0 : (ctl >> TDES1_TBS2_SH) & 0x7FF;

        if (ctl & TDES1_SET) {
            s->tx_state = TS_SETUP;
            tulip_tx_setup_frame(s, d);
            if (s->tx_state == TS_STOPPED ||
                !tulip_close_desc(s, addr, TDES0_SETUP_DONE)) {
                return;
            }
            if (ctl & TDES1_IC) {
                s->events |= CSR5_TI;
            }
            cost += tulip_burst_ns(s, TULIP_SETUP_FRAME_LEN) + DESC_CLOSE_NS;
            s->tx_cur = next;
            continue;
        }
        if (ctl & TDES1_FS) {
            if (s->tx_in_frame && s->tx_len) {
                emu_log(LOG_GUEST_ERROR, "tulip: transmit FS before LS; "
                                         "partial frame dropped");
            }
            tulip_tx_drop_frame(s);
            s->tx_in_frame = true;
            s->tx_first_ctl = ctl;
        } else if (!s->tx_in_frame) {
            if (!b1 && !b2 && !(ctl & TDES1_LS)) {
                /* An empty descriptor (Linux's errata filler): close it. */
                if (!tulip_close_desc(s, addr, TDES0_SETUP_DONE)) {
                    return;
                }
                cost += DESC_CLOSE_NS;
                s->tx_cur = next;
                continue;
            }
            emu_log(LOG_GUEST_ERROR, "tulip: transmit descriptor without FS "
                                     "outside a frame; taken as a start");
            tulip_tx_drop_frame(s);
            s->tx_in_frame = true;
            s->tx_first_ctl = ctl;
        }
        s->tx_state = TS_READ_BUF;
        if (!tulip_tx_append(s, d[2], b1) || !tulip_tx_append(s, d[3], b2)) {
            return;
        }
        s->tx_burst_ns += tulip_burst_ns(s, b1) + tulip_burst_ns(s, b2);
        s->tx_cur = next;
        if (!(ctl & TDES1_LS)) {
            /* Closing hands the buffers back: their bytes are read now. */
            tulip_tx_hold(s);
            if (!tulip_close_desc(s, addr, 0)) {
                return;
            }
            continue;
        }
        s->tx_ls_addr = addr;
        s->tx_ls_ctl = ctl;
        s->tx_inflight = true;
        s->tx_state = TS_WAIT_END;
        /* Transmission overlaps the buffer reads once the FIFO fills. */
        tulip_tx_schedule(
            s, cost + MAX(s->tx_burst_ns, tulip_wire_ns(s, s->tx_len)) +
                   DESC_CLOSE_NS);
        s->tx_burst_ns = 0;
        return;
    }
    /* Budget spent (a long run of setup/empty descriptors): go on later. */
    timer_mod_in_ns(&s->tx_timer, cost);
}

/*
 * Internal loopback of a frame still in its pieces (what tx_buf holds,
 * then the last descriptor's buffers): the bytes go from the transmit
 * buffers straight to the receive buffers, FCS computed on the way.  Only
 * for frames that need no padding or truncation and have their header in
 * the first piece; false leaves the others to the general path.  Only
 * len bytes of the pieces are read: a guest-supplied FCS (TDES1.AC) past
 * them is left out.
 */
G_ALWAYS_INLINE static inline bool tulip_tx_loop_direct(Tulip *s, size_t len)
{
    FrameSrc src = {.n = 0};

    if (len < MIN_FRAME_NO_FCS || len > TULIP_MAX_FRAME - ETH_FCS_LEN) {
        return false;
    }
    if (s->tx_held) {
        src.p[src.n] = s->tx_buf;
        src.len[src.n++] = s->tx_held;
    }
    for (unsigned i = 0; i < s->tx_nref; i++) {
        src.p[src.n] = s->tx_ref[i];
        src.len[src.n++] = s->tx_ref_len[i];
    }
    if (src.len[0] < ETH_HEADER_LEN) {
        return false;
    }
    if (s->rx_state != RS_STOPPED &&
        tulip_rx_frame_src(s, &src, len, CSR6_OM_INT, true) == RX_NO_DESC) {
        tulip_count_missed(s);
    }
    return true;
}

/* Put the assembled frame on its way; returns the TDES0 error bits. */
static uint32_t tulip_tx_deliver(Tulip *s)
{
    size_t len = s->tx_len;
    unsigned om = (s->csr6 & CSR6_OM_MASK) >> CSR6_OM_SHIFT;
    uint32_t status = 0;

    if ((s->tx_first_ctl & TDES1_AC) && len >= ETH_FCS_LEN) {
        len -= ETH_FCS_LEN; /* the guest supplied its own FCS */
    }
    TRACE(TRACE_TULIP, "tx frame of %zu bytes (OM %u)", len, om);
    if (om == CSR6_OM_INT && tulip_tx_loop_direct(s, len)) {
        return 0;
    }
    tulip_tx_hold(s);
    if (len < MIN_FRAME_NO_FCS && !(s->tx_first_ctl & TDES1_DPD)) {
        memset(s->tx_buf + len, 0, MIN_FRAME_NO_FCS - len);
        len = MIN_FRAME_NO_FCS;
    }
    if (om == CSR6_OM_INT) {
        /* Internal loopback: back to our receiver, nothing on the wire. */
        if (s->rx_state != RS_STOPPED &&
            tulip_rx_frame(s, s->tx_buf, len, CSR6_OM_INT, true) ==
                RX_NO_DESC) {
            tulip_count_missed(s);
        }
        return 0;
    }
    if (!net_port_link_up(&s->port)) {
        status = TDES0_ES | TDES0_LO | TDES0_NC;
    } else {
        net_port_send(&s->port, s->tx_buf, len);
    }
    if (om == CSR6_OM_EXT && s->rx_state != RS_STOPPED &&
        tulip_rx_frame(s, s->tx_buf, len, CSR6_OM_EXT, true) == RX_NO_DESC) {
        tulip_count_missed(s);
    }
    return status;
}

G_ALWAYS_INLINE static inline void tulip_tx_complete(Tulip *s)
{
    uint32_t status;

    s->tx_inflight = false;
    s->tx_state = TS_CLOSE;
    status = s->tx_jabber ? TDES0_ES | TDES0_TO : tulip_tx_deliver(s);
    tulip_tx_drop_frame(s);
    if (s->tx_state == TS_STOPPED ||
        !tulip_close_desc(s, s->tx_ls_addr, status)) {
        return;
    }
    if (s->tx_ls_ctl & TDES1_IC) {
        s->events |= CSR5_TI;
    }
    s->tx_state = TS_FETCH;
}

static void tulip_tx_stopped(Tulip *s)
{
    timer_del(&s->tx_timer);
    s->tx_burst_ns = 0;
    tulip_tx_drop_frame(s);
    s->tx_state = TS_STOPPED;
    s->events |= CSR5_TPS;
    TRACE(TRACE_TULIP, "tx stopped (TPS)");
}

static void tulip_tx_timer_cb(void *opaque)
{
    Tulip *s = opaque;

    if (s->tx_inflight) {
        tulip_tx_complete(s);
    }
    if (s->tx_stop_pending) {
        s->tx_stop_pending = false;
        tulip_tx_stopped(s);
    } else if (s->tx_state != TS_STOPPED) {
        /*
         * TS_SUSPENDED here means the CSR0.TAP auto-poll fired; a poll
         * that finds nothing leaves the process suspended without a TU.
         */
        tulip_tx_process(s, s->tx_state != TS_SUSPENDED);
    }
    tulip_update_irq(s);
}

static void tulip_tx_start(Tulip *s)
{
    if (s->tx_stop_pending) {
        s->tx_stop_pending = false;
        return;
    }
    if (s->tx_state != TS_STOPPED) {
        return;
    }
    s->tx_state = TS_FETCH;
    timer_mod_in_ns(&s->tx_timer, 0);
}

/* ST 1->0: the frame on the wire finishes first, then TPS (doc 4). */
static void tulip_tx_stop(Tulip *s)
{
    if (s->tx_state == TS_STOPPED) {
        return;
    }
    if (s->tx_inflight) {
        s->tx_stop_pending = true; /* finish the current frame first */
        return;
    }
    tulip_tx_stopped(s);
}

static void tulip_tx_halt(Tulip *s)
{
    timer_del(&s->tx_timer);
    s->tx_burst_ns = 0;
    s->tx_inflight = false;
    s->tx_stop_pending = false;
    tulip_tx_drop_frame(s);
    s->tx_state = TS_STOPPED;
}

/* ---- general-purpose timer (CSR11) -------------------------------------- */

static void tulip_gpt_cb(void *opaque)
{
    Tulip *s = opaque;
    s->events |= CSR5_GTE;
    if (s->gpt_con) {
        timer_mod_in_ns(&s->gpt_timer, (int64_t)s->gpt_count * s->gpt_tick_ns);
    } else {
        s->gpt_count = 0;
    }
    tulip_update_irq(s);
}

/*
 * CSR11: a 16-bit down-counter in port-clock ticks (81.92 us at 100 Mb/s,
 * 204.8 us at 10 Mb/s, chosen by CSR6 PS/TTM when written).  Modelled as
 * one clock event at expiry; reads derive the count from the deadline.
 */
static void tulip_gpt_write(Tulip *s, uint32_t val)
{
    bool fast = (s->csr6 & CSR6_PS) && !(s->csr6 & CSR6_TTM);
    s->gpt_tick_ns = fast ? GPT_TICK_100M_NS : GPT_TICK_10M_NS;
    s->gpt_count = val & CSR11_COUNT_MASK;
    s->gpt_con = (val & CSR11_CON) != 0;
    timer_del(&s->gpt_timer);
    if (s->gpt_count) {
        timer_mod_in_ns(&s->gpt_timer, (int64_t)s->gpt_count * s->gpt_tick_ns);
    }
}

static uint32_t tulip_gpt_read(const Tulip *s)
{
    uint32_t left = 0;
    if (timer_pending(&s->gpt_timer)) {
        int64_t ns =
            clock_cycles_to_ns(s->clock, timer_deadline(&s->gpt_timer)) -
            clock_now_ns(s->clock);
        left = ns <= 0 ? 0
                       : (uint32_t)((ns + s->gpt_tick_ns - 1) / s->gpt_tick_ns);
    }
    return CSR11_RESET | (s->gpt_con ? CSR11_CON : 0) | MIN(left, 0xFFFFu);
}

/* ---- reset ----------------------------------------------------------------
 */

/* CSRs and processes to their reset values (CSR0.SWR and power-on). */
static void tulip_reset_csrs(Tulip *s)
{
    tulip_tx_halt(s);
    tulip_rx_halt(s);
    timer_del(&s->gpt_timer);
    s->csr0 = CSR0_RESET;
    s->csr3 = s->csr4 = 0;
    s->csr6 = CSR6_RESET & ~CSR6_RO;
    s->csr7 = CSR7_RESET;
    s->csr9 = CSR9_RESET;
    s->csr10 = 0;
    s->csr15 = 0;
    s->events = 0;
    s->eb = 0;
    s->tx_cur = s->rx_cur = 0;
    s->mfc = 0;
    s->gp_dir = s->gp_data = 0;
    s->gpt_count = 0;
    s->gpt_con = false;
    s->gpt_tick_ns = GPT_TICK_10M_NS;
    /* HP/HO/IF read 0 after reset; the table RAM itself is not cleared. */
    s->filter.mode = TULIP_FILTER_PERFECT;
    tulip_srom_pins(&s->srom, false, false, false, false);
    tulip_mii_pins(&s->mii, false, false, true);
}

static void tulip_swr_done(void *opaque)
{
    Tulip *s = opaque;
    s->swr_active = false;
    s->csr0 &= ~CSR0_SWR;
    TRACE(TRACE_TULIP, "software reset complete");
}

static void tulip_soft_reset(Tulip *s)
{
    TRACE(TRACE_TULIP, "software reset");
    tulip_reset_csrs(s);
    s->csr0 |= CSR0_SWR;
    s->swr_active = true;
    timer_mod_in_ns(&s->swr_timer, SWR_NS);
    tulip_update_irq(s);
    tulip_declare_filter(s);
    tulip_rx_flush(s); /* a held frame is dropped: receiver stopped */
}

void tulip_reset(Tulip *s)
{
    tulip_reset_csrs(s);
    tulip_filter_clear(&s->filter);
    tulip_srom_reset(&s->srom);
    tulip_mii_reset(&s->mii);
    tulip_update_irq(s);
    tulip_declare_filter(s);
    s->swr_active = true; /* a held frame is dropped without counting */
    tulip_rx_flush(s);
    s->swr_active = false;
    timer_del(&s->swr_timer);
}

/* ---- CSR access -----------------------------------------------------------
 */

static uint32_t tulip_csr_read(Tulip *s, unsigned n)
{
    uint32_t v;
    switch (n) {
    case 0:
        return s->csr0;
    case 1:
    case 2:
        return 0xFFFFFFFFu;
    case 3:
        return s->csr3;
    case 4:
        return s->csr4;
    case 5:
        return tulip_csr5(s);
    case 6:
        return s->csr6 | tulip_filter_csr6_bits(&s->filter);
    case 7:
        return s->csr7;
    case 8:
        v = s->mfc;
        s->mfc = 0; /* cleared by reading */
        return v;
    case 9:
        return (s->csr9 & ~(CSR9_SROM_DO | CSR9_MDI)) |
               (tulip_srom_dout(&s->srom) ? CSR9_SROM_DO : 0) |
               (tulip_mii_mdi(&s->mii) ? CSR9_MDI : 0);
    case 10:
        return s->csr10;
    case 11:
        return tulip_gpt_read(s);
    case 12: {
        uint8_t inputs = net_port_link_up(&s->port) ? 1u << GP_LINK_PIN : 0;
        return (s->gp_data & s->gp_dir) | (inputs & ~s->gp_dir);
    }
    case 15:
        return s->csr15;
    default:
        return 0; /* CSR13/14: SIA registers of other family members */
    }
}

/*
 * CSR6 starts and stops the processes on ST/SR edges only, so drivers
 * that rewrite it with the same bits (Linux set_rx_mode) change nothing.
 */
static void tulip_csr6_write(Tulip *s, uint32_t val)
{
    uint32_t old = s->csr6;

    if (val & CSR6_RO) {
        TRACE(TRACE_TULIP, "CSR6 read-only HP/HO/IF bits 0x%x ignored",
              val & CSR6_RO);
    }
    s->csr6 = val & ~CSR6_RO;
    if ((val & CSR6_OM_MASK) == CSR6_OM_MASK) {
        emu_log(LOG_GUEST_ERROR, "tulip: CSR6 operating mode 11 is reserved");
    }
    if ((val & CSR6_ST) && !(old & CSR6_ST)) {
        tulip_tx_start(s);
    } else if (!(val & CSR6_ST) && (old & CSR6_ST)) {
        tulip_tx_stop(s);
    }
    if ((val & CSR6_SR) && !(old & CSR6_SR)) {
        tulip_rx_start(s);
    } else if (!(val & CSR6_SR) && (old & CSR6_SR)) {
        tulip_rx_stop(s);
    }
    tulip_declare_filter(s);
    tulip_update_irq(s);
    /* A held frame gets its answer: receive started, or dropped. */
    if (s->rx_state != RS_SUSPENDED) {
        tulip_rx_flush(s);
    }
}

static void tulip_csr_write(Tulip *s, unsigned n, uint32_t val)
{
    if (s->swr_active && n != 9) {
        emu_log(LOG_GUEST_ERROR,
                "tulip: %s written 0x%08x during software reset: ignored",
                tulip_reg_name(n), val);
        return;
    }
    switch (n) {
    case 0:
        if (val & CSR0_SWR) {
            tulip_soft_reset(s);
            return;
        }
        if (val & CSR0_BLE) {
            emu_log(LOG_UNIMP, "tulip: big-endian data buffers (CSR0.BLE)");
        }
        s->csr0 = CSR0_RESET | (val & CSR0_WMASK);
        return;
    case 1:
        if (s->tx_state == TS_SUSPENDED) {
            s->tx_state = TS_FETCH;
            timer_mod_in_ns(&s->tx_timer, 0);
        }
        return;
    case 2:
        if (s->rx_state == RS_SUSPENDED) {
            tulip_rx_fetch(s);
            tulip_update_irq(s);
            if (s->rx_state != RS_SUSPENDED) {
                tulip_rx_flush(s);
            }
        }
        return;
    case 3:
    case 4: {
        bool rx = n == 3;
        unsigned st = rx ? s->rx_state : s->tx_state;
        bool idle = rx ? (st == RS_STOPPED || st == RS_SUSPENDED)
                       : (st == TS_STOPPED || st == TS_SUSPENDED);
        if (!idle) {
            emu_log(LOG_GUEST_ERROR,
                    "tulip: %s written 0x%08x while the process runs: "
                    "ignored",
                    tulip_reg_name(n), val);
            return;
        }
        if (val & 3) {
            emu_log(LOG_GUEST_ERROR, "tulip: %s 0x%08x not longword aligned",
                    tulip_reg_name(n), val);
        }
        if (rx) {
            s->csr3 = s->rx_cur = val & ~3u;
        } else {
            s->csr4 = s->tx_cur = val & ~3u;
        }
        return;
    }
    case 5:
        s->events &= ~(val & CSR5_EVENTS);
        if (!(s->events & CSR5_FBE)) {
            s->eb = 0;
        }
        tulip_update_irq(s);
        return;
    case 6:
        tulip_csr6_write(s, val);
        return;
    case 7:
        s->csr7 = CSR7_RESET | (val & CSR7_WMASK);
        tulip_update_irq(s);
        return;
    case 9:
        if (s->swr_active) {
            return;
        }
        s->csr9 = val;
        tulip_srom_pins(&s->srom, val & CSR9_SR, val & CSR9_SROM_CS,
                        val & CSR9_SROM_SK, val & CSR9_SROM_DI);
        tulip_mii_pins(&s->mii, val & CSR9_MDC, val & CSR9_MDO,
                       val & CSR9_MII_READ);
        return;
    case 10:
        s->csr10 = val;
        return;
    case 11:
        tulip_gpt_write(s, val);
        return;
    case 12:
        if (val & CSR12_GPC) {
            s->gp_dir = val & 0xFF;
        } else {
            s->gp_data = val & 0xFF;
        }
        return;
    case 15:
        s->csr15 = val;
        return;
    default:
        return; /* CSR8 is read-only; CSR13/14 do not exist here */
    }
}

static uint32_t tulip_io_read(void *opaque, uint32_t off, unsigned size)
{
    Tulip *s = opaque;
    uint32_t v;
    (void)size;
    if (off & 7) {
        emu_log(LOG_GUEST_ERROR, "tulip: read at 0x%02x between CSRs", off);
        return 0xFFFFFFFFu;
    }
    v = tulip_csr_read(s, off >> 3);
    TRACE(TRACE_TULIP, "read %s = 0x%08x", tulip_reg_name(off >> 3), v);
    return v;
}

static void tulip_io_write(void *opaque, uint32_t off, uint32_t val,
                           unsigned size)
{
    Tulip *s = opaque;
    (void)size;
    if (off & 7) {
        emu_log(LOG_GUEST_ERROR, "tulip: write 0x%08x at 0x%02x between CSRs",
                val, off);
        return;
    }
    TRACE(TRACE_TULIP, "write %s = 0x%08x", tulip_reg_name(off >> 3), val);
    tulip_csr_write(s, off >> 3, val);
}

/* Drivers use longword accesses only; the bus adapts anything else. */
static const IoRegionOps tulip_csr_ops = {
    .read = tulip_io_read,
    .write = tulip_io_write,
    .min_size = 4,
    .max_size = 4,
};

/* ---- network port ---------------------------------------------------------
 */

/*
 * A frame from the network.  Returns len when it was stored, filtered out
 * or lost as on the wire; 0 when no receive descriptor is available, which
 * obliges us to a later net_port_flush() (tulip_rx_flush).
 */
static ssize_t tulip_net_receive(NetPort *p, const uint8_t *frame, size_t len)
{
    Tulip *s = p->opaque;
    unsigned om = (s->csr6 & CSR6_OM_MASK) >> CSR6_OM_SHIFT;
    RxResult r;

    if (s->rx_state == RS_STOPPED || om == CSR6_OM_INT) {
        /*
         * Not listening to the wire: the frame is lost.  One we refused
         * earlier for want of a descriptor is a missed frame, as the chip
         * would have counted it on arrival.
         */
        if (s->rx_flushing && !s->swr_active) {
            tulip_count_missed(s);
        }
        return (ssize_t)len;
    }
    if (s->rx_fifo_count == RX_BACKLOG) {
        s->rx_refused = true; /* paced: the wire is booked up */
        return 0;
    }
    r = tulip_rx_frame(s, frame, len, 0, false);
    tulip_update_irq(s);
    if (r == RX_NO_DESC) {
        s->rx_refused = true;
        return 0;
    }
    return (ssize_t)len;
}

/*
 * The layer dropped a frame for us: our queue already holds the refused
 * one.  That is a real overflow (CSR8) when we have no descriptor, and, as
 * on the chip, a frame arriving makes a suspended receiver re-fetch.
 */
static void tulip_net_missed(NetPort *p)
{
    Tulip *s = p->opaque;
    if (s->rx_state == RS_SUSPENDED) {
        tulip_count_missed(s);
        if (!timer_pending(&s->rx_poll_timer)) {
            timer_mod_in_ns(&s->rx_poll_timer, DESC_FETCH_NS);
        }
    }
}

static void tulip_net_link_changed(NetPort *p, bool up)
{
    Tulip *s = p->opaque;
    TRACE(TRACE_TULIP, "link %s", up ? "up" : "down");
    tulip_mii_set_link(&s->mii, up);
}

static const NetPortOps tulip_port_ops = {
    .receive = tulip_net_receive,
    .missed = tulip_net_missed,
    .link_changed = tulip_net_link_changed,
};

/* ---- lifecycle ------------------------------------------------------------
 */

void tulip_config_default(TulipConfig *cfg)
{
    static const uint8_t mac[6] = {0x00, 0x03, 0xFF, 0x00, 0x00, 0x01};
    memset(cfg, 0, sizeof(*cfg));
    memcpy(cfg->mac, mac, 6);
    cfg->model = TULIP_MODEL_DC21140;
    cfg->link_up = true;
    cfg->rate_mbps = 0;
    cfg->subsys_vendor = 0x0A00;
    cfg->subsys_id = 0x2114;
}

const char *tulip_model_name(TulipModel model)
{
    return model == TULIP_MODEL_DC21140_GPR ? "dc21140-gpr" : "dc21140";
}

bool tulip_parse_model(const char *name, TulipModel *model, GError **errp)
{
    if (!strcmp(name, "dc21140")) {
        *model = TULIP_MODEL_DC21140;
        return true;
    }
    if (!strcmp(name, "dc21140-gpr")) {
        *model = TULIP_MODEL_DC21140_GPR;
        return true;
    }
    g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                "model=%s: unknown NIC model (dc21140, dc21140-gpr)", name);
    return false;
}

bool tulip_parse_rate(const char *str, unsigned *mbps, GError **errp)
{
    if (!g_ascii_strcasecmp(str, "10M")) {
        *mbps = 10;
    } else if (!g_ascii_strcasecmp(str, "100M")) {
        *mbps = 100;
    } else if (!strcmp(str, "0") || !strcmp(str, "off")) {
        *mbps = 0;
    } else {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "rate=%s: expected 10M, 100M or off", str);
        return false;
    }
    return true;
}

Tulip *tulip_create(PciBus *bus, int slot, Clock *clock, NetPort *peer,
                    const TulipConfig *cfg, GError **errp)
{
    Tulip *s;
    uint8_t image[TULIP_SROM_BYTES];
    char name[16];

    if (cfg->rate_mbps != 0 && cfg->rate_mbps != 10 && cfg->rate_mbps != 100) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "tulip: rate %u Mb/s not supported (10, 100 or 0)",
                    cfg->rate_mbps);
        return NULL;
    }
    if (cfg->model != TULIP_MODEL_DC21140 &&
        cfg->model != TULIP_MODEL_DC21140_GPR) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "tulip: unknown model %d", cfg->model);
        return NULL;
    }
    if (cfg->mac[0] & 1) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "tulip: mac %02x:%02x:%02x:%02x:%02x:%02x is a group "
                    "address",
                    cfg->mac[0], cfg->mac[1], cfg->mac[2], cfg->mac[3],
                    cfg->mac[4], cfg->mac[5]);
        return NULL;
    }
    s = g_new0(Tulip, 1);
    s->cfg = *cfg;
    s->clock = clock;
    /* Up to four adapters: name each after its slot in traces. */
    g_snprintf(name, sizeof(name), "tulip@%02x", slot & 0xFF);
    if (!pci_device_init(&s->pci, bus, name, slot, 0, TULIP_VENDOR_DEC,
                         TULIP_DEVICE_21140, TULIP_REVISION_21140A,
                         TULIP_CLASS_ETHERNET, 1, errp)) {
        g_free(s);
        return NULL;
    }
    s->pci.opaque = s;
    pci_set_word(&s->pci, PCI_STATUS,
                 PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_BACK);
    pci_set_word(&s->pci, PCI_SUBSYSTEM_VENDOR_ID, cfg->subsys_vendor);
    pci_set_word(&s->pci, PCI_SUBSYSTEM_ID, cfg->subsys_id);
    pci_set_byte(&s->pci, PCI_MIN_GNT, 0x14);
    pci_set_byte(&s->pci, PCI_MAX_LAT, 0x28);
    /* CFDD: sleep/snooze and the driver scratch byte */
    s->pci.wmask[TULIP_PCI_CFDD + 1] = 0xFF;
    s->pci.wmask[TULIP_PCI_CFDD + 3] = 0xC0;
    pci_register_bar(&s->pci, 0, PCI_BAR_TYPE_IO, TULIP_CSR_SPACE,
                     &tulip_csr_ops, s);
    pci_register_bar(&s->pci, 1, PCI_BAR_TYPE_MEM32, TULIP_CSR_SPACE,
                     &tulip_csr_ops, s);

    tulip_srom_build(image,
                     cfg->model == TULIP_MODEL_DC21140 ? TULIP_SROM_MII
                                                       : TULIP_SROM_GPR,
                     cfg->mac, cfg->subsys_vendor, cfg->subsys_id);
    tulip_srom_init(&s->srom, image);
    tulip_mii_init(&s->mii, cfg->model == TULIP_MODEL_DC21140, cfg->link_up);

    timer_init(&s->tx_timer, clock, tulip_tx_timer_cb, s);
    timer_init(&s->rx_timer, clock, tulip_rx_timer_cb, s);
    timer_init(&s->rx_poll_timer, clock, tulip_rx_poll_cb, s);
    timer_init(&s->gpt_timer, clock, tulip_gpt_cb, s);
    timer_init(&s->swr_timer, clock, tulip_swr_done, s);

    net_port_init(&s->port, clock, name, &tulip_port_ops, s);
    /* One refused frame is held; more overflow into CSR8 (missed()). */
    net_port_set_queue_limit(&s->port, 1);
    net_port_set_mac(&s->port, cfg->mac);
    net_port_set_link(&s->port, cfg->link_up);
    memset(&s->declared, 0xFF, sizeof(s->declared)); /* force a first one */
    tulip_reset(s);
    if (peer) {
        net_port_connect(&s->port, peer);
    }
    return s;
}

void tulip_destroy(Tulip *s)
{
    if (!s) {
        return;
    }
    timer_del(&s->tx_timer);
    timer_del(&s->rx_timer);
    timer_del(&s->rx_poll_timer);
    timer_del(&s->gpt_timer);
    timer_del(&s->swr_timer);
    net_port_cleanup(&s->port);
    pci_device_unplug(&s->pci);
    g_free(s);
}

NetPort *tulip_port(Tulip *s)
{
    return &s->port;
}

PciDevice *tulip_pci(Tulip *s)
{
    return &s->pci;
}
