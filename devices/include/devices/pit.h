/*
 * tulipvm: Intel 8254 programmable interval timer at 0x40-0x43 and the
 * PC/AT system control port B (0x61) that gates channel 2 and reads its
 * output back.
 */
#ifndef DEVICES_PIT_H
#define DEVICES_PIT_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "emu/bus.h"
#include "emu/clock.h"
#include "emu/irq.h"

#define PIT_BASE         0x40
#define PIT_PORT_B       0x61
#define PIT_FREQ_HZ      1193182u
#define PIT_NUM_CHANNELS 3

typedef struct Pit Pit;

/* One counter.  Fields are internal. */
typedef struct PitChannel {
    Pit *pit;
    uint32_t reload;        /* initial count N, 1 .. 0x10000 (10000 BCD) */
    uint16_t write_lsb;     /* LSB held until the MSB arrives */
    uint16_t latched_count; /* value captured by a latch command */
    uint8_t latch_state;    /* RW_* sequence of the latched count, 0 none */
    uint8_t status;         /* status byte captured by read-back */
    bool status_latched;
    uint8_t rw;   /* access mode of the control word */
    uint8_t mode; /* 0-5 */
    bool bcd;
    uint8_t read_state, write_state;
    bool gate;
    bool loaded;    /* a count was written (null count clear) */
    bool triggered; /* modes 1 and 5: a gate edge started counting */
    bool frozen;    /* counting inhibited by the gate */
    uint64_t frozen_elapsed;
    uint64_t load_tick; /* PIT tick at which the current count started */
    bool out_level;     /* channel 0: level last driven on IRQ0 */
} PitChannel;

struct Pit {
    Clock *clock;
    Bus *io;
    IoRegion *regions[2];
    PitChannel ch[PIT_NUM_CHANNELS];
    uint8_t port_b; /* writable bits 0-3 of port 0x61 */
    IrqLine irq0;
    Timer timer; /* next OUT0 transition */
};

/* Map 0x40-0x43 and 0x61; OUT0 drives irq0 (IRQ0 of the PIC). */
bool pit_init(Pit *p, Bus *io, Clock *clock, IrqLine irq0, GError **errp);
void pit_destroy(Pit *p);
/* As firmware leaves it: every channel in mode 3 with count 0 (65536). */
void pit_reset(Pit *p);

/* Output level of a channel now (the speaker uses OUT2). */
bool pit_get_out(Pit *p, int channel);
/* Port 0x61 bit 1 and gate 2: the speaker would sound OUT2. */
bool pit_speaker_enabled(const Pit *p);

#endif /* DEVICES_PIT_H */
