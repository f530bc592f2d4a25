/*
 * Differential test helper, built as a 32-bit x86 program (gcc -m32): runs
 * each received instruction sequence natively and reports registers,
 * EFLAGS, the data and stack windows, and the fault (as a signal) if any.
 * Protocol and addresses: diff_case.h.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <asm/ldt.h>
#include <sys/syscall.h>
#include "diff_case.h"

uint32_t diff_in_regs[9];
uint32_t diff_out_regs[9];
uint32_t diff_host_esp;
uint32_t diff_ret_addr;
uint32_t diff_code_addr = DIFF_CODE_ADDR;
/* far pointer to the 16-bit code segment (LDT entry 1, offset 0) */
uint32_t diff_code16_ptr[2] = {0, 0xF};
uint32_t diff_host_ds;

uint32_t diff_code16_mode;
void diff_ret16(void);

static sigjmp_buf fault_env;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    siglongjmp(fault_env, sig);
}

void diff_run_native(void);
/* EFLAGS and every register but EAX from diff_in_regs, ESP last. */
#define LOAD_IN_REGS_BUT_EAX                                                   \
    "    pushl diff_in_regs+32\n"                                              \
    "    popfl\n"                                                              \
    "    movl diff_in_regs+4, %ecx\n"                                          \
    "    movl diff_in_regs+8, %edx\n"                                          \
    "    movl diff_in_regs+12, %ebx\n"                                         \
    "    movl diff_in_regs+20, %ebp\n"                                         \
    "    movl diff_in_regs+24, %esi\n"                                         \
    "    movl diff_in_regs+28, %edi\n"                                         \
    "    movl diff_in_regs+16, %esp\n"
/* One instruction a line. */
/* clang-format off */
__asm__(".text\n"
        ".globl diff_run_native\n"
        "diff_run_native:\n"
        "    pushal\n"
        "    movl %esp, diff_host_esp\n"
        "    movl $1f, diff_ret_addr\n"
        "    cmpl $0, diff_code16_mode\n"
        "    jne 4f\n"
        LOAD_IN_REGS_BUT_EAX
        "    movl diff_in_regs+0, %eax\n"
        "    jmp *diff_code_addr\n"
        /* 16-bit code: DS = ES = data window, far jump into the segment */
        "4:\n"
        LOAD_IN_REGS_BUT_EAX
        "    movw $7, %ax\n"
        "    movw %ax, %ds\n"
        "    movw %ax, %es\n"
        "    movl %ss:diff_in_regs+0, %eax\n"
        "    ljmp *%ss:diff_code16_ptr\n"
        /* back from 16-bit code: restore DS/ES without touching flags */
        ".globl diff_ret16\n"
        "diff_ret16:\n"
        "    movl %eax, %ss:diff_out_regs+0\n"
        "    movw %ss:diff_host_ds, %ax\n"
        "    movw %ax, %ds\n"
        "    movw %ax, %es\n"
        "    movl %ss:diff_out_regs+0, %eax\n"
        "1:\n"
        "    movl %eax, diff_out_regs+0\n"
        "    movl %ecx, diff_out_regs+4\n"
        "    movl %edx, diff_out_regs+8\n"
        "    movl %ebx, diff_out_regs+12\n"
        "    movl %esp, diff_out_regs+16\n"
        "    movl %ebp, diff_out_regs+20\n"
        "    movl %esi, diff_out_regs+24\n"
        "    movl %edi, diff_out_regs+28\n"
        "    movl diff_host_esp, %esp\n"
        "    pushfl\n"
        "    popl diff_out_regs+32\n"
        "    cld\n"
        "    popal\n"
        "    ret\n");
/* clang-format on */

static void *map_at(uint32_t addr, int prot)
{
    void *p = mmap((void *)(uintptr_t)addr, 4096, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)(uintptr_t)addr) {
        perror("diff_host: mmap");
        exit(2);
    }
    return p;
}

static int read_full(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = read(0, p, len);
        if (n <= 0) {
            return 0;
        }
        p += n;
        len -= n;
    }
    return 1;
}

