; Paging: not-present and protection faults with CR2 and error codes,
; CR0.WP, 4 MiB pages, accessed/dirty bits, global pages across a CR3
; reload and INVLPG, user access to supervisor pages.
%include "lib.inc"

%define PD   0x200000
%define PT0  0x201000

test_main:
    ; page table 0: identity, user-accessible, writable
    xor ecx, ecx
.fill:
    mov eax, ecx
    shl eax, 12
    or eax, 7
    mov [PT0 + ecx * 4], eax
    inc ecx
    cmp ecx, 1024
    jb .fill
    mov dword [PT0 + 0x300 * 4], 0                 ; 0x300000 not present
    mov dword [PT0 + 0x301 * 4], 0x301000 | 1      ; read-only supervisor
    mov dword [PT0 + 0x302 * 4], 0x302000 | 3      ; supervisor RW
    mov dword [PT0 + 0x303 * 4], 0x303000 | 0x103  ; global
    mov dword [PT0 + 0x304 * 4], 0x304000 | 3      ; not global
    mov dword [0x303000], 0x1111
    mov dword [0x304000], 0x2222
    mov dword [0x305000], 0x3333
    mov dword [0x306000], 0x4444
    ; page directory
    mov edi, PD
    xor eax, eax
    mov ecx, 1024
    rep stosd
    mov dword [PD + 0], PT0 | 7
    mov dword [PD + 4], 0x400000 | 0x83            ; 4 MiB identity
    mov dword [PD + 8], 0x400000 | 0x83            ; alias at 8 MiB
    mov eax, 0x90                                  ; PSE | PGE
    mov cr4, eax
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp .paged
.paged:
    ; not present: read then write
    EXPECT_FAULT f1, r1
f1: mov eax, [0x300000]
r1:
    EXPECT_FAULT f2, r2
f2: mov dword [0x300004], 1
r2:
    ; read-only page, WP=0: the supervisor write goes through
    mov dword [0x301000], 0x11
    REPORT [0x301000]
    ; WP=1: protection fault
    mov eax, cr0
    or eax, 0x10000
    mov cr0, eax
    EXPECT_FAULT f3, r3
f3: mov dword [0x301000], 0x22
r3:
    REPORT [0x301000]
    ; 4 MiB page through the alias
    mov dword [0x800010], 0xABCD1234
    REPORT [0x400010]
    mov eax, [PD + 8]
    and eax, 0x60
    REPORT eax
    ; accessed / dirty on a 4 KiB page
    mov dword [PT0 + 0x305 * 4], 0x305000 | 3
    mov eax, [0x305000]
    mov eax, [PT0 + 0x305 * 4]
    and eax, 0x60
    REPORT eax
    mov dword [0x305008], 5
    mov eax, [PT0 + 0x305 * 4]
    and eax, 0x60
    REPORT eax
    ; global pages: fill the TLB, retarget the PTEs, reload CR3
    mov eax, [0x303000]
    mov eax, [0x304000]
    mov dword [PT0 + 0x303 * 4], 0x305000 | 0x103
    mov dword [PT0 + 0x304 * 4], 0x306000 | 3
    mov eax, cr3
    mov cr3, eax
    REPORT [0x303000]       ; still the old frame: 0x1111
    REPORT [0x304000]       ; flushed: 0x4444
    invlpg [0x303000]
    REPORT [0x303000]       ; now 0x3333
    ; ring 3 touching a supervisor page
    ENTER_RING3 ring3
ring3:
    mov ax, 0x2B
    mov ds, ax
    mov es, ax
    EXPECT_FAULT f4, r4
f4: mov eax, [0x302000]
r4:
    EXPECT_FAULT f5, r5
f5: mov dword [0x302000], 1
r5:
    ; user write to a user read-only page
    EXPECT_FAULT f6, r6
f6: mov dword [0x301000], 1
r6:
    REPORT 0xC0FFEE
    hlt                     ; #GP(0) in ring 3 ends the test
