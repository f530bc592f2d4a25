/*
 * tulipvm: x86 interpreter internals shared by the files of core/cpu/.
 *
 * Layout: cpu.c (lifecycle, run loop, interrupts), mmu.c (software TLB,
 * page walks, linear and segmented accesses), flags.c (lazy EFLAGS),
 * system.c (descriptors, exceptions, privilege transitions, control
 * registers), decode.c (decoder), icache.c (decoded-instruction cache and
 * its invalidation), exec.c (instruction semantics and the execution
 * loop), fpu.c (glue to the x87).
 *
 * Guest memory: two direct-mapped TLBs (CPL 3 and CPL 0-2) map linear
 * pages to host pointers; the access fast path is one compare.  Pages
 * holding cached instructions are written through a medium path (tag_wc)
 * that drops the stale instructions first.
 *
 * Faults unwind with longjmp to the run loop, which restores EIP and ESP
 * to their values at the start of the instruction and delivers the
 * exception.  Instructions therefore perform every access that can fault
 * before they change registers other than ESP.
 */
#ifndef EMU_CPU_INTERNAL_H
#define EMU_CPU_INTERNAL_H

#include <setjmp.h>
#include <string.h>
#include "emu/cpu.h"
#include "emu/x87.h"

#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_NONE 1u /* never equals a page-aligned address */
/*
 * TLB tags are "linear page | epoch" with epoch 1..TLB_EPOCH_MAX; a flush
 * just moves to the next epoch (O(1)), so tag 0 is never current.
 */
#define TLB_INVALID   0u
#define TLB_EPOCH_MAX 0xFFFu
/* RAM is at most 0xFFFFF000 bytes, so no cached instruction lives here. */
#define FETCH_NOT_RAM 0xFFFFF000u

/* One direct-mapped TLB entry: tags are linear page addresses. */
typedef struct TlbEntry {
    uint32_t tag_r;   /* page | epoch: readable (and executable) via addend */
    uint32_t tag_w;   /* page | epoch: writable via addend */
    uint32_t tag_wc;  /* page | epoch: writable, but holds cached code */
    uintptr_t addend; /* host address = addend + linear address */
    uint32_t phys;    /* physical page */
    uint32_t ram;     /* RAM offset of the page, TLB_NONE if not RAM */
    bool global;
} TlbEntry;

/*
 * A decoded instruction, cached by the RAM offset of its first byte.
 * Only instructions wholly inside one RAM page are cached; a write to a
 * page holding cached code clears the page's entries (tags only, so an
 * instruction that rewrites itself finishes with its decoded form).
 */
typedef struct DInsn {
    /* RAM offset of the first byte | mode << 32, mode 1: 16-bit code,
     * 2: 32-bit code; 0 when invalid */
    uint64_t key;
    uint8_t len;   /* total length with prefixes */
    uint16_t op;   /* 0x00-0xFF, 0x100 + second byte for 0F xx */
    uint8_t flags; /* DI_* */
    uint8_t modrm;
    int8_t seg;                 /* segment override, -1 when none */
    int8_t eseg;                /* segment of the memory operand */
    uint8_t base, index, scale; /* 8: no register */
    uint8_t fast;               /* FAST_* handler, 0: generic */
    uint32_t disp;
    uint8_t imm[8]; /* immediate bytes in instruction order */
} DInsn;

#define DI_OP32  0x01
#define DI_AD32  0x02
#define DI_REPZ  0x04 /* F3 */
#define DI_REPNZ 0x08 /* F2 */
#define DI_MEM   0x10 /* ModRM with a memory operand */

#define ICACHE_BITS 18
#define ICACHE_SIZE (1u << ICACHE_BITS)

/* Lazy flag operations: how to derive CF/PF/AF/ZF/SF/OF from cc_*. */
enum {
    CC_EFLAGS, /* the flags in eflags are current */
    CC_ADD,
    CC_ADC,
    CC_SUB,
    CC_SBB,
    CC_LOGIC,
    CC_INC,
    CC_DEC,
    CC_NEG,
    CC_SHL,
    CC_SHR,
    CC_SAR,
    CC_MUL, /* CF = OF = (cc_src1 != 0) */
};

#define FLAGS_ARITH                                                            \
    (CPU_FLAG_CF | CPU_FLAG_PF | CPU_FLAG_AF | CPU_FLAG_ZF | CPU_FLAG_SF |     \
     CPU_FLAG_OF)

