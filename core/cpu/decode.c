/*
 * tulipvm: x86 instruction decoder.
 *
 * Turns the bytes at CS:EIP into a DInsn (cpu_internal.h): prefixes,
 * opcode (0F xx as 0x100 + xx), ModRM with the effective-address recipe
 * (base, index, scale, displacement, segment), and the immediate bytes.
 * Fetches go through the CPU's fetch path, so a decode can fault exactly
 * where a fetch would.  cpu_select_fast() then picks a specialised handler
 * for the hottest 32-bit forms.
 *
 * Not modelled: instructions beyond the i586 integer set decode to their
 * opcode only and raise #UD when executed.
 */
#include "cpu_internal.h"

static bool op_has_modrm(unsigned op)
{
    if (op < 0x40) {
        return (op & 7) < 4;
    }
    if (op < 0x100) {
        return op == 0x62 || op == 0x63 || op == 0x69 || op == 0x6B ||
               (op >= 0x80 && op <= 0x8F) || op == 0xC0 || op == 0xC1 ||
               (op >= 0xC4 && op <= 0xC7) || (op >= 0xD0 && op <= 0xD3) ||
               (op >= 0xD8 && op <= 0xDF) || op == 0xF6 || op == 0xF7 ||
               op == 0xFE || op == 0xFF;
    }
    op &= 0xFF;
    return op <= 0x03 || op == 0x0D || (op >= 0x18 && op <= 0x23) ||
           (op >= 0x40 && op <= 0x4F) || (op >= 0x90 && op <= 0x9F) ||
           (op >= 0xA3 && op <= 0xA5) || (op >= 0xAB && op <= 0xAF) ||
           (op >= 0xB0 && op <= 0xB7) || (op >= 0xBA && op <= 0xC1) ||
           op == 0xC7;
}

static unsigned op_imm_len(unsigned op, unsigned reg, bool op32, bool ad32)
{
    unsigned osz = op32 ? 4 : 2;
    if (op >= 0x100) {
        op &= 0xFF;
        if (op >= 0x80 && op <= 0x8F) {
            return osz;
        }
        return (op == 0xA4 || op == 0xAC || op == 0xBA) ? 1 : 0;
    }
    if (op < 0x40) {
        return (op & 7) == 4 ? 1 : (op & 7) == 5 ? osz : 0;
    }
    switch (op) {
    case 0x6A:
    case 0x6B:
    case 0x80:
    case 0x82:
    case 0x83:
    case 0xA8:
    case 0xC0:
    case 0xC1:
    case 0xC6:
    case 0xCD:
    case 0xD4:
    case 0xD5:
    case 0xE0 ... 0xE7:
    case 0xEB:
        return 1;
    case 0x68:
    case 0x69:
    case 0x81:
    case 0xA9:
    case 0xC7:
    case 0xE8:
    case 0xE9:
        return osz;
    case 0x9A:
    case 0xEA:
        return osz + 2;
    case 0xA0 ... 0xA3:
        return ad32 ? 4 : 2;
    case 0xC2:
    case 0xCA:
        return 2;
    case 0xC8:
        return 3;
    case 0xF6:
        return reg < 2 ? 1 : 0;
    case 0xF7:
        return reg < 2 ? osz : 0;
    default:
        if (op >= 0x70 && op <= 0x7F) {
            return 1;
        }
        if (op >= 0xB0 && op <= 0xB7) {
            return 1;
        }
        if (op >= 0xB8 && op <= 0xBF) {
            return osz;
        }
        return 0;
    }
}

