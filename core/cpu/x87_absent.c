/*
 * tulipvm: stand-in for the x87 FPU while core/x87/ has no sources.
 *
 * Built only when core/x87/ is empty (see CMakeLists.txt), so the
 * interpreter links and its integer tests run; every FPU instruction is
 * then #UD, and FNINIT-style detection finds no FPU.  The symbols are
 * weak so a real implementation always wins.
 */
#include <string.h>
#include "emu/x87.h"

__attribute__((weak)) void x87_init(X87 *f)
{
    memset(f, 0, sizeof(*f));
    f->cw = 0x037F;
    f->tw = 0xFFFF;
}

__attribute__((weak)) X87Result x87_exec(X87 *f, const X87Insn *insn,
                                         const X87Mem *mem)
{
    (void)f;
    (void)insn;
    (void)mem;
    return X87_UD;
}

__attribute__((weak)) bool x87_error_pending(const X87 *f)
{
    (void)f;
    return false;
}

__attribute__((weak)) uint16_t x87_status_word(const X87 *f)
{
    return f->sw;
}
