/*
 * Wire format between the differential test (64-bit) and its 32-bit host
 * helper (diff_host.c): one DiffIn per case on the helper's stdin, one
 * DiffOut back on its stdout.  Both sides map code, data and stack at
 * the same linear addresses, so absolute addresses in cases agree.
 */
#ifndef TEST_DIFF_CASE_H
#define TEST_DIFF_CASE_H

#include <stdint.h>

#define DIFF_DATA_ADDR  0x00100000u
#define DIFF_CODE_ADDR  0x00200000u
#define DIFF_STACK_ADDR 0x00300000u
#define DIFF_MEM_SIZE   256u
/* Compared stack bytes: [DIFF_STACK_CMP, DIFF_STACK_CMP + DIFF_MEM_SIZE) */
#define DIFF_STACK_CMP (DIFF_STACK_ADDR + 0x780u)
#define DIFF_ESP       (DIFF_STACK_ADDR + 0x800u)
#define DIFF_CODE_MAX  96u

/* fault values */
#define DIFF_FAULT_NONE  -1
#define DIFF_FAULT_DE    0
#define DIFF_FAULT_UD    6
#define DIFF_FAULT_OTHER 99

typedef struct DiffIn {
    uint32_t regs[8];
    uint32_t eflags;
    uint32_t code_len;
    uint32_t emu_prefix; /* extra first byte for the emulator only */
    uint32_t code16;     /* run in a 16-bit code segment, DS=ES=data */
    uint8_t code[DIFF_CODE_MAX];
    uint8_t data[DIFF_MEM_SIZE];
    uint8_t stack[DIFF_MEM_SIZE];
} DiffIn;

typedef struct DiffOut {
    uint32_t regs[8];
    uint32_t eflags;
    int32_t fault;
    uint8_t data[DIFF_MEM_SIZE];
    uint8_t stack[DIFF_MEM_SIZE];
} DiffOut;

#endif
