/*
 * tulipvm: the control socket (see control.h).
 *
 * Requests are parsed with json-glib and answered through VmControl, the
 * same calls the Settings dialog makes.  The socket side is non-blocking
 * GIO: a client that sends without newlines is cut off at
 * CONTROL_MAX_LINE, one that does not read its replies is dropped once
 * CONTROL_MAX_OUTPUT bytes wait for it, so no client can stall the
 * emulation thread or make it grow without bound.
 */
#include "control.h"
#include "emu/log.h"
#include "net/mac.h"
#include "net/nic_opts.h"

#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CONTROL_MAX_OUTPUT (1u << 20)

/* ---- protocol ---- */

static bool control_arg_uint(JsonObject *req, const char *name, unsigned *out,
                             GError **errp)
{
    JsonNode *n = json_object_get_member(req, name);

    if (!n) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID, "missing \"%s\"", name);
        return false;
    }
    if (!JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_INT64 ||
        json_node_get_int(n) < 0 || json_node_get_int(n) > G_MAXINT) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "\"%s\" must be a non-negative integer", name);
        return false;
    }
    *out = (unsigned)json_node_get_int(n);
    return true;
}

static bool control_arg_bool(JsonObject *req, const char *name, bool *out,
                             GError **errp)
{
    JsonNode *n = json_object_get_member(req, name);

    if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    n ? "\"%s\" must be true or false" : "missing \"%s\"",
                    name);
        return false;
    }
    *out = json_node_get_boolean(n);
    return true;
}

static const char *control_arg_str(JsonObject *req, const char *name,
                                   GError **errp)
{
    JsonNode *n = json_object_get_member(req, name);

    if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_STRING) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    n ? "\"%s\" must be a string" : "missing \"%s\"", name);
        return NULL;
    }
    return json_node_get_string(n);
}

/* An adapter the VM has now (capture_stop has no error of its own). */
static bool control_arg_adapter(const ControlApi *api, JsonObject *req,
                                unsigned *idx, GError **errp)
{
    unsigned n;

    if (!control_arg_uint(req, "adapter", idx, errp)) {
        return false;
    }
    n = vm_adapter_count(&api->vm);
    if (*idx >= n) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "adapter %u does not exist (the VM has %u)", *idx, n);
        return false;
    }
    return true;
}

static void control_list(const ControlApi *api, JsonBuilder *b)
{
    unsigned n = vm_adapter_count(&api->vm);

    json_builder_set_member_name(b, "adapters");
    json_builder_begin_array(b);
    for (unsigned i = 0; i < n; i++) {
        VmAdapterInfo info;
        char mac[18];
        if (!vm_adapter_info(&api->vm, i, &info)) {
            continue;
        }
        g_autofree char *spec = vm_attach_spec(&info.attach);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "index");
        json_builder_add_int_value(b, i);
        json_builder_set_member_name(b, "attachment");
        json_builder_add_string_value(b, vm_attach_kind_name(info.attach.kind));
        json_builder_set_member_name(b, "detail");
        json_builder_add_string_value(b, info.attach.detail);
        json_builder_set_member_name(b, "spec");
        json_builder_add_string_value(b, spec);
        json_builder_set_member_name(b, "mac");
        json_builder_add_string_value(b, net_mac_format(info.mac, mac));
        json_builder_set_member_name(b, "cable");
        json_builder_add_boolean_value(b, info.cable_connected);
        json_builder_set_member_name(b, "link");
        json_builder_add_boolean_value(b, info.link_up);
        json_builder_set_member_name(b, "tx_frames");
        json_builder_add_int_value(b, (gint64)info.tx_frames);
        json_builder_set_member_name(b, "rx_frames");
        json_builder_add_int_value(b, (gint64)info.rx_frames);
        json_builder_set_member_name(b, "tx_dropped");
        json_builder_add_int_value(b, (gint64)info.tx_dropped);
        json_builder_set_member_name(b, "rx_dropped");
        json_builder_add_int_value(b, (gint64)info.rx_dropped);
        json_builder_set_member_name(b, "capture");
        json_builder_add_string_value(b, info.capture);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

/* The change is already made: a failed save says so rather than
 * pretending nothing happened. */
static bool control_save(const ControlApi *api, GError **errp)
{
    GError *err = NULL;

    if (!api->cfg_path || vm_config_save(api->cfg, api->cfg_path, &err)) {
        return true;
    }
    g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                "the change is in effect but the settings file %s was not "
                "saved: %s",
                api->cfg_path, err->message);
    g_error_free(err);
    return false;
}

