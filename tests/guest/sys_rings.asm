; Ring 3 -> ring 0 through an interrupt gate (stack from the TSS) and back
; with IRET; privilege checks in ring 3.
%include "lib.inc"

test_main:
    SET_GATE 0x80, syscall, 3
    SET_GATE 0x81, syscall, 0
    mov ax, 0x18
    mov es, ax
    mov ax, 0x2B
    mov fs, ax
    ENTER_RING3 ring3
ring3:
    mov eax, es             ; DPL 0 data: nulled on the way out
    REPORT eax
    mov eax, fs             ; DPL 3 data: kept
    REPORT eax
    mov ax, 0x2B
    mov ds, ax
    mov es, ax
    mov eax, 41
    int 0x80
    REPORT eax              ; the handler added one
    mov eax, cs
    REPORT eax
    mov eax, ss
    REPORT eax
    REPORT esp
    ; privileged instructions and a DPL 0 gate fault in ring 3
    EXPECT_FAULT f1, r1
f1: mov eax, cr0
r1:
    EXPECT_FAULT f2, r2
f2: int 0x81
r2:
    EXPECT_FAULT f3, r3
f3: lgdt [gdt_desc]
r3:
    EXPECT_FAULT f4, r4
    mov ax, 0x18
f4: mov ds, ax              ; DPL 0 data from CPL 3
r4:
    REPORT 0xC0FFEE
    hlt

syscall:
    ; frame: eip, cs, eflags, esp, ss on the ring 0 stack from the TSS
    push eax
    mov eax, [esp + 8]
    REPORT eax              ; old CS
    mov eax, [esp + 20]
    REPORT eax              ; old SS
    mov eax, [esp + 16]
    REPORT eax              ; old ESP
    lea eax, [esp + 4]
    REPORT eax              ; ring 0 ESP after the push
    mov eax, ss
    REPORT eax
    mov eax, cs
    REPORT eax
    pop eax
    inc eax
    iret
