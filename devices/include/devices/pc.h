/*
 * tulipvm: the PC machine.
 *
 * Wires the devices explicitly, in the style of TinyEMU's
 * pc_machine_init: guest RAM (0-640 KiB and 1 MiB up), the port bus, the
 * 8259A pair with ELCR, 8254 PIT (IRQ0), MC146818 RTC (IRQ8), a 16550A at
 * 0x3F8 (IRQ4), the i8042 (IRQ1), port 0x92, the PCI bus with the i440FX
 * host bridge at 00:00.0 and up to four DEC 21140 adapters at 00:03.0 ..
 * 00:06.0.  Adapters get their BARs and INTERRUPT_LINE assigned as
 * firmware would (pc-platform.md 3.8: Linux keeps a pre-filled line when
 * there is no routing table), on IRQs 11, 10, 9 and 5, level-triggered.
 *
 * pc_run() is the emulation loop: the CPU runs to the next clock
 * deadline, due events fire, host I/O (GLib main context: serial input,
 * network backends) is polled; a halted CPU lets virtual time jump to the
 * next event, but not past host time.
 */
#ifndef DEVICES_PC_H
#define DEVICES_PC_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "emu/bus.h"
#include "emu/clock.h"
#include "emu/cpu.h"
#include "emu/loader.h"
#include "emu/mem.h"
#include "emu/pci.h"
#include "devices/i440fx.h"
#include "devices/i8042.h"
#include "devices/pic.h"
#include "devices/pit.h"
#include "devices/port92.h"
#include "devices/rtc.h"
#include "devices/tulip.h"
#include "devices/uart.h"
#include "net/port.h"

#define PC_MAX_NICS       4
#define PC_NIC_FIRST_SLOT 3
#define PC_DEFAULT_CPU_HZ 200000000u

typedef struct PcConfig {
    Clock *clock;       /* NULL: the machine makes (and owns) one */
    uint64_t ram_size;  /* bytes, multiple of 4 KiB, >= 2 MiB */
    uint64_t cpu_hz;    /* nominal clock and TSC rate (0: default) */
    int64_t rtc_start;  /* RTC time at power-on, seconds since 1970 */
    UartBackend serial; /* COM1's far end */
    int n_nics;
    TulipConfig nic[PC_MAX_NICS];
    bool no_reboot; /* a guest reset ends pc_run() instead of rebooting */
    /* pc_run()'s host time (NULL: clock_host_monotonic_ns); tests make the
     * host run ahead of a guest to check the loop under lag */
    HostTimeFn host_time;
    void *host_time_opaque;
} PcConfig;

typedef enum PcExit {
    PC_EXIT_QUIT,  /* pc_request_quit() */
    PC_EXIT_RESET, /* the guest reset the machine */
    PC_EXIT_LIMIT, /* pc_run_for() reached its cycle */
} PcExit;

typedef struct Pc {
    PcConfig cfg;
    Clock *clock;
    bool own_clock;
    MemMap *mem;
    Bus *io;
    PciBus *pci;
    I440fx host_bridge;
    PicPair pic;
    Pit pit;
    Rtc rtc;
    Uart com1;
    I8042 kbc;
    Port92 port92;
    Cpu *cpu;
    Tulip *nic[PC_MAX_NICS];
    IntrSource intr;
    bool reset_requested;
    bool quit_requested;
    uint64_t resets;
} Pc;

/* Build the machine; every failure is a GError naming the part. */
Pc *pc_new(const PcConfig *cfg, GError **errp);
void pc_free(Pc *pc);

/* Adapter n's network endpoint (connect it to a backend or switch). */
NetPort *pc_nic_port(Pc *pc, int n);

/* Put the CPU in the state the Linux loader asks for (32-bit entry). */
void pc_apply_linux_entry(Pc *pc, const CpuEntryState *e);

/* Power-on reset of every device and the CPU (RAM is kept). */
void pc_reset(Pc *pc);

/*
 * Run until quit (or a guest reset with no_reboot).  Host I/O is
 * dispatched from ctx (NULL: the thread-default context).
 */
PcExit pc_run(Pc *pc, GMainContext *ctx);

/*
 * Run without host I/O until virtual time reaches until_cycle, the CPU
 * halts with nothing pending before that, or quit is requested.  For
 * tests that own the clock.
 */
PcExit pc_run_for(Pc *pc, uint64_t until_cycle);

/* Safe from device callbacks and GLib sources. */
void pc_request_quit(Pc *pc);

#endif /* DEVICES_PC_H */
