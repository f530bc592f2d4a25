; Double fault, #NM from CR0.EM/TS, CPUID, EFLAGS.ID/AC, RDTSC and the
; TSC MSR.
%include "lib.inc"

test_main:
    ; #GP whose gate is not present: #NP during #GP delivery -> #DF(0)
    and dword [idt + 13 * 8 + 4], ~0x8000
    EXPECT_FAULT f_df, r_df
    mov ax, 0x1238
f_df: mov ds, ax
r_df:
    or dword [idt + 13 * 8 + 4], 0x8000
    mov ax, 0x18
    mov ds, ax
    ; #NM: CR0.EM makes any FPU instruction fault
    mov eax, cr0
    or eax, 4
    mov cr0, eax
    EXPECT_FAULT f_nm1, r_nm1
f_nm1: fninit
r_nm1:
    ; #NM: WAIT with CR0.TS and CR0.MP
    mov eax, cr0
    and eax, ~4
    or eax, 0xA
    mov cr0, eax
    EXPECT_FAULT f_nm2, r_nm2
f_nm2: fwait
r_nm2:
    clts
    fwait                   ; no fault once TS is clear
    ; CPUID
    xor eax, eax
    cpuid
    REPORT eax
    REPORT ebx
    REPORT edx
    REPORT ecx
    mov eax, 1
    cpuid
    REPORT eax
    REPORT edx
    ; EFLAGS.ID and AC are writable, AC starts clear
    pushfd
    pop eax
    and eax, 0x240000
    REPORT eax
    pushfd
    or dword [esp], 0x240000
    popfd
    pushfd
    pop eax
    and eax, 0x240000
    REPORT eax
    pushfd
    and dword [esp], ~0x240000
    popfd
    ; RDTSC advances one per instruction
    rdtsc
    mov ebx, eax
    nop
    nop
    nop
    nop
    nop
    nop
    nop
    nop
    nop
    nop
    rdtsc
    sub eax, ebx
    REPORT eax              ; 12
    ; the TSC MSR is writable
    mov ecx, 0x10
    mov edx, 1
    xor eax, eax
    wrmsr
    rdtsc
    REPORT edx              ; 1
    FINISH
