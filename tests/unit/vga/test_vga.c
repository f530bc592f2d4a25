/*
 * VGA text mode driven the way Linux's vgacon drives it: the video memory
 * probe at 0xB8000, text and attributes written with 16-bit stores, cursor
 * moves and scrolling through write_vga()'s pair of outw() to 0x3D4, the
 * cursor shape read-modify-write, palette normalisation through the
 * attribute controller and the DAC, and blanking.
 */
#include <criterion/criterion.h>
#include <string.h>
#include "devices/vga.h"
#include "emu/log.h"

#define MB (1024u * 1024u)

static MemMap *mem;
static Bus *io;
static Vga vga;
static VgaTextScreen scr;

static void setup(void)
{
    mem = mem_new(4 * MB, NULL);
    cr_assert_not_null(mem);
    cr_assert(mem_map_ram(mem, 0, 0, 0xA0000, NULL));
    io = bus_new("io", 0xFFFF);
    cr_assert(vga_init(&vga, mem, io, NULL));
}

static void teardown(void)
{
    vga_destroy(&vga);
    bus_free(io);
    mem_free(mem);
}

TestSuite(vga_text, .init = setup, .fini = teardown);

static void outb(uint16_t port, uint8_t v)
{
    bus_write(io, port, v, 1);
}

static uint8_t inb(uint16_t port)
{
    return bus_read(io, port, 1);
}

/* vgacon's write_vga(): index and data bytes in one outw, twice. */
static void write_vga(uint8_t reg, uint16_t val)
{
    bus_write(io, 0x3D4, reg | (val & 0xFF00), 2);
    bus_write(io, 0x3D4, (reg + 1) | ((val << 8) & 0xFF00), 2);
}

static void scr_writew(unsigned cell, uint16_t v)
{
    mem_write(mem, VGA_TEXT_BASE + cell * 2, v, 2);
}

static uint16_t scr_readw(unsigned cell)
{
    return (uint16_t)mem_read(mem, VGA_TEXT_BASE + cell * 2, 2);
}

static void put_string(unsigned cell, const char *s, uint8_t attr)
{
    for (; *s; s++) {
        scr_writew(cell++, (uint16_t)(attr << 8 | (uint8_t)*s));
    }
}

static void row_text(unsigned row, char *buf, unsigned n)
{
    for (unsigned c = 0; c < n; c++) {
        buf[c] = (char)scr.cells[row][c].ch;
    }
    buf[n] = 0;
}

/* vgacon_set_cursor_size(): read CR0A/CR0B, keep the top bits. */
static void set_cursor_size(uint8_t from, uint8_t to)
{
    outb(0x3D4, 0x0A);
    uint8_t curs = inb(0x3D5);
    outb(0x3D4, 0x0B);
    uint8_t cure = inb(0x3D5);
    curs = (curs & 0xC0) | from;
    cure = (cure & 0xE0) | to;
    outb(0x3D4, 0x0A);
    outb(0x3D5, curs);
    outb(0x3D4, 0x0B);
    outb(0x3D5, cure);
}

Test(vga_text, video_memory_probe_reads_back_both_patterns)
{
    uint16_t saved1 = scr_readw(0), saved2 = scr_readw(1);
    scr_writew(0, 0xAA55);
    scr_writew(1, 0x55AA);
    cr_assert_eq(scr_readw(0), 0xAA55);
    cr_assert_eq(scr_readw(1), 0x55AA);
    scr_writew(0, 0x55AA);
    scr_writew(1, 0xAA55);
    cr_assert_eq(scr_readw(0), 0x55AA);
    cr_assert_eq(scr_readw(1), 0xAA55);
    scr_writew(0, saved1);
    scr_writew(1, saved2);
    /* The whole 32 KiB window is memory; a dword store reads back. */
    mem_write(mem, VGA_TEXT_BASE + VGA_TEXT_SIZE - 4, 0x12345678, 4);
    cr_assert_eq(mem_read(mem, VGA_TEXT_BASE + VGA_TEXT_SIZE - 4, 4),
                 0x12345678u);
    cr_assert_eq(mem_read(mem, VGA_TEXT_BASE + VGA_TEXT_SIZE - 3, 1), 0x56);
}

Test(vga_text, reset_screen_is_blank_grey_on_black_with_bios_cursor)
{
    vga_text_snapshot(&vga, &scr);
    for (unsigned r = 0; r < VGA_TEXT_ROWS; r++) {
        for (unsigned c = 0; c < VGA_TEXT_COLS; c++) {
            cr_assert_eq(scr.cells[r][c].ch, ' ');
            cr_assert_eq(scr.cells[r][c].attr, 0x07);
        }
    }
    cr_assert(scr.cursor_visible);
    cr_assert_eq(scr.cursor_start, 13);
    cr_assert_eq(scr.cursor_end, 14);
    cr_assert_eq(scr.char_height, 16);
    cr_assert(scr.display_enabled);
    cr_assert(scr.blink_enabled);
}

