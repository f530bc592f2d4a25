/*
 * tulipvm: VGA colour text mode (IBM VGA Technical Reference, mode 3).
 *
 * Modelled, because Linux's vgacon relies on it:
 *  - the 32 KiB text window at 0xB8000 (character/attribute pairs), read and
 *    written at any width; the display starts at the CRTC start address
 *    (CR0C/CR0D, in cells) and wraps inside the 16384-cell window, which is
 *    how vgacon scrolls without copying;
 *  - CRTC index/data at 0x3D4/0x3D5 with all 25 registers readable (vgacon
 *    reads CR0A/CR0B before changing the cursor shape), cursor location
 *    CR0E/CR0F, cursor disable (CR0A bit 5, or a start line below the end
 *    line, which is how vgacon hides it), and the CR11 write protect of
 *    CR00-CR07;
 *  - miscellaneous output (0x3C2 write / 0x3CC read): clearing the I/O
 *    address select bit un-decodes 0x3D4/0x3D5/0x3DA as on real hardware;
 *  - input status 1 (0x3DA) stepping through active display, horizontal and
 *    vertical retrace on successive reads so polling loops finish, and
 *    resetting the attribute flip-flop;
 *  - sequencer, graphics and attribute registers as plain storage; the
 *    screen-off bit (SR01 bit 5) and the attribute palette address source
 *    (index bit 5) blank the display, and the 16 palette registers are
 *    locked while that bit is set;
 *  - the DAC (0x3C6-0x3C9) with the standard 64-colour EGA palette at
 *    reset; snapshot colours go through the palette registers, the colour
 *    select register and the DAC mask, so vgacon's palette set-up shows;
 *  - attribute bit 7: blink when AR10 bit 3 is set (the reset value, as a
 *    BIOS leaves mode 3), bright background otherwise.  The device only
 *    reports which; the frontend does the blinking.
 *
 * Not modelled: graphics modes and planar memory at 0xA0000 (font loading
 * through plane 2 therefore has no effect; the frontend uses its own font),
 * moving the text window with GR06, monochrome addresses (0x3B4/0x3BA),
 * timing registers (the geometry is always 80x25), split screen, smooth
 * scrolling, the ninth dot column, and retrace timing in virtual time.
 */
#include "devices/vga.h"
#include "emu/log.h"
#include "vga_regs.h"

#include <string.h>

#define VGA_CELLS (VGA_TEXT_SIZE / 2)

// clang-format off
/* BIOS mode 3 register tables (IBM VGA Technical Reference). */
static const uint8_t vga_mode3_crtc[VGA_CRTC_REGS] = {
    0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E,
    0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3,
    0xFF,
};
static const uint8_t vga_mode3_seq[VGA_SEQ_REGS] = {
    0x03, 0x00, 0x03, 0x00, 0x02,
};
static const uint8_t vga_mode3_gc[VGA_GC_REGS] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF,
};
static const uint8_t vga_mode3_attr[VGA_ATTR_REGS] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B,
    0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00,
};
// clang-format on

static void vga_changed(Vga *s)
{
    s->generation++;
}

/* Store v in *reg; a screen change only if the value differs. */
static void vga_store(Vga *s, uint8_t *reg, uint8_t v)
{
    if (*reg != v) {
        *reg = v;
        vga_changed(s);
    }
}

void vga_reset(Vga *s)
{
    memset(s->text, 0, sizeof(s->text));
    /* Blank cells in light grey on black, as the BIOS clears the screen. */
    for (unsigned i = 0; i < VGA_CELLS; i++) {
        s->text[i * 2] = ' ';
        s->text[i * 2 + 1] = 0x07;
    }
    s->misc = 0x67;
    s->feature = 0;
    s->crtc_index = 0;
    memcpy(s->crtc, vga_mode3_crtc, sizeof(s->crtc));
    s->seq_index = 0;
    memcpy(s->seq, vga_mode3_seq, sizeof(s->seq));
    s->gc_index = 0;
    memcpy(s->gc, vga_mode3_gc, sizeof(s->gc));
    s->attr_index = VGA_AR_PAS;
    s->attr_flipflop = false;
    memcpy(s->attr, vga_mode3_attr, sizeof(s->attr));
    /* EGA rgbRGB: primaries at 2/3 intensity, secondaries add 1/3. */
    memset(s->dac, 0, sizeof(s->dac));
    for (unsigned i = 0; i < 64; i++) {
        s->dac[i][0] = (i & 0x04 ? 0x2A : 0) + (i & 0x20 ? 0x15 : 0);
        s->dac[i][1] = (i & 0x02 ? 0x2A : 0) + (i & 0x10 ? 0x15 : 0);
        s->dac[i][2] = (i & 0x01 ? 0x2A : 0) + (i & 0x08 ? 0x15 : 0);
    }
    s->dac_mask = 0xFF;
    s->dac_write_index = s->dac_read_index = 0;
    s->dac_component = 0;
    s->dac_reading = false;
    s->retrace_phase = 0;
    vga_changed(s);
}