/* Run one command, adding reply members to b; false with errp set.  A
 * command that changes a setting saves the settings file once it holds. */
static bool control_run(const ControlApi *api, const char *cmd, JsonObject *req,
                        JsonBuilder *b, GError **errp)
{
    const VmControl *vm = &api->vm;
    unsigned idx;

    if (!strcmp(cmd, "list")) {
        control_list(api, b);
        return true;
    }
    if (!strcmp(cmd, "set_link")) {
        bool up;
        return control_arg_adapter(api, req, &idx, errp) &&
               control_arg_bool(req, "up", &up, errp) &&
               vm_set_cable(vm, idx, up, errp) && control_save(api, errp);
    }
    if (!strcmp(cmd, "reattach")) {
        const char *spec;
        return control_arg_adapter(api, req, &idx, errp) &&
               (spec = control_arg_str(req, "attachment", errp)) &&
               vm_reattach(vm, idx, spec, errp) && control_save(api, errp);
    }
    if (!strcmp(cmd, "capture_start")) {
        const char *path;
        return control_arg_adapter(api, req, &idx, errp) &&
               (path = control_arg_str(req, "path", errp)) &&
               vm_capture_start(vm, idx, path, errp) && control_save(api, errp);
    }
    if (!strcmp(cmd, "capture_stop")) {
        if (!control_arg_adapter(api, req, &idx, errp)) {
            return false;
        }
        vm_capture_stop(vm, idx);
        return control_save(api, errp);
    }
    if (!strcmp(cmd, "set_next_mac")) {
        const char *text;
        uint8_t mac[6];
        return control_arg_uint(req, "adapter", &idx, errp) &&
               (text = control_arg_str(req, "mac", errp)) &&
               net_mac_parse(text, mac, errp) &&
               vm_set_next_mac(vm, idx, mac, errp) && control_save(api, errp);
    }
    if (!strcmp(cmd, "set_next_adapters")) {
        unsigned n;
        return control_arg_uint(req, "count", &n, errp) &&
               vm_set_next_adapter_count(vm, n, errp) &&
               control_save(api, errp);
    }
    if (!strcmp(cmd, "quit")) {
        vm_quit(vm);
        return true;
    }
    if (api->extra && api->extra(api->extra_opaque, cmd, req, b, errp)) {
        return !(errp && *errp);
    }
    g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                "unknown command \"%s\" (known: list, set_link, reattach, "
                "capture_start, capture_stop, set_next_mac, "
                "set_next_adapters, quit)",
                cmd);
    return false;
}

char *control_handle_line(const ControlApi *api, const char *line)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(GError) err = NULL;
    JsonObject *req = NULL;
    JsonNode *root, *id = NULL;
    const char *cmd = NULL;

    json_builder_begin_object(b);
    if (!json_parser_load_from_data(parser, line, -1, &err)) {
        g_prefix_error(&err, "malformed JSON: ");
    } else if (!(root = json_parser_get_root(parser)) ||
               !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(&err, EMU_ERROR, EMU_ERROR_INVALID,
                    "a request is a JSON object");
    } else {
        req = json_node_get_object(root);
        id = json_object_get_member(req, "id");
        if (id) {
            json_builder_set_member_name(b, "id");
            json_builder_add_value(b, json_node_copy(id));
        }
        cmd = control_arg_str(req, "cmd", &err);
    }
    if (cmd) {
        /* Members go after "ok", which is known only at the end: collect
         * them in a builder of their own. */
        g_autoptr(JsonBuilder) members = json_builder_new();
        json_builder_begin_object(members);
        bool ok = control_run(api, cmd, req, members, &err);
        json_builder_end_object(members);
        json_builder_set_member_name(b, "ok");
        json_builder_add_boolean_value(b, ok);
        if (ok) {
            g_autoptr(JsonNode) m = json_builder_get_root(members);
            JsonObject *o = json_node_get_object(m);
            g_autoptr(GList) names = json_object_get_members(o);
            for (GList *l = names; l; l = l->next) {
                json_builder_set_member_name(b, l->data);
                json_builder_add_value(
                    b, json_node_copy(json_object_get_member(o, l->data)));
            }
        }
    } else {
        json_builder_set_member_name(b, "ok");
        json_builder_add_boolean_value(b, FALSE);
    }
    if (err) {
        json_builder_set_member_name(b, "error");
        json_builder_add_string_value(b, err->message);
    }
    json_builder_end_object(b);
    g_autoptr(JsonNode) reply = json_builder_get_root(b);
    json_generator_set_root(gen, reply);
    return json_generator_to_data(gen, NULL);
}