Test(vga_text, text_and_attributes_written_through_mmio_appear_in_snapshot)
{
    char buf[VGA_TEXT_COLS + 1];
    put_string(0, "Linux version 6.1.0", 0x07);
    put_string(3 * VGA_TEXT_COLS + 10, "tulip0", 0x1E);
    mem_write(mem, VGA_TEXT_BASE + 2 * (24 * VGA_TEXT_COLS + 79), 0xC9, 1);
    vga_text_snapshot(&vga, &scr);
    row_text(0, buf, 19);
    cr_assert_str_eq(buf, "Linux version 6.1.0");
    cr_assert_eq(scr.cells[3][10].ch, 't');
    cr_assert_eq(scr.cells[3][10].attr, 0x1E);
    cr_assert_eq(scr.cells[3][15].ch, '0');
    cr_assert_eq(scr.cells[24][79].ch, 0xC9); /* CP437 box corner */
    cr_assert_eq(scr.cells[24][79].attr, 0x07);
}

Test(vga_text, cursor_follows_crtc_location_registers)
{
    write_vga(14, 5 * VGA_TEXT_COLS + 17);
    vga_text_snapshot(&vga, &scr);
    cr_assert(scr.cursor_visible);
    cr_assert_eq(scr.cursor_row, 5);
    cr_assert_eq(scr.cursor_col, 17);
    /* The registers read back as written. */
    outb(0x3D4, 0x0E);
    cr_assert_eq(inb(0x3D5), (5 * 80 + 17) >> 8);
    outb(0x3D4, 0x0F);
    cr_assert_eq(inb(0x3D5), (5 * 80 + 17) & 0xFF);
    cr_assert_eq(inb(0x3D4), 0x0F);
}

Test(vga_text, start_address_scrolls_the_display_and_the_cursor)
{
    char buf[8];
    for (unsigned r = 0; r < 30; r++) {
        char line[8];
        g_snprintf(line, sizeof(line), "line%02u", r);
        put_string(r * VGA_TEXT_COLS, line, 0x07);
    }
    /* vgacon_scroll: the visible origin moves down by whole rows. */
    write_vga(12, 5 * VGA_TEXT_COLS);
    write_vga(14, 29 * VGA_TEXT_COLS + 6);
    vga_text_snapshot(&vga, &scr);
    row_text(0, buf, 6);
    cr_assert_str_eq(buf, "line05");
    row_text(24, buf, 6);
    cr_assert_str_eq(buf, "line29");
    cr_assert(scr.cursor_visible);
    cr_assert_eq(scr.cursor_row, 24);
    cr_assert_eq(scr.cursor_col, 6);
    /* A cursor above the visible origin is off screen. */
    write_vga(14, 2 * VGA_TEXT_COLS);
    vga_text_snapshot(&vga, &scr);
    cr_assert_not(scr.cursor_visible);
}

Test(vga_text, display_wraps_at_the_end_of_the_32k_window)
{
    unsigned last_row = VGA_TEXT_SIZE / 2 - VGA_TEXT_COLS;
    put_string(last_row, "bottom", 0x07);
    put_string(0, "top", 0x07);
    write_vga(12, (uint16_t)last_row);
    vga_text_snapshot(&vga, &scr);
    cr_assert_eq(scr.cells[0][0].ch, 'b');
    cr_assert_eq(scr.cells[1][0].ch, 't');
    cr_assert_eq(scr.cells[1][2].ch, 'p');
}

Test(vga_text, cursor_size_read_modify_write_and_hiding_as_vgacon_does)
{
    outb(0x3D4, 0x0A);
    outb(0x3D5, 0xC0 | 13); /* top bits must survive */
    set_cursor_size(14, 15);
    outb(0x3D4, 0x0A);
    cr_assert_eq(inb(0x3D5), 0xC0 | 14);
    vga_text_snapshot(&vga, &scr);
    cr_assert(scr.cursor_visible);
    cr_assert_eq(scr.cursor_start, 14);
    cr_assert_eq(scr.cursor_end, 15);
    /* CM_ERASE: start line 31 after end line 30 hides the cursor. */
    set_cursor_size(31, 30);
    vga_text_snapshot(&vga, &scr);
    cr_assert_not(scr.cursor_visible);
    /* Full block cursor comes back. */
    set_cursor_size(0, 15);
    vga_text_snapshot(&vga, &scr);
    cr_assert(scr.cursor_visible);
    /* Cursor disable bit. */
    outb(0x3D4, 0x0A);
    outb(0x3D5, 0x20);
    vga_text_snapshot(&vga, &scr);
    cr_assert_not(scr.cursor_visible);
}