/* Descriptor access-rights bits (CpuSegment.flags, high dword bits 8..23). */
#define SEG_TYPE_MASK 0x0F00u
#define SEG_ACCESSED  0x0100u
#define SEG_RW        0x0200u /* data: writable, code: readable */
#define SEG_DC        0x0400u /* data: expand-down, code: conforming */
#define SEG_CODE      0x0800u
#define SEG_S         0x1000u /* code/data (not system) */
#define SEG_DPL_SHIFT 13
#define SEG_P         0x8000u
#define SEG_DB        0x400000u
#define SEG_G         0x800000u

struct Cpu {
    /* Hot state first. */
    union {
        uint32_t r[9]; /* r[8] stays 0: "no register" in addressing */
        uint16_t r16[18];
        uint8_t r8[36];
    } g;
    uint32_t eip;
    uint32_t eflags; /* arithmetic bits stale unless cc_op == CC_EFLAGS */
    uint32_t cc_res, cc_src1, cc_src2;
    uint8_t cc_op, cc_size; /* cc_size: 1, 2 or 4 */
    uint8_t cc_cfin;        /* carry into ADC/SBB, CF before INC/DEC */
    uint8_t cpl;
    bool code32;        /* CS.D */
    bool stack32;       /* SS.B */
    bool pe;            /* CR0.PE */
    bool paging;        /* CR0.PG */
    TlbEntry *tlb;      /* tlb_user or tlb_sup for the current CPL */
    uint32_t tlb_epoch; /* current TLB epoch (low bits of valid tags) */
    bool tlb_globals;   /* some entry is global (CR3 loads must keep it) */
    bool tlb_has_large; /* some entry came from a 4 MiB page */

    /* Segment accesses: one range check on the fast path. */
    CpuSegment seg[6];
    uint8_t seg_ok[6]; /* bit 0 readable, bit 1 writable, 0: slow path */

    /* Code fetch window: one linear page that is directly readable. */
    uint32_t fetch_page; /* linear page, TLB_NONE when invalid */
    const uint8_t *fetch_host;
    uint32_t fetch_ram; /* RAM offset of that page, FETCH_NOT_RAM for ROM */
    uint64_t fetch_key; /* fetch_ram | code mode << 32 (see DInsn.key) */
    DInsn *icache;      /* ICACHE_SIZE entries */
    DInsn scratch;      /* an instruction that is not cached */
    uint32_t *code_map; /* per RAM page: 128-byte chunks with cached code */
    /* last RAM window hit by a physical access (mmu.c phys_ram) */
    uint32_t win_lo, win_len;
    uint64_t win_delta;
    uint64_t icache_flushes;

    /* Instruction being executed. */
    uint32_t insn_eip; /* EIP at the start (faults restart here) */
    uint32_t insn_esp; /* ESP at the start */
    uint32_t next_eip;

    uint64_t cycles_left; /* until the run limit */
    uint64_t cycles_done; /* executed and not yet added to the clock */
    bool check_intr;      /* look at IntrSource before the next insn */
    bool shadow;          /* interrupts blocked for one instruction */
    bool halted;
    bool exit_request;
    bool shutdown;

    CpuSegment ldtr, tr;
    uint32_t gdt_base, gdt_limit, idt_base, idt_limit;
    uint32_t cr0, cr2, cr3, cr4;
    uint32_t dr[8];
    uint64_t tsc_offset;

    /* Exception being delivered (double fault detection). */
    int delivering; /* -1: none */
    int pending_vec;
    uint32_t pending_err;
    bool pending_has_err;

    uint64_t insn_count;
    uint64_t exc_count;
    int last_exc;

    MemMap *mem;
    uint8_t *ram;
    uint64_t ram_size;
    Bus *io;
    Clock *clock;
    IntrSource intr;

    X87 fpu;

    jmp_buf jmp;

    TlbEntry tlb_user[TLB_SIZE];
    TlbEntry tlb_sup[TLB_SIZE];
};

/* ---- cpu.c ---- */
void cpu_sync_clock(Cpu *c);
void cpu_after_io(Cpu *c);

/* ---- flags.c ---- */
uint32_t cpu_flags_compute(const Cpu *c); /* arithmetic bits only */
bool cpu_cond(Cpu *c, unsigned cc);
bool cpu_get_cf(const Cpu *c);
uint32_t cpu_read_eflags(Cpu *c);
/* Write EFLAGS bits in mask (the caller applies privilege rules). */
void cpu_write_eflags(Cpu *c, uint32_t val, uint32_t mask);

