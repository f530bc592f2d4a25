; CPU benchmark workload: paging on (4 MiB pages), then rounds of a
; sieve, a checksum, block copies and a call-heavy loop -- the mix of
; loads, stores, ALU, branches, calls and REP string operations that
; dominates a kernel boot.  The round count is read from 0xFF000 (the
; benchmark writes it); the result goes to port 0xE9.
%include "lib.inc"

%define ROUNDS_ADDR 0xFF000
%define SIEVE      0x400000
%define SIEVE_N    8192
%define BUF_A      0x500000
%define BUF_B      0x510000

test_main:
    mov esp, 0x90000        ; stack on its own pages, as in a kernel
    ; page directory at 0x300000: 4 x 4 MiB identity pages
    mov edi, 0x300000
    xor eax, eax
    mov ecx, 1024
    rep stosd
    mov dword [0x300000], 0x000083
    mov dword [0x300004], 0x400083
    mov dword [0x300008], 0x800083
    mov dword [0x30000C], 0xC00083
    mov eax, 0x10
    mov cr4, eax
    mov eax, 0x300000
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80010000
    mov cr0, eax
    ; buffer A: pseudo-random words
    mov edi, BUF_A
    mov ecx, 4096
    mov eax, 12345
.init:
    imul eax, eax, 1103515245
    add eax, 12345
    mov [edi], eax
    add edi, 4
    dec ecx
    jnz .init
    mov ebp, [ROUNDS_ADDR]
    xor ebx, ebx
.round:
    call sieve
    add ebx, eax
    call checksum
    xor ebx, eax
    call copies
    call calls
    add ebx, eax
    dec ebp
    jnz .round
    REPORT ebx
    FINISH

sieve:
    push edi
    mov edi, SIEVE
    mov ecx, SIEVE_N
    mov al, 1
    rep stosb
    mov ecx, 2
    xor eax, eax
.outer:
    cmp byte [SIEVE + ecx], 0
    je .next
    inc eax
    mov edx, ecx
    imul edx, ecx
.inner:
    cmp edx, SIEVE_N
    jae .next
    mov byte [SIEVE + edx], 0
    add edx, ecx
    jmp .inner
.next:
    inc ecx
    cmp ecx, SIEVE_N
    jb .outer
    pop edi
    ret

checksum:
    push esi
    mov esi, BUF_A
    mov ecx, 4096
    xor eax, eax
.loop:
    rol eax, 5
    xor eax, [esi]
    movzx edx, byte [esi + 1]
    add eax, edx
    lea esi, [esi + 4]
    dec ecx
    jnz .loop
    pop esi
    ret

copies:
    push esi
    push edi
    mov esi, BUF_A
    mov edi, BUF_B
    mov ecx, 4096
    rep movsd
    mov edi, BUF_B
    xor eax, eax
    mov ecx, 4096
    rep stosd
    pop edi
    pop esi
    ret

calls:
    push ecx
    mov ecx, 2000
    xor eax, eax
.loop:
    push ecx
    call leaf
    pop ecx
    dec ecx
    jnz .loop
    pop ecx
    ret
leaf:
    push ebp
    mov ebp, esp
    mov edx, [ebp + 8]
    and edx, 7
    add eax, edx
    test eax, 1
    jz .even
    inc eax
.even:
    pop ebp
    ret