Test(vga_text, crtc_registers_read_back_and_cr11_protects_timing)
{
    for (uint8_t i = 0x08; i < VGA_CRTC_REGS; i++) {
        if (i == 0x11) {
            continue;
        }
        outb(0x3D4, i);
        outb(0x3D5, (uint8_t)(0x40 + i));
        cr_assert_eq(inb(0x3D5), 0x40 + i, "CR%02x", i);
    }
    outb(0x3D4, 0x11);
    outb(0x3D5, 0x8E); /* protect on */
    outb(0x3D4, 0x01);
    outb(0x3D5, 0x27);
    cr_assert_eq(inb(0x3D5), 0x4F);
    outb(0x3D4, 0x07);
    outb(0x3D5, 0x00);
    cr_assert_eq(inb(0x3D5), 0x1F & ~0x10u); /* only LC8 writable */
    outb(0x3D4, 0x11);
    outb(0x3D5, 0x0E); /* protect off */
    outb(0x3D4, 0x01);
    outb(0x3D5, 0x27);
    cr_assert_eq(inb(0x3D5), 0x27);
    /* An index past the last register reads as all ones. */
    outb(0x3D4, 0x30);
    outb(0x3D5, 0x12);
    cr_assert_eq(inb(0x3D5), 0xFF);
}

Test(vga_text, input_status_steps_through_retrace_and_resets_flipflop)
{
    bool saw_vr = false, saw_active = false;
    for (int i = 0; i < 8; i++) {
        uint8_t st = inb(0x3DA);
        saw_vr |= (st & 0x08) != 0;
        saw_active |= (st & 0x09) == 0;
    }
    cr_assert(saw_vr && saw_active);
    /* Index write, then 0x3DA read: the next write is an index again. */
    outb(0x3C0, 0x10);
    inb(0x3DA);
    outb(0x3C0, 0x30);
    cr_assert_eq(inb(0x3C0), 0x30);
    cr_assert_eq(inb(0x3C1), 0x0C); /* mode control, not overwritten */
}

Test(vga_text, misc_output_io_select_undecodes_colour_crtc)
{
    cr_assert_eq(inb(0x3CC), 0x67);
    outb(0x3C2, 0x66);
    cr_assert_eq(inb(0x3CC), 0x66);
    outb(0x3D4, 0x0E);
    cr_assert_eq(inb(0x3D5), 0xFF);
    cr_assert_eq(inb(0x3DA), 0xFF);
    outb(0x3C2, 0x67);
    outb(0x3D4, 0x0A);
    cr_assert_eq(inb(0x3D5), 0x0D);
}

Test(vga_text, sequencer_and_graphics_registers_are_storage)
{
    outb(0x3C4, 0x02);
    outb(0x3C5, 0x04);
    cr_assert_eq(inb(0x3C5), 0x04);
    cr_assert_eq(inb(0x3C4), 0x02);
    outb(0x3CE, 0x05);
    outb(0x3CF, 0x00);
    cr_assert_eq(inb(0x3CF), 0x00);
    outb(0x3CE, 0x06);
    cr_assert_eq(inb(0x3CF), 0x0E);
    /* 16-bit write: index and data in one go, as vga_vesa_blank does. */
    bus_write(io, 0x3C4, 0x2001, 2);
    outb(0x3C4, 0x01);
    cr_assert_eq(inb(0x3C5), 0x20);
    vga_text_snapshot(&vga, &scr);
    cr_assert_not(scr.display_enabled, "SR01 screen off blanks");
    bus_write(io, 0x3C4, 0x0001, 2);
    vga_text_snapshot(&vga, &scr);
    cr_assert(scr.display_enabled);
}

Test(vga_text, default_palette_is_the_standard_sixteen_colours)
{
    static const uint32_t want[16] = {
        0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA,
        0xAA5500, 0xAAAAAA, 0x555555, 0x5555FF, 0x55FF55, 0x55FFFF,
        0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF,
    };
    vga_text_snapshot(&vga, &scr);
    for (int i = 0; i < 16; i++) {
        cr_assert_eq(scr.palette[i], want[i], "colour %d: 0x%06x", i,
                     scr.palette[i]);
    }
}

