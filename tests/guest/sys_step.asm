; Single-step: with EFLAGS.TF set, #DB (a trap) follows each instruction;
; the handler stops stepping after three traps.
%include "lib.inc"

test_main:
    SET_GATE 1, db_handler, 0
    pushfd
    or dword [esp], 0x100
    popfd                   ; TF takes effect after POPF
step1: nop
step2: nop
step3: nop
    nop
    nop
    REPORT [steps]
    REPORT step2
    REPORT step3
    REPORT step3 + 1
    FINISH

db_handler:
    push eax
    mov eax, [esp + 4]      ; trap EIP: the next instruction
    REPORT eax
    inc dword [steps]
    cmp dword [steps], 3
    jb .more
    and dword [esp + 12], ~0x100
.more:
    pop eax
    iret

steps: dd 0