static void write_full(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = write(1, p, len);
        if (n <= 0) {
            exit(3);
        }
        p += n;
        len -= n;
    }
}

/* Install a 64 KiB LDT segment; exits if the kernel refuses. */
static void ldt_set(unsigned entry, uint32_t base, unsigned seg32,
                    unsigned contents)
{
    struct user_desc d = {
        .entry_number = entry,
        .base_addr = base,
        .limit = 0xFFFF,
        .seg_32bit = seg32,
        .contents = contents, /* 0 data, 2 code */
        .read_exec_only = 0,
        .limit_in_pages = 0,
        .seg_not_present = 0,
        .useable = 1,
    };
    if (syscall(SYS_modify_ldt, 1, &d, sizeof(d)) != 0) {
        perror("diff_host: modify_ldt");
        exit(2);
    }
}

int main(void)
{
    uint8_t *data = map_at(DIFF_DATA_ADDR, PROT_READ | PROT_WRITE);
    uint8_t *code = map_at(DIFF_CODE_ADDR, PROT_READ | PROT_WRITE | PROT_EXEC);
    uint8_t *stack = map_at(DIFF_STACK_ADDR, PROT_READ | PROT_WRITE);
    static uint8_t altstack[65536];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGTRAP, &sa, NULL);

    /* LDT entry 1: the 16-bit code segment at the code window. */
    ldt_set(1, DIFF_CODE_ADDR, 0, 2);
    uint16_t cs, ds;
    __asm__ volatile("movw %%cs, %0\n\tmovw %%ds, %1" : "=r"(cs), "=r"(ds));
    diff_host_ds = ds;
    /* FS: a 16-bit-limit data segment based at the data window, for the
     * 16-bit addressing cases (LDT entry 0, selector 7). */
    ldt_set(0, DIFF_DATA_ADDR, 1, 0);
    __asm__ volatile("movw $7, %%ax\n\tmovw %%ax, %%fs" ::: "eax");

    DiffIn in;
    DiffOut out;
    while (read_full(&in, sizeof(in))) {
        memcpy(code, in.code, in.code_len);
        diff_code16_mode = in.code16;
        if (in.code16) {
            /* jmp far cs:diff_ret16 (32-bit offset) */
            uint32_t ret = (uint32_t)(uintptr_t)diff_ret16;
            code[in.code_len] = 0x66;
            code[in.code_len + 1] = 0xEA;
            memcpy(code + in.code_len + 2, &ret, 4);
            memcpy(code + in.code_len + 6, &cs, 2);
        } else {
            /* jmp *diff_ret_addr */
            code[in.code_len] = 0xFF;
            code[in.code_len + 1] = 0x25;
            uint32_t slot = (uint32_t)(uintptr_t)&diff_ret_addr;
            memcpy(code + in.code_len + 2, &slot, 4);
        }
        memcpy(data, in.data, DIFF_MEM_SIZE);
        memcpy(stack + (DIFF_STACK_CMP - DIFF_STACK_ADDR), in.stack,
               DIFF_MEM_SIZE);
        memcpy(diff_in_regs, in.regs, 32);
        diff_in_regs[8] = in.eflags;
        memset(&out, 0, sizeof(out));
        int sig = sigsetjmp(fault_env, 1);
        if (sig == 0) {
            diff_run_native();
            memcpy(out.regs, diff_out_regs, 32);
            out.eflags = diff_out_regs[8];
            out.fault = DIFF_FAULT_NONE;
        } else {
            out.fault = sig == SIGFPE   ? DIFF_FAULT_DE
                        : sig == SIGILL ? DIFF_FAULT_UD
                                        : DIFF_FAULT_OTHER;
        }
        memcpy(out.data, data, DIFF_MEM_SIZE);
        memcpy(out.stack, stack + (DIFF_STACK_CMP - DIFF_STACK_ADDR),
               DIFF_MEM_SIZE);
        write_full(&out, sizeof(out));
    }
    return 0;
}
