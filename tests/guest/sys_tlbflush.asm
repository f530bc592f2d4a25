; CR3 loads flush non-global translations, every time: 5000 rounds of
; retargeting one PTE between two frames (more flushes than the TLB has
; epochs), plus INVLPG rounds.  Reports the number of stale reads (0).
%include "lib.inc"

%define PD  0x200000
%define PT0 0x201000

test_main:
    xor ecx, ecx
.fill:
    mov eax, ecx
    shl eax, 12
    or eax, 3
    mov [PT0 + ecx * 4], eax
    inc ecx
    cmp ecx, 1024
    jb .fill
    mov edi, PD
    xor eax, eax
    mov ecx, 1024
    rep stosd
    mov dword [PD], PT0 | 3
    mov dword [0x305000], 0x3333
    mov dword [0x306000], 0x4444
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    xor edx, edx            ; stale reads
    mov ecx, 5000
.round:
    mov ebx, 0x305003
    mov esi, 0x3333
    test ecx, 1
    jz .even
    mov ebx, 0x306003
    mov esi, 0x4444
.even:
    mov [PT0 + 0x3F0 * 4], ebx
    test ecx, 2
    jz .cr3
    invlpg [0x3F0000]
    jmp .check
.cr3:
    mov eax, cr3
    mov cr3, eax
.check:
    cmp [0x3F0000], esi
    je .ok
    inc edx
.ok:
    dec ecx
    jnz .round
    REPORT edx
    FINISH
