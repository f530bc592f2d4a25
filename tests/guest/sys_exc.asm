; Exceptions: vector, error code and saved EIP for each fault and trap.
; Each case reports the expected EIP (fault: the instruction, trap: the
; next one) followed by the handler's four dwords.
%include "lib.inc"

test_main:
    ; #DE
    EXPECT_FAULT f_de, r_de
    xor edx, edx
    mov eax, 10
    xor ecx, ecx
f_de: div ecx
r_de:
    ; #UD
    EXPECT_FAULT f_ud, r_ud
f_ud: ud2
r_ud:
    ; #GP(sel) for a selector beyond the GDT limit
    EXPECT_FAULT f_gp, r_gp
    mov ax, 0x1234
f_gp: mov ds, ax
r_gp:
    ; #NP(sel) for a not-present data segment
    EXPECT_FAULT f_np, r_np
    mov ax, 0x38
f_np: mov es, ax
r_np:
    ; #SS(sel) when loading SS with a not-present segment
    ; (writable data, DPL 0: passes the checks up to P)
    EXPECT_FAULT f_ss, r_ss
    mov ax, 0x38
f_ss: mov ss, ax
r_ss:
    ; #GP(0) for an unknown MSR
    EXPECT_FAULT f_msr, r_msr
    mov ecx, 0x3A
f_msr: rdmsr
r_msr:
    ; #BP is a trap: EIP after INT3
    EXPECT_FAULT r_bp, r_bp
    int3
r_bp:
    ; #OF via INTO with OF=1 (trap)
    EXPECT_FAULT r_of, r_of
    mov al, 0x7F
    add al, 1
    into
r_of:
    ; #BR from BOUND
    EXPECT_FAULT f_br, r_br
    mov eax, 5
f_br: bound eax, [bounds]
r_br:
    ; a gate with P=0 gives #NP(vector*8+2)
    mov dword [idt + 0x41 * 8], 0x00100000
    mov dword [idt + 0x41 * 8 + 4], 0x00000E00
    EXPECT_FAULT f_np_gate, r_np_gate
f_np_gate: int 0x41
r_np_gate:
    ; INT n beyond the IDT limit: #GP(vector*8+2)
    lidt [small_idt]
    EXPECT_FAULT f_idt, r_idt
f_idt: int 0x45
r_idt:
    lidt [idt_desc]
    ; #GP(0) for a write through a read-only data segment
    EXPECT_FAULT f_ro, r_ro
    mov ax, 0x50
    mov fs, ax
f_ro: mov dword [fs:0x100], 1
r_ro:
    ; #GP(0) beyond a segment limit (limit 0xFFF)
    EXPECT_FAULT f_lim, r_lim
    mov ax, 0x58
    mov gs, ax
f_lim: mov eax, [gs:0xFFE]
r_lim:
    mov eax, [gs:0xFFC] ; within the limit: no fault
    REPORT 0xC0FFEE
    FINISH

bounds: dd 10, 20
small_idt:
    dw 0x41 * 8 + 7
    dd idt

; extra descriptors appended to the GDT at run time are not needed: the
; test descriptors 0x50 (read-only data) and 0x58 (limit 0xFFF) follow.