static inline void cc_set(Cpu *c, unsigned op, unsigned size, uint32_t res,
                          uint32_t s1, uint32_t s2)
{
    c->cc_op = op;
    c->cc_size = size;
    c->cc_res = res;
    c->cc_src1 = s1;
    c->cc_src2 = s2;
}

/* The six arithmetic flags for a result of size bytes (higher bits are
 * ignored): ZF, SF and PF from the result, CF, OF and AF as given. */
static inline uint32_t cpu_flags_of_result(unsigned size, uint32_t res, bool cf,
                                           bool of, bool af)
{
    uint32_t f = 0;
    res &= size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
    if (cf) {
        f |= CPU_FLAG_CF;
    }
    if (of) {
        f |= CPU_FLAG_OF;
    }
    if (af) {
        f |= CPU_FLAG_AF;
    }
    if (res == 0) {
        f |= CPU_FLAG_ZF;
    }
    if (res & (1u << (size * 8 - 1))) {
        f |= CPU_FLAG_SF;
    }
    if (!__builtin_parity(res & 0xFF)) {
        f |= CPU_FLAG_PF;
    }
    return f;
}

/* Materialise the arithmetic flags into eflags. */
static inline void cpu_flags_flush(Cpu *c)
{
    if (c->cc_op != CC_EFLAGS) {
        c->eflags = (c->eflags & ~FLAGS_ARITH) | cpu_flags_compute(c);
        c->cc_op = CC_EFLAGS;
    }
}

/* ---- system.c ---- */
G_NORETURN void cpu_raise(Cpu *c, int vec, uint32_t err);
G_NORETURN void cpu_raise_noerr(Cpu *c, int vec);
void cpu_deliver(Cpu *c, int vec, bool has_err, uint32_t err, bool soft,
                 uint32_t ret_eip);
void cpu_load_seg(Cpu *c, int s, uint16_t sel);
void cpu_seg_real(Cpu *c, int s, uint16_t sel);
void cpu_seg_update(Cpu *c, int s);
void cpu_set_cpl(Cpu *c, unsigned cpl);
void cpu_far_jump(Cpu *c, uint16_t sel, uint32_t off, bool op32);
void cpu_far_call(Cpu *c, uint16_t sel, uint32_t off, bool op32);
void cpu_far_ret(Cpu *c, bool op32, uint16_t extra);
void cpu_iret(Cpu *c, bool op32);
void cpu_write_cr(Cpu *c, int n, uint32_t val);
uint32_t cpu_read_cr(Cpu *c, int n);
void cpu_lldt(Cpu *c, uint16_t sel);
void cpu_ltr(Cpu *c, uint16_t sel);
bool cpu_load_desc(Cpu *c, uint16_t sel, uint32_t *lo, uint32_t *hi);
void cpu_cpuid(Cpu *c);
void cpu_rdmsr(Cpu *c);
void cpu_wrmsr(Cpu *c);
uint32_t cpu_lar_lsl(Cpu *c, uint16_t sel, bool lsl, bool *ok);
bool cpu_verr_verw(Cpu *c, uint16_t sel, bool write);

/* ---- mmu.c ---- */
void cpu_tlb_flush(Cpu *c, bool keep_global);
void cpu_tlb_flush_page(Cpu *c, uint32_t lin);
uint32_t cpu_lin_read_slow(Cpu *c, uint32_t lin, unsigned size);
void cpu_lin_write_slow(Cpu *c, uint32_t lin, uint32_t val, unsigned size);
uint8_t cpu_fetch_slow(Cpu *c);
/* Set up the fetch window for CS:eip (faults as a fetch would). */
void cpu_fetch_window(Cpu *c, uint32_t eip);
/* Supervisor-mode ("system") accesses used for descriptor tables and TSS. */
uint32_t cpu_sys_read(Cpu *c, uint32_t lin, unsigned size);
void cpu_sys_write(Cpu *c, uint32_t lin, uint32_t val, unsigned size);
uint32_t cpu_seg_check_slow(Cpu *c, int s, uint32_t off, unsigned size,
                            bool write);
/* Host pointer for [lin, lin+len) within one page when directly accessible
 * for the given kind of access, after faults are taken; NULL for MMIO. */
uint8_t *cpu_lin_ptr(Cpu *c, uint32_t lin, bool write);
/* Raise #PF unless [lin, lin+len) is accessible (pre-check for
 * multi-part writes that must not partly happen). */