/* --- text memory ---------------------------------------------------- */

static uint32_t vga_mem_read(void *opaque, uint32_t off, unsigned size)
{
    Vga *s = opaque;
    uint32_t v = 0;

    for (unsigned i = 0; i < size && off + i < VGA_TEXT_SIZE; i++) {
        v |= (uint32_t)s->text[off + i] << (8 * i);
    }
    return v;
}

static void vga_mem_write(void *opaque, uint32_t off, uint32_t val,
                          unsigned size)
{
    Vga *s = opaque;
    bool changed = false;

    for (unsigned i = 0; i < size && off + i < VGA_TEXT_SIZE; i++) {
        uint8_t b = (uint8_t)(val >> (8 * i));
        changed |= s->text[off + i] != b;
        s->text[off + i] = b;
    }
    if (changed) {
        vga_changed(s);
    }
}

static const IoRegionOps vga_mem_ops = {
    .read = vga_mem_read,
    .write = vga_mem_write,
    .min_size = 1,
    .max_size = 4,
};

/* --- registers ------------------------------------------------------ */

static bool vga_color_decode(const Vga *s)
{
    return s->misc & VGA_MIS_COLOR;
}

static void vga_crtc_write(Vga *s, uint8_t v)
{
    uint8_t idx = s->crtc_index;

    if (idx >= VGA_CRTC_REGS) {
        emu_log(LOG_GUEST_ERROR, "vga: write 0x%x to CRTC index 0x%x", v, idx);
        return;
    }
    if ((s->crtc[VGA_CRTC_V_SYNC_END] & VGA_CR11_PROTECT) && idx <= 7) {
        if (idx != 7) {
            return;
        }
        v = (s->crtc[7] & ~VGA_CR07_LC8) | (v & VGA_CR07_LC8);
    }
    TRACE(TRACE_VGA, "vga_crtc_write idx=0x%x val=0x%x", idx, v);
    vga_store(s, &s->crtc[idx], v);
}

static void vga_attr_write(Vga *s, uint8_t v)
{
    if (!s->attr_flipflop) {
        s->attr_flipflop = true;
        if ((s->attr_index ^ v) & VGA_AR_PAS) {
            vga_changed(s);
        }
        s->attr_index = v & 0x3F;
        return;
    }
    s->attr_flipflop = false;
    uint8_t idx = s->attr_index & 0x1F;
    if (idx >= VGA_ATTR_REGS) {
        emu_log(LOG_GUEST_ERROR, "vga: write 0x%x to attribute index 0x%x", v,
                idx);
        return;
    }
    /* The palette registers are in use while PAS is set: writes are lost. */
    if (idx < VGA_ATC_PALETTES && (s->attr_index & VGA_AR_PAS)) {
        return;
    }
    vga_store(s, &s->attr[idx], idx < VGA_ATC_PALETTES ? v & 0x3F : v);
}

static void vga_dac_write(Vga *s, uint8_t v)
{
    vga_store(s, &s->dac[s->dac_write_index][s->dac_component], v & 0x3F);
    if (++s->dac_component == 3) {
        s->dac_component = 0;
        s->dac_write_index++;
    }
}

static uint8_t vga_dac_read(Vga *s)
{
    uint8_t v = s->dac[s->dac_read_index][s->dac_component];
    if (++s->dac_component == 3) {
        s->dac_component = 0;
        s->dac_read_index++;
    }
    return v;
}

