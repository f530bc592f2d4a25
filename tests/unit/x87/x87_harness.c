/*
 * Test harness for the x87 FPU (see x87_harness.h).
 */
#include "x87_harness.h"

#include <criterion/criterion.h>
#include <string.h>

static bool tm_hits_fault(const TestMem *m, uint32_t off, unsigned len)
{
    return off < m->fault_hi && off + len > m->fault_lo;
}

static bool tm_read(void *ctx, uint32_t off, void *buf, unsigned len)
{
    TestMem *m = ctx;
    if (off > TM_SIZE || len > TM_SIZE - off || tm_hits_fault(m, off, len)) {
        return false;
    }
    memcpy(buf, m->b + off, len);
    m->reads++;
    return true;
}

static bool tm_write(void *ctx, uint32_t off, const void *buf, unsigned len)
{
    TestMem *m = ctx;
    if (off > TM_SIZE || len > TM_SIZE - off || tm_hits_fault(m, off, len)) {
        return false;
    }
    memcpy(m->b + off, buf, len);
    m->writes++;
    return true;
}

void tm_init(TestMem *m)
{
    memset(m, 0, sizeof(*m));
}

X87Mem tm_ops(TestMem *m)
{
    return (X87Mem){.read = tm_read, .write = tm_write, .ctx = m};
}

X87Result x87t_exec_insn(X87 *f, TestMem *m, const X87Insn *in)
{
    X87Mem ops = tm_ops(m);
    return x87_exec(f, in, &ops);
}

X87Result x87t_exec(X87 *f, TestMem *m, uint8_t opcode, uint8_t modrm,
                    uint32_t ea)
{
    X87Insn in = {
        .opcode = opcode,
        .modrm = modrm,
        .ea = ea,
        .eip = X87T_EIP,
        .cs = X87T_CS,
        .ds = X87T_DS,
    };
    return x87t_exec_insn(f, m, &in);
}

#define X87T_STATE_AT 0xC00

void x87t_load(X87 *f, TestMem *m, const uint8_t *img)
{
    memcpy(m->b + X87T_STATE_AT, img, X87T_IMG);
    cr_assert_eq(x87t_exec(f, m, 0xDD, 0x20, X87T_STATE_AT), X87_OK);
}

void x87t_save(X87 *f, TestMem *m, uint8_t *img)
{
    cr_assert_eq(x87t_exec(f, m, 0xDD, 0x30, X87T_STATE_AT), X87_OK);
    memcpy(img, m->b + X87T_STATE_AT, X87T_IMG);
}

void f80_put(uint8_t *p, F80 v)
{
    memcpy(p, &v.mant, 8);
    memcpy(p + 8, &v.se, 2);
}

F80 f80_get(const uint8_t *p)
{
    F80 v;
    memcpy(&v.mant, p, 8);
    memcpy(&v.se, p + 8, 2);
    return v;
}

void x87t_image(uint8_t *img, uint16_t cw, unsigned top, const F80 *vals,
                unsigned n)
{
    uint16_t tw = 0;
    memset(img, 0, X87T_IMG);
    for (unsigned i = 0; i < 8; i++) {
        unsigned phys = (top + i) & 7;
        if (i < n) {
            f80_put(img + 28 + 10 * i, vals[i]);
        } else {
            memset(img + 28 + 10 * i, 0x3C + i, 10);
            tw |= 3u << (2 * phys);
        }
    }
    img[0] = (uint8_t)cw;
    img[1] = (uint8_t)(cw >> 8);
    img[5] = (uint8_t)(top << 3);
    img[8] = (uint8_t)tw;
    img[9] = (uint8_t)(tw >> 8);
}

void x87t_exec_ok(X87 *f, TestMem *m, uint8_t opcode, uint8_t modrm,
                  uint32_t ea)
{
    X87Result r = x87t_exec(f, m, opcode, modrm, ea);
    cr_assert_eq(r, X87_OK, "%02x %02x gave %d", opcode, modrm, r);
}

void x87t_fldcw(X87 *f, TestMem *m, uint16_t cw)
{
    memcpy(m->b + 0x10, &cw, 2);
    x87t_exec_ok(f, m, 0xD9, 0x28, 0x10);
}
