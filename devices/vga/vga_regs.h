/*
 * tulipvm: VGA register names (IBM VGA Technical Reference, colour I/O
 * addresses).  Port numbers are offsets from VGA_IO_BASE (0x3C0).
 */
#ifndef DEVICES_VGA_REGS_H
#define DEVICES_VGA_REGS_H

/* Ports, as offsets into the 0x3C0-0x3DF block */
#define VGA_ATT_IW  0x00 /* attribute index / data write (flip-flop) */
#define VGA_ATT_R   0x01 /* attribute data read */
#define VGA_MIS_W   0x02 /* misc output write; input status 0 read */
#define VGA_VSE     0x03 /* video subsystem enable */
#define VGA_SEQ_I   0x04
#define VGA_SEQ_D   0x05
#define VGA_PEL_MSK 0x06
#define VGA_PEL_IR  0x07 /* DAC read index write; DAC state read */
#define VGA_PEL_IW  0x08
#define VGA_PEL_D   0x09
#define VGA_FTC_R   0x0A /* feature control read */
#define VGA_MIS_R   0x0C
#define VGA_GFX_I   0x0E
#define VGA_GFX_D   0x0F
#define VGA_CRT_IC  0x14 /* 0x3D4 */
#define VGA_CRT_DC  0x15 /* 0x3D5 */
#define VGA_IS1_RC  0x1A /* 0x3DA: input status 1 read, feature write */

/* Miscellaneous output */
#define VGA_MIS_COLOR 0x01 /* I/O address select: CRTC at 0x3Dx */

/* Input status 1 */
#define VGA_IS1_DD 0x01 /* display disabled (in a retrace interval) */
#define VGA_IS1_VR 0x08 /* vertical retrace */

/* CRT controller registers */
#define VGA_CRTC_MAX_SCAN     0x09
#define VGA_CRTC_CURSOR_START 0x0A
#define VGA_CRTC_CURSOR_END   0x0B
#define VGA_CRTC_START_HI     0x0C
#define VGA_CRTC_START_LO     0x0D
#define VGA_CRTC_CURSOR_HI    0x0E
#define VGA_CRTC_CURSOR_LO    0x0F
#define VGA_CRTC_V_SYNC_END   0x11
#define VGA_CR0A_CD           0x20 /* cursor disable */
#define VGA_CR11_PROTECT      0x80 /* CR00-CR07 write protect */
#define VGA_CR07_LC8          0x10 /* line compare bit 8: never protected */

/* Sequencer */
#define VGA_SEQ_CLOCK_MODE 0x01
#define VGA_SR01_SD        0x20 /* screen off */

/* Attribute controller */
#define VGA_AR_PAS       0x20 /* index bit: palette address source */
#define VGA_ATC_MODE     0x10
#define VGA_ATC_COLOR    0x14
#define VGA_AR10_BLINK   0x08
#define VGA_AR10_P54S    0x80 /* palette bits 5-4 from the colour select */
#define VGA_ATC_PALETTES 0x10

#endif /* DEVICES_VGA_REGS_H */