static uint8_t vga_input_status1(Vga *s)
{
    /* Active display, horizontal retrace, vertical retrace, horizontal. */
    static const uint8_t phases[4] = {0, VGA_IS1_DD, VGA_IS1_DD | VGA_IS1_VR,
                                      VGA_IS1_DD};
    s->attr_flipflop = false;
    return phases[s->retrace_phase++ & 3];
}

static uint32_t vga_io_read(void *opaque, uint32_t off, unsigned size)
{
    Vga *s = opaque;
    (void)size;

    switch (off) {
    case VGA_ATT_IW:
        return s->attr_index;
    case VGA_ATT_R: {
        uint8_t idx = s->attr_index & 0x1F;
        return idx < VGA_ATTR_REGS ? s->attr[idx] : 0xFF;
    }
    case VGA_MIS_W:
        return 0; /* input status 0: no switch sense, no CRT interrupt */
    case VGA_VSE:
        return 1;
    case VGA_SEQ_I:
        return s->seq_index;
    case VGA_SEQ_D:
        return s->seq_index < VGA_SEQ_REGS ? s->seq[s->seq_index] : 0xFF;
    case VGA_PEL_MSK:
        return s->dac_mask;
    case VGA_PEL_IR:
        return s->dac_reading ? 0x03 : 0x00;
    case VGA_PEL_IW:
        return s->dac_write_index;
    case VGA_PEL_D:
        return vga_dac_read(s);
    case VGA_FTC_R:
        return s->feature;
    case VGA_MIS_R:
        return s->misc;
    case VGA_GFX_I:
        return s->gc_index;
    case VGA_GFX_D:
        return s->gc_index < VGA_GC_REGS ? s->gc[s->gc_index] : 0xFF;
    case VGA_CRT_IC:
        return vga_color_decode(s) ? s->crtc_index : 0xFF;
    case VGA_CRT_DC:
        if (!vga_color_decode(s) || s->crtc_index >= VGA_CRTC_REGS) {
            return 0xFF;
        }
        return s->crtc[s->crtc_index];
    case VGA_IS1_RC:
        return vga_color_decode(s) ? vga_input_status1(s) : 0xFF;
    default:
        return 0xFF; /* monochrome-only and unused ports */
    }
}

static void vga_io_write(void *opaque, uint32_t off, uint32_t val,
                         unsigned size)
{
    Vga *s = opaque;
    uint8_t v = (uint8_t)val;
    (void)size;

    switch (off) {
    case VGA_ATT_IW:
        vga_attr_write(s, v);
        break;
    case VGA_MIS_W:
        s->misc = v;
        break;
    case VGA_SEQ_I:
        s->seq_index = v & 0x07;
        break;
    case VGA_SEQ_D:
        if (s->seq_index < VGA_SEQ_REGS) {
            vga_store(s, &s->seq[s->seq_index], v);
        }
        break;
    case VGA_PEL_MSK:
        vga_store(s, &s->dac_mask, v);
        break;
    case VGA_PEL_IR:
        s->dac_read_index = v;
        s->dac_component = 0;
        s->dac_reading = true;
        break;
    case VGA_PEL_IW:
        s->dac_write_index = v;
        s->dac_component = 0;
        s->dac_reading = false;
        break;
    case VGA_PEL_D:
        vga_dac_write(s, v);
        break;
    case VGA_GFX_I:
        s->gc_index = v & 0x0F;
        break;
    case VGA_GFX_D:
        if (s->gc_index < VGA_GC_REGS) {
            s->gc[s->gc_index] = v;
        }
        break;
    case VGA_CRT_IC:
        if (vga_color_decode(s)) {
            s->crtc_index = v;
        }
        break;
    case VGA_CRT_DC:
        if (vga_color_decode(s)) {
            vga_crtc_write(s, v);
        }
        break;
    case VGA_IS1_RC:
        if (vga_color_decode(s)) {
            s->feature = v;
        }
        break;
    default:
        break;
    }
}

/* Byte registers; the bus splits vgacon's outw(index | data << 8, 0x3D4). */
static const IoRegionOps vga_io_ops = {
    .read = vga_io_read,
    .write = vga_io_write,
    .min_size = 1,
    .max_size = 1,
};