static void decode_ea(Cpu *c, DInsn *di)
{
    unsigned mod = di->modrm >> 6, rm = di->modrm & 7;
    int seg = CPU_DS;
    di->base = di->index = 8;
    di->scale = 0;
    di->disp = 0;
    if (di->flags & DI_AD32) {
        if (rm == 4) {
            uint8_t sib = fetch8(c);
            unsigned idx = (sib >> 3) & 7, base = sib & 7;
            if (idx != 4) {
                di->index = idx;
                di->scale = sib >> 6;
            }
            if (base == 5 && mod == 0) {
                di->disp = fetch32(c);
            } else {
                di->base = base;
                if (base == CPU_ESP || base == CPU_EBP) {
                    seg = CPU_SS;
                }
            }
        } else if (rm == 5 && mod == 0) {
            di->disp = fetch32(c);
        } else {
            di->base = rm;
            if (rm == CPU_EBP) {
                seg = CPU_SS;
            }
        }
        if (mod == 1) {
            di->disp += (uint32_t)(int8_t)fetch8(c);
        } else if (mod == 2) {
            di->disp += fetch32(c);
        }
    } else {
        static const uint8_t base16[8] = {CPU_EBX, CPU_EBX, CPU_EBP, CPU_EBP,
                                          CPU_ESI, CPU_EDI, CPU_EBP, CPU_EBX};
        static const uint8_t index16[8] = {CPU_ESI, CPU_EDI, CPU_ESI, CPU_EDI,
                                           8,       8,       8,       8};
        if (mod == 0 && rm == 6) {
            di->disp = fetch16(c);
        } else {
            di->base = base16[rm];
            di->index = index16[rm];
            if (rm == 2 || rm == 3 || rm == 6) {
                seg = CPU_SS;
            }
        }
        if (mod == 1) {
            di->disp += (uint32_t)(int8_t)fetch8(c);
        } else if (mod == 2) {
            di->disp += fetch16(c);
        }
    }
    di->eseg = di->seg >= 0 ? di->seg : seg;
}

/* Decode the instruction at EIP through the fetch path (may fault). */
void cpu_decode(Cpu *c, DInsn *di)
{
    unsigned npfx = 0;
    uint8_t b;
    bool opsz = false, adsz = false;

    c->next_eip = c->eip;
    di->flags = 0;
    di->seg = -1;
    di->eseg = CPU_DS;
    di->modrm = 0xC0;
    di->base = di->index = 8;
    di->scale = 0;
    di->disp = 0;
    for (;;) {
        b = fetch8(c);
        switch (b) {
        case 0x26:
            di->seg = CPU_ES;
            break;
        case 0x2E:
            di->seg = CPU_CS;
            break;
        case 0x36:
            di->seg = CPU_SS;
            break;
        case 0x3E:
            di->seg = CPU_DS;
            break;
        case 0x64:
            di->seg = CPU_FS;
            break;
        case 0x65:
            di->seg = CPU_GS;
            break;
        case 0x66:
            opsz = true;
            break;
        case 0x67:
            adsz = true;
            break;
        case 0xF0:
            break; /* LOCK: a single CPU is always atomic */
        case 0xF2:
            di->flags = (di->flags & ~DI_REPZ) | DI_REPNZ;
            break;
        case 0xF3:
            di->flags = (di->flags & ~DI_REPNZ) | DI_REPZ;
            break;
        default:
            goto opcode;
        }
        if (++npfx >= 15) {
            cpu_raise(c, CPU_EXC_GP, 0);
        }
    }
opcode:;
    if (c->code32 != opsz) {
        di->flags |= DI_OP32;
    }
    if (c->code32 != adsz) {
        di->flags |= DI_AD32;
    }
    unsigned op = b;
    if (b == 0x0F) {
        op = 0x100 | fetch8(c);
    }
    di->op = (uint16_t)op;
    if (op_has_modrm(op)) {
        di->modrm = fetch8(c);
        if (op >= 0x120 && op <= 0x123) {
            di->modrm |= 0xC0; /* MOV CRn/DRn: always registers */
        } else if ((di->modrm >> 6) != 3) {
            di->flags |= DI_MEM;
            decode_ea(c, di);
        }
    }
    unsigned n = op_imm_len(op, (di->modrm >> 3) & 7, di->flags & DI_OP32,
                            di->flags & DI_AD32);
    for (unsigned i = 0; i < n; i++) {
        di->imm[i] = fetch8(c);
    }
    uint32_t len = c->next_eip - c->eip;
    if (len > 15) {
        cpu_raise(c, CPU_EXC_GP, 0);
    }
    di->len = (uint8_t)len;
}