/* ---- socket ---- */

typedef struct ControlClient {
    Control *ctl;
    GSocket *sock;
    GSource *in_src, *out_src;
    GString *in, *out;
    bool discarding; /* inside an over-long line */
} ControlClient;

struct Control {
    ControlApi api;
    char *path;
    GMainContext *ctx;
    GSocket *listener;
    GSource *accept_src;
    GPtrArray *clients; /* ControlClient * */
    bool bound;         /* the socket file is ours to remove */
};

static void control_client_free(ControlClient *cl)
{
    if (cl->in_src) {
        g_source_destroy(cl->in_src);
        g_source_unref(cl->in_src);
    }
    if (cl->out_src) {
        g_source_destroy(cl->out_src);
        g_source_unref(cl->out_src);
    }
    g_socket_close(cl->sock, NULL);
    g_object_unref(cl->sock);
    g_string_free(cl->in, TRUE);
    g_string_free(cl->out, TRUE);
    g_free(cl);
}

static void control_drop(ControlClient *cl)
{
    g_ptr_array_remove(cl->ctl->clients, cl); /* frees it */
}

static gboolean control_client_writable(GSocket *sock, GIOCondition cond,
                                        gpointer opaque);

/* Send what the socket takes now; wait for G_IO_OUT for the rest.
 * False when the client is gone. */
static bool control_flush(ControlClient *cl)
{
    while (cl->out->len) {
        g_autoptr(GError) err = NULL;
        gssize n =
            g_socket_send(cl->sock, cl->out->str, cl->out->len, NULL, &err);
        if (n < 0) {
            if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
                break;
            }
            return false;
        }
        g_string_erase(cl->out, 0, n);
    }
    if (cl->out->len && !cl->out_src) {
        cl->out_src = g_socket_create_source(cl->sock, G_IO_OUT, NULL);
        g_source_set_callback(
            cl->out_src, (GSourceFunc)(void (*)(void))control_client_writable,
            cl, NULL);
        g_source_attach(cl->out_src, cl->ctl->ctx);
    }
    return true;
}

static gboolean control_client_writable(GSocket *sock, GIOCondition cond,
                                        gpointer opaque)
{
    ControlClient *cl = opaque;
    (void)sock;
    (void)cond;

    g_source_unref(cl->out_src);
    cl->out_src = NULL;
    if (!control_flush(cl)) {
        control_drop(cl);
    }
    return G_SOURCE_REMOVE;
}

static void control_reply(ControlClient *cl, const char *reply)
{
    g_string_append(cl->out, reply);
    g_string_append_c(cl->out, '\n');
}

/* Handle the complete lines in cl->in. */
static void control_lines(ControlClient *cl)
{
    char *nl;

    while ((nl = memchr(cl->in->str, '\n', cl->in->len))) {
        gsize len = (gsize)(nl - cl->in->str);
        if (cl->discarding) {
            cl->discarding = false;
        } else if (memchr(cl->in->str, 0, len)) {
            control_reply(cl, "{\"ok\":false,\"error\":\"a request "
                              "contains a NUL byte\"}");
        } else {
            g_autofree char *line = g_strndup(cl->in->str, len);
            g_strchomp(line); /* "\r\n" from a terminal or socat */
            if (line[0]) {
                g_autofree char *reply =
                    control_handle_line(&cl->ctl->api, line);
                control_reply(cl, reply);
            }
        }
        g_string_erase(cl->in, 0, len + 1);
    }
    if (cl->in->len > CONTROL_MAX_LINE) {
        if (!cl->discarding) {
            g_autofree char *msg = g_strdup_printf(
                "{\"ok\":false,\"error\":\"request longer than %d bytes\"}",
                CONTROL_MAX_LINE);
            control_reply(cl, msg);
        }
        cl->discarding = true;
        g_string_truncate(cl->in, 0);
    }
}

