/*
 * tulipvm: the Settings dialog, modelled on Virtual PC's networking page.
 *
 * Number of adapters (1-4), and per adapter: what it is attached to (Not
 * connected, Local only with a segment name, Shared networking (NAT), or
 * one of the host's adapters), its MAC address, whether the cable is
 * connected, and a capture file.  Attachment, cable and capture apply to
 * the running VM at OK; the adapter count and MACs are recorded for the
 * next start.  Everything is saved to the config file when there is one.
 *
 * The dialog holds a working copy; nothing reaches the VM before OK, and
 * OK with an invalid field applies nothing and shows why.
 */
#ifndef FRONTENDS_SDL_SETTINGS_H
#define FRONTENDS_SDL_SETTINGS_H

#include "config.h"
#include "vm_control.h"
#include "widgets.h"

typedef enum SettingsResult {
    SETTINGS_OPEN,
    SETTINGS_OK,
    SETTINGS_CANCEL,
} SettingsResult;

typedef struct SettingsAdapter {
    VmAttachment attach, orig_attach;
    bool cable, orig_cable;
    UiTextField mac, segment, capture;
    char orig_mac[18], orig_capture[VM_CAPTURE_MAX];
    char mac_error[128]; /* "" while the MAC field is valid */
    unsigned iface_sel;  /* host adapter shown in the drop-down */
    bool live;           /* present in the running VM */
} SettingsAdapter;

typedef struct SettingsDialog {
    VmControl vm;
    VmConfig *cfg;
    char *cfg_path;         /* NULL: nothing is saved */
    GPtrArray *host_ifaces; /* names, NULL-terminated for the drop-down */
    unsigned count, orig_count, current;
    SettingsAdapter ad[VM_MAX_ADAPTERS];
    char error[256]; /* why OK did not apply */
} SettingsDialog;

/* host_ifaces: NULL-terminated names offered as "Host adapter" choices. */
void settings_init(SettingsDialog *d, const VmControl *vm, VmConfig *cfg,
                   const char *cfg_path, const char *const *host_ifaces);
void settings_destroy(SettingsDialog *d);
/* Replace the host adapters offered (takes effect at the next load). */
void settings_set_host_ifaces(SettingsDialog *d,
                              const char *const *host_ifaces);
/* Fill the working copy from the VM and the config. */
void settings_load(SettingsDialog *d);
/* Validate, then push the changes to the VM and the config file. */
bool settings_apply(SettingsDialog *d, GError **errp);
/* Lay out, draw and handle one frame of input inside area. */
SettingsResult settings_frame(SettingsDialog *d, Ui *ui, SDL_Rect area);
/* The dialog's own rectangle inside area. */
SDL_Rect settings_rect(SDL_Rect area);

/* Host interfaces other than loopback, NULL-terminated (g_strfreev). */
char **settings_host_ifaces(void);

#endif /* FRONTENDS_SDL_SETTINGS_H */