/*
 * vgacon_startup: point the 16 attribute palette registers at DAC 0-15,
 * then load those DAC entries with the console's default colours (ANSI
 * order, reached through vt's colour table), then set the text colours.
 */
Test(vga_text, palette_normalisation_and_dac_writes_change_colours)
{
    static const uint8_t color_table[16] = {0, 4,  2,  6,  1, 5,  3,  7,
                                            8, 12, 10, 14, 9, 13, 11, 15};
    static const uint32_t ansi_rgb[16] = {
        0x000000, 0xAA0000, 0x00AA00, 0xAA5500, 0x0000AA, 0xAA00AA,
        0x00AAAA, 0xAAAAAA, 0x555555, 0xFF5555, 0x55FF55, 0xFFFF55,
        0x5555FF, 0xFF55FF, 0x55FFFF, 0xFFFFFF,
    };
    inb(0x3DA);
    for (uint8_t i = 0; i < 16; i++) {
        inb(0x3DA);
        outb(0x3C0, i);
        outb(0x3C0, i);
    }
    vga_text_snapshot(&vga, &scr);
    cr_assert_not(scr.display_enabled, "PAS clear blanks the screen");
    outb(0x3C0, 0x20);
    vga_text_snapshot(&vga, &scr);
    cr_assert(scr.display_enabled);
    /* Colour 6 now reaches DAC 6 (EGA dark yellow), no longer DAC 0x14. */
    cr_assert_eq(scr.palette[6], 0xAAAA00);
    for (int i = 0; i < 16; i++) {
        outb(0x3C8, color_table[i]);
        outb(0x3C9, (uint8_t)(ansi_rgb[i] >> 18));
        outb(0x3C9, (uint8_t)((ansi_rgb[i] >> 10) & 0x3F));
        outb(0x3C9, (uint8_t)((ansi_rgb[i] >> 2) & 0x3F));
    }
    vga_text_snapshot(&vga, &scr);
    cr_assert_eq(scr.palette[6], 0xAA5500);
    cr_assert_eq(scr.palette[1], 0x0000AA);
    cr_assert_eq(scr.palette[12], 0xFF5555);
    /* Program DAC entry 1 and read it back through 0x3C7. */
    outb(0x3C8, 1);
    outb(0x3C9, 0x3F);
    outb(0x3C9, 0x00);
    outb(0x3C9, 0x10);
    outb(0x3C7, 1);
    cr_assert_eq(inb(0x3C9), 0x3F);
    cr_assert_eq(inb(0x3C9), 0x00);
    cr_assert_eq(inb(0x3C9), 0x10);
    cr_assert_eq(inb(0x3C7), 0x03);
    vga_text_snapshot(&vga, &scr);
    cr_assert_eq(scr.palette[1], 0xFF0041u);
    /* With PAS set the palette registers are locked. */
    inb(0x3DA);
    outb(0x3C0, 0x21);
    outb(0x3C0, 0x05);
    inb(0x3DA);
    outb(0x3C0, 0x01);
    cr_assert_eq(inb(0x3C1), 0x01);
    outb(0x3C0, 0x20);
}

Test(vga_text, attribute_mode_bit3_chooses_blink_or_bright_background)
{
    inb(0x3DA);
    outb(0x3C0, 0x30); /* mode control, PAS kept on */
    outb(0x3C0, 0x04);
    vga_text_snapshot(&vga, &scr);
    cr_assert_not(scr.blink_enabled);
    cr_assert(scr.display_enabled);
    outb(0x3C0, 0x30);
    outb(0x3C0, 0x0C);
    vga_text_snapshot(&vga, &scr);
    cr_assert(scr.blink_enabled);
}

static uint8_t crtc_read(uint8_t idx)
{
    outb(0x3D4, idx);
    return inb(0x3D5);
}

static void crtc_write(uint8_t idx, uint8_t v)
{
    outb(0x3D4, idx);
    outb(0x3D5, v);
}

/*
 * vgacon's VESA powerdown (vga_vesa_blank with both sync suspends) and
 * vga_vesa_unblank: save timing registers, switch the screen off through
 * SR01, kill the sync pulses, then put every register back.
 */
