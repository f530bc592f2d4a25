; A fault while delivering #DF shuts the CPU down (triple fault).
%include "lib.inc"

test_main:
    and dword [idt + 13 * 8 + 4], ~0x8000
    and dword [idt + 8 * 8 + 4], ~0x8000
    REPORT 0x7777
    mov ax, 0x1238
    mov ds, ax
    REPORT 0xBAD            ; never reached
    FINISH