void cpu_select_fast(DInsn *di)
{
    unsigned op = di->op, reg = (di->modrm >> 3) & 7;
    bool mem = di->flags & DI_MEM;
    di->fast = FAST_NONE;
    /* 32-bit operand and address size, no REP */
    if ((di->flags & (DI_OP32 | DI_AD32 | DI_REPZ | DI_REPNZ)) !=
        (DI_OP32 | DI_AD32)) {
        return;
    }
    if (op < 0x40 && (op & 7) == 4) {
        di->fast = (uint8_t)(FAST_ALU_AL_I + (op >> 3));
        return;
    }
    if (op < 0x40 && (op & 7) == 5) {
        di->fast = (uint8_t)(FAST_ALU_EAX_I + (op >> 3));
        return;
    }
    if (op < 0x40 && (op & 7) <= 3 && (op & 1)) {
        di->fast =
            (uint8_t)(((op & 2) ? FAST_ALU_R_RM : FAST_ALU_RM_R) + (op >> 3));
        return;
    }
    if (op >= 0x70 && op <= 0x7F) {
        di->disp = (uint32_t)(int8_t)di->imm[0];
        di->fast = FAST_JCC;
        return;
    }
    if (op >= 0x180 && op <= 0x18F) {
        di->disp = ld_le(di->imm, 4);
        di->fast = FAST_JCC;
        return;
    }
    switch (op) {
    case 0x8B:
        di->fast = FAST_MOV_R_RM;
        break;
    case 0x89:
        di->fast = FAST_MOV_RM_R;
        break;
    case 0x8A:
        di->fast = FAST_MOV_R8_RM8;
        break;
    case 0x88:
        di->fast = FAST_MOV_RM8_R8;
        break;
    case 0x1B6:
        di->fast = FAST_MOVZX8;
        break;
    case 0x1B7:
        di->fast = FAST_MOVZX16;
        break;
    case 0x8D:
        if (mem) {
            di->fast = FAST_LEA;
        }
        break;
    case 0xB8 ... 0xBF:
        di->fast = FAST_MOV_R_IMM;
        break;
    case 0xC7:
        if (reg == 0) {
            di->fast = FAST_MOV_RM_IMM;
        }
        break;
    case 0x50 ... 0x57:
        di->fast = FAST_PUSH_R;
        break;
    case 0x58 ... 0x5F:
        di->fast = FAST_POP_R;
        break;
    case 0x68:
        di->disp = ld_le(di->imm, 4);
        di->fast = FAST_PUSH_IMM;
        break;
    case 0x6A:
        di->disp = (uint32_t)(int8_t)di->imm[0];
        di->fast = FAST_PUSH_IMM;
        break;
    case 0x40 ... 0x47:
        di->fast = FAST_INC_R;
        break;
    case 0x48 ... 0x4F:
        di->fast = FAST_DEC_R;
        break;
    case 0xEB:
        di->disp = (uint32_t)(int8_t)di->imm[0];
        di->fast = FAST_JMP;
        break;
    case 0xE9:
        di->disp = ld_le(di->imm, 4);
        di->fast = FAST_JMP;
        break;
    case 0xE8:
        di->disp = ld_le(di->imm, 4);
        di->fast = FAST_CALL;
        break;
    case 0xC3:
        di->fast = FAST_RET;
        break;
    case 0x85:
        di->fast = FAST_TEST_RM_R;
        break;
    case 0xF6:
        if (reg == 0) {
            di->fast = FAST_TEST8_IMM;
        }
        break;
    case 0x80:
        if (reg == 7) {
            di->fast = FAST_CMP8_IMM;
        }
        break;
    case 0x81:
    case 0x83:
        di->fast = (uint8_t)(FAST_ALU_RM_I + reg);
        break;
    case 0xC6:
        if (reg == 0) {
            di->fast = FAST_MOV_RM8_IMM;
        }
        break;
    case 0xA9:
        di->fast = FAST_TEST_EAX_IMM;
        break;
    case 0x1AF:
        di->fast = FAST_IMUL_R_RM;
        break;
    case 0xC1:
        if (reg == 0 || reg == 1 || reg == 4 || reg == 5 || reg == 7) {
            di->fast = FAST_SHIFT_I;
        }
        break;
    case 0x84:
        di->fast = FAST_TEST8_RM_R;
        break;
    case 0x38:
        di->fast = FAST_CMP8_RM_R;
        break;
    case 0xA1:
        di->fast = FAST_MOV_EAX_MOFFS;
        break;
    case 0xA3:
        di->fast = FAST_MOV_MOFFS_EAX;
        break;
    case 0xC9:
        di->fast = FAST_LEAVE;
        break;
    case 0x90:
        di->fast = FAST_NOP;
        break;
    case 0xFF:
        di->fast = reg == 2   ? FAST_CALL_RM
                   : reg == 4 ? FAST_JMP_RM
                   : reg == 6 ? FAST_PUSH_RM
                              : FAST_NONE;
        break;
    case 0xAC:
        di->fast = FAST_LODSB;
        break;
    case 0xAE:
        di->fast = FAST_SCASB;
        break;
    default:
        break;
    }
}