void cpu_lin_probe(Cpu *c, uint32_t lin, unsigned len, bool write);

static inline uint32_t ld_le(const uint8_t *p, unsigned size)
{
    uint32_t v = 0;
    memcpy(&v, p, size);
    return v;
}

static inline void st_le(uint8_t *p, uint32_t v, unsigned size)
{
    memcpy(p, &v, size);
}

static inline G_GNUC_UNUSED __attribute__((always_inline)) uint32_t
lin_read(Cpu *c, uint32_t lin, unsigned size)
{
    const TlbEntry *e = &c->tlb[(lin >> 12) & (TLB_SIZE - 1)];
    if (G_LIKELY(e->tag_r == ((lin & ~0xFFFu) | c->tlb_epoch) &&
                 (lin & 0xFFF) <= 0x1000 - size)) {
        return ld_le((const uint8_t *)(e->addend + lin), size);
    }
    return cpu_lin_read_slow(c, lin, size);
}

static inline G_GNUC_UNUSED __attribute__((always_inline)) void
lin_write(Cpu *c, uint32_t lin, uint32_t val, unsigned size)
{
    const TlbEntry *e = &c->tlb[(lin >> 12) & (TLB_SIZE - 1)];
    if (G_LIKELY(e->tag_w == ((lin & ~0xFFFu) | c->tlb_epoch) &&
                 (lin & 0xFFF) <= 0x1000 - size)) {
        st_le((uint8_t *)(e->addend + lin), val, size);
        return;
    }
    cpu_lin_write_slow(c, lin, val, size);
}

/* Segment offset -> linear address with the limit/type checks. */
static inline G_GNUC_UNUSED __attribute__((always_inline)) uint32_t
seg_lin(Cpu *c, int s, uint32_t off, unsigned size, bool write)
{
    const CpuSegment *sg = &c->seg[s];
    if (G_LIKELY((c->seg_ok[s] >> write) & 1) && off <= sg->limit &&
        sg->limit - off >= size - 1) {
        return sg->base + off;
    }
    return cpu_seg_check_slow(c, s, off, size, write);
}

static inline G_GNUC_UNUSED __attribute__((always_inline)) uint32_t
mem_rd(Cpu *c, int s, uint32_t off, unsigned size)
{
    return lin_read(c, seg_lin(c, s, off, size, false), size);
}

static inline G_GNUC_UNUSED __attribute__((always_inline)) void
mem_wr(Cpu *c, int s, uint32_t off, uint32_t val, unsigned size)
{
    lin_write(c, seg_lin(c, s, off, size, true), val, size);
}

static inline uint8_t fetch8(Cpu *c)
{
    uint32_t lin = c->seg[CPU_CS].base + c->next_eip;
    if (G_LIKELY((lin & ~0xFFFu) == c->fetch_page)) {
        c->next_eip++;
        return c->fetch_host[lin & 0xFFF];
    }
    return cpu_fetch_slow(c);
}

static inline uint16_t fetch16(Cpu *c)
{
    uint16_t v = fetch8(c);
    return v | (uint16_t)(fetch8(c) << 8);
}

static inline uint32_t fetch32(Cpu *c)
{
    uint32_t lin = c->seg[CPU_CS].base + c->next_eip;
    if (G_LIKELY((lin & ~0xFFFu) == c->fetch_page && (lin & 0xFFF) <= 0xFFC)) {
        c->next_eip += 4;
        return ld_le(c->fetch_host + (lin & 0xFFF), 4);
    }
    uint32_t v = fetch16(c);
    return v | (uint32_t)fetch16(c) << 16;
}

/* Stack helpers honouring SS.B. */
static inline uint32_t sp_get(const Cpu *c)
{
    return c->stack32 ? c->g.r[CPU_ESP] : c->g.r16[CPU_ESP * 2];
}

static inline void sp_set(Cpu *c, uint32_t v)
{
    if (c->stack32) {
        c->g.r[CPU_ESP] = v;
    } else {
        c->g.r16[CPU_ESP * 2] = (uint16_t)v;
    }
}

static inline G_GNUC_UNUSED __attribute__((always_inline)) void
push(Cpu *c, uint32_t v, unsigned size)
{
    uint32_t sp = sp_get(c) - size;
    if (!c->stack32) {
        sp &= 0xFFFF;
    }
    mem_wr(c, CPU_SS, sp, v, size);
    sp_set(c, sp);
}