Test(vga_text, vesa_blank_and_unblank_restore_every_register)
{
    static const uint8_t saved_idx[] = {0x00, 0x01, 0x04, 0x05,
                                        0x07, 0x10, 0x11, 0x17};
    uint8_t saved[sizeof(saved_idx)];
    uint8_t misc = inb(0x3CC);
    outb(0x3C4, 0x01);
    uint8_t clocking = inb(0x3C5);
    for (unsigned i = 0; i < sizeof(saved_idx); i++) {
        saved[i] = crtc_read(saved_idx[i]);
    }
    bus_write(io, 0x3C4, 0x01 | (clocking | 0x20) << 8, 2);
    crtc_write(0x10, 0xFF);
    crtc_write(0x11, 0x40); /* also lifts the CR00-CR07 protection */
    crtc_write(0x07, saved[4] | 0x84);
    crtc_write(0x04, 0xFF);
    crtc_write(0x05, 0x00);
    vga_text_snapshot(&vga, &scr);
    cr_assert_not(scr.display_enabled);
    cr_assert_eq(crtc_read(0x04), 0xFF);
    /* Unblank: restore in the driver's order (CR11 last but one). */
    outb(0x3C2, misc);
    for (unsigned i = 0; i < sizeof(saved_idx); i++) {
        crtc_write(saved_idx[i], saved[i]);
    }
    bus_write(io, 0x3C4, 0x01 | clocking << 8, 2);
    for (unsigned i = 0; i < sizeof(saved_idx); i++) {
        cr_assert_eq(crtc_read(saved_idx[i]), saved[i], "CR%02x", saved_idx[i]);
    }
    vga_text_snapshot(&vga, &scr);
    cr_assert(scr.display_enabled);
}

/* vga_pal_blank: the first 16 DAC entries go black; the text stays. */
Test(vga_text, palette_blanking_turns_every_colour_black)
{
    outb(0x3C6, 0xFF);
    for (uint8_t i = 0; i < 16; i++) {
        outb(0x3C8, i);
        outb(0x3C9, 0);
        outb(0x3C9, 0);
        outb(0x3C9, 0);
    }
    /* DAC 0x14 and 0x38-0x3F still hold colours: re-point the palette
     * registers at 0-15 first, as vgacon_startup did. */
    inb(0x3DA);
    for (uint8_t i = 0; i < 16; i++) {
        outb(0x3C0, i);
        outb(0x3C0, i);
    }
    outb(0x3C0, 0x20);
    put_string(0, "still here", 0x0F);
    vga_text_snapshot(&vga, &scr);
    for (int i = 0; i < 16; i++) {
        cr_assert_eq(scr.palette[i], 0, "colour %d", i);
    }
    cr_assert_eq(scr.cells[0][0].ch, 's');
}

Test(vga_text, generation_moves_only_when_the_screen_changes)
{
    uint64_t g0 = vga_generation(&vga);
    scr_writew(0, 0x0720); /* same as reset content */
    cr_assert_eq(vga_generation(&vga), g0);
    scr_writew(0, 0x0741);
    uint64_t g1 = vga_generation(&vga);
    cr_assert_gt(g1, g0);
    write_vga(14, 1);
    cr_assert_gt(vga_generation(&vga), g1);
    vga_text_snapshot(&vga, &scr);
    cr_assert_eq(scr.generation, vga_generation(&vga));
}

Test(vga_text, maps_exactly_its_windows)
{
    cr_assert_eq(mem_read(mem, 0xB7FFF, 1), 0xFF);
    cr_assert_eq(mem_read(mem, 0xC0000, 1), 0xFF);
    cr_assert_eq(bus_read(io, 0x3BF, 1), 0xFF);
    cr_assert_eq(bus_read(io, 0x3E0, 1), 0xFF);
    GError *err = NULL;
    Vga other;
    cr_assert_not(vga_init(&other, mem, io, &err));
    cr_assert_not_null(err);
    g_clear_error(&err);
}

/* Random register and memory traffic never escapes the device state. */
Test(vga_text, random_guest_traffic_is_harmless)
{
    GRand *rnd = g_rand_new_with_seed(7);
    log_set_enabled(0); /* the guest errors are expected here */
    for (int i = 0; i < 200000; i++) {
        uint32_t r = g_rand_int(rnd);
        uint16_t port = 0x3C0 + (r & 0x1F);
        switch ((r >> 5) & 3) {
        case 0:
            outb(port, (uint8_t)(r >> 8));
            break;
        case 1:
            inb(port);
            break;
        case 2:
            mem_write(mem, VGA_TEXT_BASE + ((r >> 8) & 0x7FFF), r,
                      1 << (r & 2));
            break;
        default:
            mem_read(mem, VGA_TEXT_BASE + ((r >> 8) & 0x7FFF), 4);
            break;
        }
    }
    g_rand_free(rnd);
    vga_text_snapshot(&vga, &scr);
    cr_assert_lt(scr.cursor_row, VGA_TEXT_ROWS);
    cr_assert_lt(scr.cursor_col, VGA_TEXT_COLS);
    cr_assert_leq(scr.char_height, 32);
}
