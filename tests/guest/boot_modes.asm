; A 64 KiB ROM started from the reset vector: real mode (16-bit
; addressing, IVT interrupt), then protected mode, then paging.
; POST codes go to port 0x80, results (dwords) to port 0xE9.
bits 16
org 0

start:
    cli
    mov al, 0x01
    out 0x80, al
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000
    mov ax, 0x1234
    add ax, 0x1111
    movzx eax, ax
    out 0xE9, eax           ; 0x2345
    mov word [0x500], 0xBEEF
    mov bx, 0x4F0
    mov si, 0x10
    mov dx, [bx + si]
    movzx eax, dx
    out 0xE9, eax           ; 0xBEEF
    ; IVT entry 0x40 -> F000:int40
    mov word [0x40 * 4], int40
    mov word [0x40 * 4 + 2], 0xF000
    mov ax, 0
    int 0x40
    movzx eax, ax
    out 0xE9, eax           ; 0x4040
    ; to protected mode
    o32 lgdt [cs:gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x10:(0xF0000 + pm_entry)

int40:
    mov ax, 0x4040
    iret

bits 32
pm_entry:
    mov ax, 0x18
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x7000
    mov al, 0x02
    out 0x80, al
    mov eax, 0x32323232
    out 0xE9, eax
    ; identity-map 4 MiB, and map linear 0x400000 to physical 0x5000
    mov edi, 0x100000
    xor eax, eax
    mov ecx, 3 * 1024
    rep stosd
    mov dword [0x100000], 0x101003
    mov dword [0x100004], 0x102003
    xor ecx, ecx
.fill:
    mov eax, ecx
    shl eax, 12
    or eax, 3
    mov [0x101000 + ecx * 4], eax
    inc ecx
    cmp ecx, 1024
    jb .fill
    mov dword [0x102000], 0x5003
    mov eax, 0x100000
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp .paged
.paged:
    mov dword [0x400000], 0x77
    mov eax, [0x5000]
    out 0xE9, eax           ; 0x77
    mov al, 0xFF
    out 0x80, al
    cli
    hlt

align 8
gdt:
    dq 0
    dq 0
    dq 0x00CF9A000000FFFF
    dq 0x00CF92000000FFFF
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd 0xF0000 + gdt

    times 0xFFF0 - ($ - $$) db 0xF4
bits 16
reset:
    jmp 0xF000:start
    times 0x10000 - ($ - $$) db 0xF4
