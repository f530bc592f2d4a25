; FPU glue: escape-opcode decoding and effective addresses, memory
; operands through the CPU's segmentation (faults become CPU exceptions),
; #MF from a waiting instruction with CR0.NE.  Runs on the real FPU
; (core/x87) from test_cpu_fpu_glue.c.
%include "lib.inc"

test_main:
    mov eax, cr0
    or eax, 0x20            ; NE
    mov cr0, eax
    fnstcw [cw]
    movzx eax, word [cw]
    REPORT eax              ; 0x037F after reset
    mov word [cw], 0x027E   ; invalid operation unmasked
    mov ebx, cw - 8
    mov esi, 4
    fldcw [ebx + esi * 2]   ; SIB + displacement
    fnstcw [cw2]
    movzx eax, word [cw2]
    REPORT eax              ; 0x027E
    ; a store that crosses a segment limit faults, memory unchanged
    mov ax, 0x58
    mov gs, ax
    mov dword [0xFFC], 0x11111111
    EXPECT_FAULT f_lim, r_lim
f_lim: fnstcw [gs:0xFFF]
r_lim:
    REPORT [0xFFC]
    ; an unmasked error: the next waiting instruction raises #MF
    fdivp st1, st0          ; empty stack: unmasked invalid operation
    fnclex                  ; not waiting: clears it
    fwait                   ; no fault
    fdivp st1, st0
    EXPECT_FAULT f_mf, r_mf
f_mf: fwait
r_mf:
    fnclex
    REPORT 0xC0FFEE
    FINISH

align 4
cw: dw 0
cw2: dw 0
