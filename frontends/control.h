/*
 * tulipvm: the control socket (-control unix:PATH).
 *
 * Line-delimited JSON: each request is one JSON object on one line, each
 * reply one line.  A request names its command in "cmd" and may carry an
 * "id" (any JSON value) that the reply repeats.
 *
 *   {"cmd":"list"}
 *     -> {"ok":true,"adapters":[{"index":0,"attachment":"user","detail":"",
 *         "spec":"user","mac":"00:03:ff:..","cable":true,"link":true,
 *         "tx_frames":N,"rx_frames":N,"tx_dropped":N,"rx_dropped":N,
 *         "capture":""}, ...]}
 *   {"cmd":"set_link","adapter":0,"up":false}          cable out / in
 *   {"cmd":"reattach","adapter":0,"attachment":"local,net=lab"}
 *   {"cmd":"capture_start","adapter":0,"path":"/tmp/nic0.pcap"}
 *   {"cmd":"capture_stop","adapter":0}
 *   {"cmd":"set_next_mac","adapter":1,"mac":"00:03:ff:00:00:09"}
 *   {"cmd":"set_next_adapters","count":2}
 *   {"cmd":"quit"}
 *     -> {"ok":true} or {"ok":false,"error":"adapter 7 does not exist ..."}
 *
 * Every failure, including a malformed line, an unknown command or a
 * missing or mistyped argument, is an error reply naming the problem; the
 * connection stays open.  Lines longer than CONTROL_MAX_LINE are refused.
 * The socket runs in the emulation thread's GLib context (pc_run polls
 * it), so commands act between slices of guest execution.
 *
 * With a settings file (ControlApi.cfg_path), every command that changes a
 * setting (set_link, reattach, capture_start, capture_stop, set_next_*)
 * saves the settings there as soon as it succeeds, as the Settings
 * dialog's OK does.  A save that fails is an error reply naming the file;
 * the change itself stays in effect.  Without a file nothing is written.
 *
 * A frontend may add commands of its own (the window's "screendump")
 * through ControlExtraFn.
 */
#ifndef FRONTENDS_CONTROL_H
#define FRONTENDS_CONTROL_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include "vm_control.h"

#define CONTROL_MAX_LINE    65536
#define CONTROL_MAX_CLIENTS 8

/*
 * Handle cmd if the frontend knows it: add reply members to b (inside the
 * reply object) and return true, or set errp and return true; return
 * false (errp untouched) for a command it does not know.
 */
typedef bool (*ControlExtraFn)(void *opaque, const char *cmd, JsonObject *req,
                               JsonBuilder *b, GError **errp);

typedef struct ControlApi {
    VmControl vm;
    ControlExtraFn extra; /* optional */
    void *extra_opaque;
    const VmConfig *cfg;  /* the settings vm keeps in step */
    const char *cfg_path; /* NULL: nothing is saved */
} ControlApi;

/* One request line in, one reply line out (without the newline). */
char *control_handle_line(const ControlApi *api, const char *line);

typedef struct Control Control;

/* Listen on path (a stale socket there is replaced; a live one is an
 * error).  The sources are attached to ctx (NULL: the default). */
Control *control_new(const char *path, const ControlApi *api, GMainContext *ctx,
                     GError **errp);
/* Sends what replies are still queued, closes, removes the socket file. */
void control_free(Control *c);

#endif /* FRONTENDS_CONTROL_H */
