; External interrupts: STI shadow, HLT wake-up, IF masking.
%include "lib.inc"

test_main:
    SET_GATE 0x30, irq_handler, 0
    ; INTR is asserted before the test starts; IF=0 keeps it out
    xor ebx, ebx
    nop
    nop
    REPORT after_shadow
    sti
    inc ebx                 ; runs in the STI shadow
after_shadow:
    nop
    ; second interrupt: sti; hlt waits for it
    REPORT after_hlt
    sti
    hlt
after_hlt:
    REPORT 0x3000
    FINISH

irq_handler:
    push eax
    mov eax, [esp + 4]
    REPORT eax              ; interrupted EIP
    REPORT ebx
    pop eax
    iret