static inline G_GNUC_UNUSED __attribute__((always_inline)) uint32_t
pop(Cpu *c, unsigned size)
{
    uint32_t sp = sp_get(c);
    uint32_t v = mem_rd(c, CPU_SS, sp, size);
    sp_set(c, sp + size);
    return v;
}

static inline unsigned seg_dpl(uint32_t flags)
{
    return (flags >> SEG_DPL_SHIFT) & 3;
}

static inline unsigned cpu_iopl(const Cpu *c)
{
    return (c->eflags >> 12) & 3;
}

/* Specialised handlers for the hottest 32-bit forms (DInsn.fast). */
enum {
    FAST_NONE,
    FAST_MOV_R_RM,      /* 8B */
    FAST_MOV_RM_R,      /* 89 */
    FAST_MOV_R8_RM8,    /* 8A */
    FAST_MOV_RM8_R8,    /* 88 */
    FAST_MOVZX8,        /* 0F B6 */
    FAST_MOVZX16,       /* 0F B7 */
    FAST_LEA,           /* 8D */
    FAST_MOV_R_IMM,     /* B8+r */
    FAST_MOV_RM_IMM,    /* C7 */
    FAST_PUSH_R,        /* 50+r */
    FAST_POP_R,         /* 58+r */
    FAST_PUSH_IMM,      /* 68, 6A (imm already sign-extended at decode) */
    FAST_INC_R,         /* 40+r */
    FAST_DEC_R,         /* 48+r */
    FAST_JCC,           /* 70-7F, 0F 80-8F; rel in disp */
    FAST_JMP,           /* EB, E9 */
    FAST_CALL,          /* E8 */
    FAST_RET,           /* C3 */
    FAST_TEST_RM_R,     /* 85 */
    FAST_TEST8_IMM,     /* F6 /0 */
    FAST_CMP8_IMM,      /* 80 /7 */
    FAST_MOV_RM8_IMM,   /* C6 /0 */
    FAST_TEST_EAX_IMM,  /* A9 */
    FAST_IMUL_R_RM,     /* 0F AF */
    FAST_SHIFT_I,       /* C1 /0 /1 /4 /5 /7 */
    FAST_TEST8_RM_R,    /* 84 */
    FAST_CMP8_RM_R,     /* 38 */
    FAST_MOV_EAX_MOFFS, /* A1 */
    FAST_MOV_MOFFS_EAX, /* A3 */
    FAST_LEAVE,         /* C9 */
    FAST_NOP,           /* 90 */
    FAST_CALL_RM,       /* FF /2 */
    FAST_JMP_RM,        /* FF /4 */
    FAST_PUSH_RM,       /* FF /6 */
    FAST_LODSB,         /* AC without REP */
    FAST_SCASB,         /* AE without REP */
    FAST_ALU_AL_I,      /* 04, 0C, ... 3C: +op */
    FAST_ALU_EAX_I = FAST_ALU_AL_I + 8, /* 05, 0D, ... 3D: +op */
    FAST_ALU_RM_R = FAST_ALU_EAX_I + 8, /* 01, 09, ... 39: +op */
    FAST_ALU_R_RM = FAST_ALU_RM_R + 8,
    FAST_ALU_RM_I = FAST_ALU_R_RM + 8, /* 81, 83: imm in disp2 */
    FAST_END = FAST_ALU_RM_I + 8,
};

/* ---- decode.c ---- */
void cpu_decode(Cpu *c, DInsn *di);
void cpu_select_fast(DInsn *di);

/* ---- icache.c ---- */
/* Miss path of the instruction lookup: decode (and cache) CS:EIP. */
const DInsn *cpu_lookup_slow(Cpu *c, uint32_t lin);

/* ---- exec.c ---- */
/* Execute instructions until the budget is used or check_intr is set
 * (just one with single). */
void cpu_exec_loop(Cpu *c, bool single);
void cpu_icache_invalidate(Cpu *c, uint32_t ram_page);
/* A CPU store hit [ram_off, ram_off + size) of a page holding code. */
void cpu_code_write(Cpu *c, uint32_t ram_off, unsigned size);

/* ---- fpu.c ---- */
void cpu_fpu_exec(Cpu *c, uint8_t op, uint8_t modrm, uint32_t ea, int seg,
                  bool op16);
void cpu_fpu_wait(Cpu *c);

#endif /* EMU_CPU_INTERNAL_H */
