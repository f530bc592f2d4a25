/*
 * tulipvm: VGA in colour text mode 3 (80x25) as Linux's vgacon drives it.
 *
 * The guest sees the 32 KiB text window at 0xB8000 and the colour register
 * block at 0x3C0-0x3DF.  The frontend reads the screen through
 * vga_text_snapshot(), which resolves the CRTC start address, the cursor
 * and the palette into a plain 80x25 grid.  See devices/vga/vga.c for what
 * is and is not modelled.
 */
#ifndef DEVICES_VGA_H
#define DEVICES_VGA_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "emu/bus.h"
#include "emu/mem.h"

#define VGA_TEXT_BASE  0xB8000
#define VGA_TEXT_SIZE  0x8000 /* 32 KiB: 16384 character cells */
#define VGA_IO_BASE    0x3C0
#define VGA_IO_LEN     0x20
#define VGA_TEXT_COLS  80
#define VGA_TEXT_ROWS  25
#define VGA_CRTC_REGS  0x19
#define VGA_SEQ_REGS   5
#define VGA_GC_REGS    9
#define VGA_ATTR_REGS  0x15
#define VGA_DAC_COLORS 256

typedef struct Vga {
    IoRegion *mmio, *pio;
    MemMap *mem;
    Bus *io;
    uint8_t text[VGA_TEXT_SIZE];
    uint8_t misc;       /* miscellaneous output (0x3C2 write, 0x3CC read) */
    uint8_t feature;    /* feature control (0x3DA write, 0x3CA read) */
    uint8_t crtc_index; /* 0x3D4 */
    uint8_t crtc[VGA_CRTC_REGS];
    uint8_t seq_index;
    uint8_t seq[VGA_SEQ_REGS];
    uint8_t gc_index;
    uint8_t gc[VGA_GC_REGS];
    uint8_t attr_index; /* index byte incl. bit 5 (palette address source) */
    bool attr_flipflop; /* false: next 0x3C0 write is an index */
    uint8_t attr[VGA_ATTR_REGS];
    uint8_t dac[VGA_DAC_COLORS][3]; /* 6-bit components */
    uint8_t dac_mask;
    uint8_t dac_write_index, dac_read_index, dac_component;
    bool dac_reading;       /* last index set through 0x3C7 (DAC state 0x3C7) */
    unsigned retrace_phase; /* advances on each input status 1 read */
    uint64_t generation;    /* bumped on every change the screen can show */
} Vga;

typedef struct VgaCell {
    uint8_t ch;   /* code page 437 character */
    uint8_t attr; /* bits 0-3 foreground, 4-6 background, 7 blink/bright */
} VgaCell;

/*
 * What the screen shows.  palette[] is the 16 attribute colours after the
 * attribute controller's palette registers and the DAC, as 0xRRGGBB.
 * When blink_enabled, attribute bit 7 makes the foreground blink and the
 * background has 8 colours; otherwise bit 7 selects a bright background.
 * cursor_start/end are scan lines within a char_height-line cell.
 */
typedef struct VgaTextScreen {
    VgaCell cells[VGA_TEXT_ROWS][VGA_TEXT_COLS];
    unsigned cursor_row, cursor_col;
    bool cursor_visible;
    uint8_t cursor_start, cursor_end, char_height;
    bool blink_enabled;
    bool display_enabled; /* attribute controller PAS bit / screen on */
    uint32_t palette[16];
    uint64_t generation;
} VgaTextScreen;

/* Map the text window into mem and the registers into io; reset state. */
bool vga_init(Vga *s, MemMap *mem, Bus *io, GError **errp);
void vga_destroy(Vga *s);
/* Mode 3 as a PC BIOS leaves it: cursor lines 13-14, blank screen. */
void vga_reset(Vga *s);

void vga_text_snapshot(Vga *s, VgaTextScreen *out);
/* Cheap check whether a new snapshot is worth taking. */
uint64_t vga_generation(const Vga *s);

#endif /* DEVICES_VGA_H */
