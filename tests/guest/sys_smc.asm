; Self-modifying code: an instruction rewritten after it ran, the very
; next instruction rewritten, and code rewritten by DMA from outside.
%include "lib.inc"

test_main:
    mov ecx, 2
smc_again:
patch:
    mov eax, 0x11111111
    out REPORT_PORT, eax
    mov dword [patch + 1], 0x22222222
    dec ecx
    jnz smc_again
    ; rewrite the immediate of the next instruction
    mov byte [next + 1], 0x55
next:
    mov al, 0x33
    movzx eax, al
    out REPORT_PORT, eax
    ; an instruction straddling two 128-byte chunks, patched in the second
    mov ecx, 2
straddle_again:
    jmp straddle
    align 128
    times 125 nop
straddle:
    mov eax, 0x11223344     ; B8 at chunk offset 125, imm bytes 126..129
    out REPORT_PORT, eax
    mov word [straddle + 3], 0x5566 ; bytes 128..129: the next chunk
    dec ecx
    jnz straddle_again
    ; the test rewrites dmacode's immediate while the loop spins
    REPORT dmacode + 1
dma_loop:
dmacode:
    mov eax, 0xAAAA0000
    cmp eax, 0xAAAA0000
    je dma_loop
    out REPORT_PORT, eax
    FINISH