bool vga_init(Vga *s, MemMap *mem, Bus *io, GError **errp)
{
    memset(s, 0, sizeof(*s));
    s->mem = mem;
    s->io = io;
    vga_reset(s);
    s->mmio = mem_map_mmio(mem, "vga-text", VGA_TEXT_BASE, VGA_TEXT_SIZE,
                           &vga_mem_ops, s, errp);
    if (!s->mmio) {
        return false;
    }
    s->pio = bus_map(io, "vga", VGA_IO_BASE, VGA_IO_LEN, &vga_io_ops, s, errp);
    if (!s->pio) {
        goto out_unmap_mmio;
    }
    return true;

out_unmap_mmio:
    mem_unmap_mmio(mem, s->mmio);
    s->mmio = NULL;
    return false;
}

void vga_destroy(Vga *s)
{
    if (s->pio) {
        bus_unmap(s->io, s->pio);
        s->pio = NULL;
    }
    if (s->mmio) {
        mem_unmap_mmio(s->mem, s->mmio);
        s->mmio = NULL;
    }
}

uint64_t vga_generation(const Vga *s)
{
    return s->generation;
}

/* Attribute colour index -> 0xRRGGBB through AR00-0F, AR14, the DAC. */
static uint32_t vga_resolve_color(const Vga *s, unsigned color)
{
    uint8_t pal = s->attr[color] & 0x3F;
    uint8_t sel = s->attr[VGA_ATC_COLOR];
    unsigned idx;

    if (s->attr[VGA_ATC_MODE] & VGA_AR10_P54S) {
        idx = (sel & 0x0C) << 4 | (sel & 0x03) << 4 | (pal & 0x0F);
    } else {
        idx = (sel & 0x0C) << 4 | pal;
    }
    idx &= s->dac_mask;
    uint32_t rgb = 0;
    for (unsigned c = 0; c < 3; c++) {
        uint8_t v6 = s->dac[idx][c];
        rgb = rgb << 8 | (uint32_t)(v6 << 2 | v6 >> 4);
    }
    return rgb;
}

void vga_text_snapshot(Vga *s, VgaTextScreen *out)
{
    unsigned start = (unsigned)(s->crtc[VGA_CRTC_START_HI] << 8 |
                                s->crtc[VGA_CRTC_START_LO]);
    unsigned cursor = (unsigned)(s->crtc[VGA_CRTC_CURSOR_HI] << 8 |
                                 s->crtc[VGA_CRTC_CURSOR_LO]);

    for (unsigned r = 0; r < VGA_TEXT_ROWS; r++) {
        for (unsigned c = 0; c < VGA_TEXT_COLS; c++) {
            unsigned cell = (start + r * VGA_TEXT_COLS + c) % VGA_CELLS;
            out->cells[r][c].ch = s->text[cell * 2];
            out->cells[r][c].attr = s->text[cell * 2 + 1];
        }
    }
    out->char_height = (s->crtc[VGA_CRTC_MAX_SCAN] & 0x1F) + 1;
    out->cursor_start = s->crtc[VGA_CRTC_CURSOR_START] & 0x1F;
    out->cursor_end = s->crtc[VGA_CRTC_CURSOR_END] & 0x1F;
    unsigned rel = (cursor - start) % VGA_CELLS;
    out->cursor_row = rel / VGA_TEXT_COLS;
    out->cursor_col = rel % VGA_TEXT_COLS;
    out->cursor_visible = rel < VGA_TEXT_ROWS * VGA_TEXT_COLS &&
                          !(s->crtc[VGA_CRTC_CURSOR_START] & VGA_CR0A_CD) &&
                          out->cursor_start <= out->cursor_end &&
                          out->cursor_start < out->char_height;
    if (!out->cursor_visible) {
        out->cursor_row = out->cursor_col = 0;
    }
    out->blink_enabled = s->attr[VGA_ATC_MODE] & VGA_AR10_BLINK;
    out->display_enabled = (s->attr_index & VGA_AR_PAS) &&
                           !(s->seq[VGA_SEQ_CLOCK_MODE] & VGA_SR01_SD);
    for (unsigned i = 0; i < 16; i++) {
        out->palette[i] = vga_resolve_color(s, i);
    }
    out->generation = s->generation;
}