static gboolean control_client_readable(GSocket *sock, GIOCondition cond,
                                        gpointer opaque)
{
    ControlClient *cl = opaque;
    char buf[4096];
    g_autoptr(GError) err = NULL;
    gssize n = g_socket_receive(sock, buf, sizeof(buf), NULL, &err);
    (void)cond;

    if (n < 0 && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        /* The source is destroyed with the client: detach it first. */
        g_source_unref(cl->in_src);
        cl->in_src = NULL;
        control_drop(cl);
        return G_SOURCE_REMOVE;
    }
    g_string_append_len(cl->in, buf, n);
    control_lines(cl);
    if (!control_flush(cl) || cl->out->len > CONTROL_MAX_OUTPUT) {
        emu_log(LOG_WARN, "control: dropping a client that does not read");
        g_source_unref(cl->in_src);
        cl->in_src = NULL;
        control_drop(cl);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean control_accept(GSocket *sock, GIOCondition cond,
                               gpointer opaque)
{
    Control *c = opaque;
    GSocket *s = g_socket_accept(sock, NULL, NULL);
    ControlClient *cl;
    (void)cond;

    if (!s) {
        return G_SOURCE_CONTINUE;
    }
    if (c->clients->len >= CONTROL_MAX_CLIENTS) {
        static const char busy[] =
            "{\"ok\":false,\"error\":\"too many control connections\"}\n";
        g_socket_send(s, busy, sizeof(busy) - 1, NULL, NULL);
        g_socket_close(s, NULL);
        g_object_unref(s);
        return G_SOURCE_CONTINUE;
    }
    g_socket_set_blocking(s, FALSE);
    cl = g_new0(ControlClient, 1);
    cl->ctl = c;
    cl->sock = s;
    cl->in = g_string_new(NULL);
    cl->out = g_string_new(NULL);
    cl->in_src = g_socket_create_source(s, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback(cl->in_src,
                          (GSourceFunc)(void (*)(void))control_client_readable,
                          cl, NULL);
    g_source_attach(cl->in_src, c->ctx);
    g_ptr_array_add(c->clients, cl);
    return G_SOURCE_CONTINUE;
}

/* A socket file nobody answers on is left over from a crash. */
static bool control_path_free(const char *path, GError **errp)
{
    struct stat st;
    g_autoptr(GSocket) probe = NULL;
    g_autoptr(GSocketAddress) addr = NULL;

    if (lstat(path, &st) != 0) {
        return true;
    }
    if (!S_ISSOCK(st.st_mode)) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "-control unix:%s: exists and is not a socket", path);
        return false;
    }
    probe = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_DEFAULT, NULL);
    addr = g_unix_socket_address_new(path);
    if (probe && g_socket_connect(probe, addr, NULL, NULL)) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_HOST,
                    "-control unix:%s: another process is listening there",
                    path);
        return false;
    }
    unlink(path);
    return true;
}

Control *control_new(const char *path, const ControlApi *api, GMainContext *ctx,
                     GError **errp)
{
    g_autoptr(GSocketAddress) addr = NULL;
    Control *c;

    if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        g_set_error(errp, EMU_ERROR, EMU_ERROR_INVALID,
                    "-control unix:%s: path too long for a socket", path);
        return NULL;
    }
    if (!control_path_free(path, errp)) {
        return NULL;
    }
    c = g_new0(Control, 1);
    c->api = *api;
    c->path = g_strdup(path);
    c->ctx = g_main_context_ref(ctx ? ctx : g_main_context_default());
    c->clients =
        g_ptr_array_new_with_free_func((GDestroyNotify)control_client_free);
    c->listener = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_DEFAULT, errp);
    addr = g_unix_socket_address_new(path);
    c->bound = c->listener && g_socket_bind(c->listener, addr, FALSE, errp);
    if (!c->bound || !g_socket_listen(c->listener, errp)) {
        g_prefix_error(errp, "-control unix:%s: ", path);
        control_free(c);
        return NULL;
    }
    g_socket_set_blocking(c->listener, FALSE);
    c->accept_src = g_socket_create_source(c->listener, G_IO_IN, NULL);
    g_source_set_callback(c->accept_src,
                          (GSourceFunc)(void (*)(void))control_accept, c, NULL);
    g_source_attach(c->accept_src, c->ctx);
    return c;
}

void control_free(Control *c)
{
    if (!c) {
        return;
    }
    /* The reply to "quit" is still queued: give it a moment to go. */
    for (unsigned i = 0; i < c->clients->len; i++) {
        ControlClient *cl = g_ptr_array_index(c->clients, i);
        if (cl->out->len) {
            g_socket_set_blocking(cl->sock, TRUE);
            g_socket_set_timeout(cl->sock, 1);
            g_socket_send(cl->sock, cl->out->str, cl->out->len, NULL, NULL);
        }
    }
    g_ptr_array_free(c->clients, TRUE);
    if (c->accept_src) {
        g_source_destroy(c->accept_src);
        g_source_unref(c->accept_src);
    }
    if (c->listener) {
        if (c->bound) {
            unlink(c->path);
        }
        g_socket_close(c->listener, NULL);
        g_object_unref(c->listener);
    }
    g_main_context_unref(c->ctx);
    g_free(c->path);
    g_free(c);
}
