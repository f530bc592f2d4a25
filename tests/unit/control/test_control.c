/*
 * The control socket as a script or a person with socat uses it: every
 * command against the fake VM (the calls it made and the replies), every
 * kind of bad request (malformed JSON, not an object, unknown command,
 * missing or mistyped arguments, an adapter the VM lacks), then the real
 * VmControl over real attachments (no guest: a bare port stands for the
 * NIC) and the socket itself: several requests per write, a request split
 * across writes, an over-long line, a stale socket file.
 */
#include <criterion/criterion.h>
#include <json-glib/json-glib.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "control.h"
#include "fake_vm.h"
#include "vm.h"
#include "net/mac.h"
#include "support/tmpdir.h"

static FakeVm fake;
static ControlApi api;

static void fake_setup(void)
{
    fake_vm_init(&fake, 2);
    api = (ControlApi){.vm = fake_vm_control(&fake)};
}

static void fake_teardown(void)
{
    fake_vm_destroy(&fake);
}

/* Send one request; the reply parsed (g_object_unref the parser). */
static JsonObject *request(const ControlApi *a, const char *line,
                           JsonParser **parser)
{
    g_autofree char *reply = control_handle_line(a, line);
    GError *err = NULL;
    cr_assert_null(strchr(reply, '\n'), "one line: %s", reply);
    *parser = json_parser_new();
    cr_assert(json_parser_load_from_data(*parser, reply, -1, &err),
              "reply is JSON: %s", reply);
    JsonNode *root = json_parser_get_root(*parser);
    cr_assert(JSON_NODE_HOLDS_OBJECT(root), "%s", reply);
    return json_node_get_object(root);
}

static void expect_ok(const char *line)
{
    JsonParser *p;
    JsonObject *o = request(&api, line, &p);
    cr_assert(json_object_get_boolean_member(o, "ok"), "%s: %s", line,
              json_object_get_string_member_with_default(o, "error", ""));
    g_object_unref(p);
}

/* The request fails and the error names what is wrong. */
static void expect_error(const char *line, const char *needle)
{
    JsonParser *p;
    JsonObject *o = request(&api, line, &p);
    cr_assert_not(json_object_get_boolean_member(o, "ok"), "%s", line);
    const char *msg = json_object_get_string_member(o, "error");
    cr_assert(msg && strstr(msg, needle), "%s: error '%s' lacks '%s'", line,
              msg, needle);
    g_object_unref(p);
}

TestSuite(control, .init = fake_setup, .fini = fake_teardown, .timeout = 30);

Test(control, list_reports_every_adapter)
{
    JsonParser *p;
    fake.ad[1].attach.kind = VM_ATTACH_LOCAL;
    g_strlcpy(fake.ad[1].attach.detail, "lab",
              sizeof(fake.ad[1].attach.detail));
    fake.ad[1].cable_connected = false;
    fake.ad[1].link_up = false;
    fake_vm_traffic(&fake, 3, 5);
    JsonObject *o = request(&api, "{\"cmd\":\"list\",\"id\":\"a1\"}", &p);
    cr_assert(json_object_get_boolean_member(o, "ok"));
    cr_assert_str_eq(json_object_get_string_member(o, "id"), "a1");
    JsonArray *ads = json_object_get_array_member(o, "adapters");
    cr_assert_eq(json_array_get_length(ads), 2);
    JsonObject *a0 = json_array_get_object_element(ads, 0);
    JsonObject *a1 = json_array_get_object_element(ads, 1);
    cr_assert_eq(json_object_get_int_member(a0, "index"), 0);
    cr_assert_str_eq(json_object_get_string_member(a0, "attachment"), "user");
    cr_assert_str_eq(json_object_get_string_member(a0, "mac"),
                     "00:03:ff:00:00:01");
    cr_assert(json_object_get_boolean_member(a0, "link"));
    cr_assert(json_object_get_boolean_member(a0, "cable"));
    cr_assert_eq(json_object_get_int_member(a0, "tx_frames"), 3);
    cr_assert_eq(json_object_get_int_member(a0, "rx_frames"), 5);
    cr_assert_str_eq(json_object_get_string_member(a1, "attachment"), "local");
    cr_assert_str_eq(json_object_get_string_member(a1, "detail"), "lab");
    cr_assert_str_eq(json_object_get_string_member(a1, "spec"),
                     "local,net=lab");
    cr_assert_not(json_object_get_boolean_member(a1, "link"));
    cr_assert_not(json_object_get_boolean_member(a1, "cable"));
    cr_assert_eq(json_object_get_int_member(a1, "tx_frames"), 0,
                 "no traffic without link");
    g_object_unref(p);
}

Test(control, each_command_makes_its_call)
{
    expect_ok("{\"cmd\":\"set_link\",\"adapter\":1,\"up\":false}");
    cr_assert_str_eq(fake_vm_last_call(&fake), "set_cable 1 off");
    expect_ok("{\"cmd\":\"reattach\",\"adapter\":0,"
              "\"attachment\":\"local,net=lab\"}");
    cr_assert_str_eq(fake_vm_last_call(&fake), "reattach 0 local,net=lab");
    expect_ok("{\"cmd\":\"capture_start\",\"adapter\":1,"
              "\"path\":\"/tmp/x.pcap\"}");
    cr_assert_str_eq(fake_vm_last_call(&fake), "capture_start 1 /tmp/x.pcap");
    expect_ok("{\"cmd\":\"capture_stop\",\"adapter\":1}");
    cr_assert_str_eq(fake_vm_last_call(&fake), "capture_stop 1");
    expect_ok("{\"cmd\":\"set_next_mac\",\"adapter\":3,"
              "\"mac\":\"00:03:ff:00:00:09\"}");
    cr_assert_str_eq(fake_vm_last_call(&fake),
                     "set_next_mac 3 00:03:ff:00:00:09");
    expect_ok("{\"cmd\":\"set_next_adapters\",\"count\":4}");
    cr_assert_str_eq(fake_vm_last_call(&fake), "set_next_adapter_count 4");
    cr_assert_not(fake.quit_requested);
    expect_ok("{\"cmd\":\"quit\"}");
    cr_assert(fake.quit_requested);
    /* The state the next list shows follows the calls. */
    cr_assert_not(fake.ad[1].link_up);
    cr_assert_eq(fake.ad[0].attach.kind, VM_ATTACH_LOCAL);
}

Test(control, bad_requests_are_error_replies)
{
    expect_error("{\"cmd\":\"list\"", "malformed JSON");
    expect_error("list", "malformed JSON");
    expect_error("[\"list\"]", "a request is a JSON object");
    expect_error("{\"id\":1}", "missing \"cmd\"");
    expect_error("{\"cmd\":7}", "\"cmd\" must be a string");
    expect_error("{\"cmd\":\"reboot\"}", "unknown command \"reboot\"");
    expect_error("{\"cmd\":\"set_link\",\"adapter\":2,\"up\":true}",
                 "adapter 2 does not exist (the VM has 2)");
    expect_error("{\"cmd\":\"capture_stop\",\"adapter\":9}",
                 "adapter 9 does not exist");
    expect_error("{\"cmd\":\"set_link\",\"adapter\":-1,\"up\":true}",
                 "\"adapter\" must be a non-negative integer");
    expect_error("{\"cmd\":\"set_link\",\"adapter\":\"0\",\"up\":true}",
                 "\"adapter\" must be a non-negative integer");
    expect_error("{\"cmd\":\"set_link\",\"adapter\":1.5,\"up\":true}",
                 "\"adapter\" must be a non-negative integer");
    expect_error("{\"cmd\":\"set_link\",\"adapter\":null,\"up\":true}",
                 "\"adapter\" must be a non-negative integer");
    expect_error("{\"cmd\":\"set_link\",\"adapter\":4294967296,"
                 "\"up\":true}",
                 "\"adapter\" must be a non-negative integer");
    expect_error("{\"cmd\":\"capture_start\",\"adapter\":0,\"path\":[]}",
                 "\"path\" must be a string");
    expect_error("{\"cmd\":\"set_link\",\"adapter\":0}", "missing \"up\"");
    expect_error("{\"cmd\":\"set_link\",\"adapter\":0,\"up\":1}",
                 "\"up\" must be true or false");
    expect_error("{\"cmd\":\"reattach\",\"adapter\":0}",
                 "missing \"attachment\"");
    expect_error("{\"cmd\":\"reattach\",\"adapter\":0,\"attachment\":"
                 "\"wifi\"}",
                 "wifi");
    expect_error("{\"cmd\":\"capture_start\",\"adapter\":0}",
                 "missing \"path\"");
    expect_error("{\"cmd\":\"set_next_mac\",\"adapter\":0,\"mac\":"
                 "\"01:00:5e:00:00:01\"}",
                 "01:00:5e:00:00:01");
    expect_error("{\"cmd\":\"set_next_adapters\",\"count\":5}",
                 "expected 1 to 4");
    /* Deep nesting is just another wrong request. */
    char *deep = g_malloc(60001);
    memset(deep, '[', 30000);
    memset(deep + 30000, ']', 30000);
    deep[60000] = 0;
    expect_error(deep, "a request is a JSON object");
    g_free(deep);
    /* None of them reached the VM. */
    cr_assert_eq(fake.calls->len, 0, "first call: %s",
                 fake.calls->len ? fake_vm_last_call(&fake) : "");
    /* An error keeps the id, so a client can match it. */
    JsonParser *p;
    JsonObject *o = request(&api, "{\"cmd\":\"nope\",\"id\":42}", &p);
    cr_assert_eq(json_object_get_int_member(o, "id"), 42);
    g_object_unref(p);
}

/* Valid requests with bytes flipped, cut short or spliced together (a
 * fixed seed, so a failure repeats): every reply is one JSON object with
 * "ok", and an error beside every "ok":false. */
Test(control, mangled_requests_always_get_a_json_reply)
{
    static const char *const seeds[] = {
        "{\"cmd\":\"list\",\"id\":[1,{\"a\":null}]}",
        "{\"cmd\":\"set_link\",\"adapter\":1,\"up\":false}",
        "{\"cmd\":\"reattach\",\"adapter\":0,\"attachment\":"
        "\"local,net=lab\"}",
        "{\"cmd\":\"capture_start\",\"adapter\":1,\"path\":\"/tmp/"
        "x.pcap\"}",
        "{\"cmd\":\"set_next_mac\",\"adapter\":3,\"mac\":"
        "\"00:03:ff:00:00:09\"}",
        "{\"cmd\":\"set_next_adapters\",\"count\":4}",
    };
    static const char alphabet[] = "{}[]\":,\\ 0123456789-.eEtrufalsn\x01"
                                   "\x7f\xc3\xa9\xff";
    GRand *rng = g_rand_new_with_seed(7);
    for (int iter = 0; iter < 3000; iter++) {
        GString *req =
            g_string_new(seeds[g_rand_int_range(rng, 0, G_N_ELEMENTS(seeds))]);
        int edits = g_rand_int_range(rng, 1, 6);
        for (int e = 0; e < edits && req->len; e++) {
            guint pos = (guint)g_rand_int_range(rng, 0, (gint32)req->len);
            char c = alphabet[g_rand_int_range(rng, 0, sizeof(alphabet) - 1)];
            switch (g_rand_int_range(rng, 0, 4)) {
            case 0:
                req->str[pos] = c;
                break;
            case 1:
                g_string_insert_c(req, pos, c);
                break;
            case 2:
                g_string_truncate(req, pos);
                break;
            default:
                g_string_append(
                    req, seeds[g_rand_int_range(rng, 0, G_N_ELEMENTS(seeds))]);
                break;
            }
        }
        JsonParser *p;
        JsonObject *o = request(&api, req->str, &p);
        cr_assert(json_object_has_member(o, "ok"), "%s", req->str);
        if (!json_object_get_boolean_member(o, "ok")) {
            cr_assert(json_object_has_member(o, "error"), "%s", req->str);
        }
        g_object_unref(p);
        g_string_free(req, TRUE);
    }
    g_rand_free(rng);
}

/* ---- the real VmControl, no guest ---- */

static ssize_t bare_receive(NetPort *self, const uint8_t *f, size_t len)
{
    (void)self;
    (void)f;
    return (ssize_t)len;
}

static const NetPortOps bare_ops = {.receive = bare_receive};

static char tmp[TMPDIR_LEN];

/* Runs after the suite's init (and its fini after this). */
static void tmp_setup(void)
{
    tmpdir_make(tmp, "ctl");
    tmpdir_hold_state(tmp);
}

static void tmp_teardown(void)
{
    cr_assert(tmpdir_remove(tmp));
}

static int quits;
static void count_quit(void *opaque)
{
    (void)opaque;
    quits++;
}

Test(control, real_vm_reattach_cable_capture_and_next_start_settings,
     .init = tmp_setup, .fini = tmp_teardown)
{
    Clock *clk = clock_new(1000000000);
    GMainContext *ctx = g_main_context_new();
    NetAttachEnv env = {clk, ctx, "ctl"};
    NetNicConfig nic;
    NetPort port;
    VmConfig cfg;
    MachineVm m;
    g_autoptr(GError) err = NULL;
    g_autofree char *cfg_path = g_strdup_printf("%s/vm.ini", tmp);
    g_autofree char *cap = g_strdup_printf("%s/nic0.pcap", tmp);

    cr_assert(net_nic_config_parse("none", &nic, &err));
    NetAttachment *att = net_attachment_new(&env, &nic, 0, &err);
    cr_assert_not_null(att, "%s", err ? err->message : "");
    net_port_init(&port, clk, "nic0", &bare_ops, NULL);
    net_attachment_plug(att, &port);
    vm_config_defaults(&cfg);
    machine_vm_init(&m, &cfg, count_quit, NULL);
    machine_vm_add(&m, att, &port, &nic, "none");
    net_nic_config_clear(&nic);
    api = (ControlApi){machine_vm_control(&m), NULL, NULL, &cfg, cfg_path};

    JsonParser *p;
    JsonObject *o = request(&api, "{\"cmd\":\"list\"}", &p);
    JsonObject *a0 = json_array_get_object_element(
        json_object_get_array_member(o, "adapters"), 0);
    cr_assert_str_eq(json_object_get_string_member(a0, "attachment"), "none");
    cr_assert_not(json_object_get_boolean_member(a0, "link"));
    cr_assert(json_object_get_boolean_member(a0, "cable"));
    g_object_unref(p);
    cr_assert_not(net_port_link_up(&port), "not connected: no link");

    expect_ok("{\"cmd\":\"reattach\",\"adapter\":0,"
              "\"attachment\":\"local,net=ctl\"}");
    cr_assert(net_port_link_up(&port), "the NIC sees the cable plugged in");
    cr_assert(g_file_test(cfg_path, G_FILE_TEST_EXISTS),
              "a re-attach saves the settings file at once");
    VmConfig file;
    cr_assert(vm_config_load(&file, cfg_path, &err), "%s",
              err ? err->message : "");
    cr_assert_eq(file.adapter[0].attach.kind, VM_ATTACH_LOCAL);
    cr_assert_str_eq(file.adapter[0].attach.detail, "ctl");
    o = request(&api, "{\"cmd\":\"list\"}", &p);
    a0 = json_array_get_object_element(
        json_object_get_array_member(o, "adapters"), 0);
    cr_assert_str_eq(json_object_get_string_member(a0, "spec"),
                     "local,net=ctl");
    cr_assert(json_object_get_boolean_member(a0, "link"));
    g_object_unref(p);
    expect_error("{\"cmd\":\"reattach\",\"adapter\":0,"
                 "\"attachment\":\"local,mac=00:03:ff:00:00:02\"}",
                 "mac= cannot be changed");
    expect_error("{\"cmd\":\"reattach\",\"adapter\":0,"
                 "\"attachment\":\"local,promisc=allow-all\"}",
                 "promisc= cannot be changed");
    /* The backend's options stay with the attachment: in list and file. */
    expect_ok("{\"cmd\":\"reattach\",\"adapter\":0,"
              "\"attachment\":\"local,net=ctl,dhcp=off\"}");
    o = request(&api, "{\"cmd\":\"list\"}", &p);
    a0 = json_array_get_object_element(
        json_object_get_array_member(o, "adapters"), 0);
    cr_assert_str_eq(json_object_get_string_member(a0, "spec"),
                     "local,net=ctl,dhcp=off");
    g_object_unref(p);
    cr_assert(vm_config_load(&file, cfg_path, &err));
    cr_assert_str_eq(file.adapter[0].attach.opts, "dhcp=off");
    expect_error("{\"cmd\":\"reattach\",\"adapter\":1,"
                 "\"attachment\":\"user\"}",
                 "adapter 1 does not exist (the VM has 1)");

    expect_ok("{\"cmd\":\"set_link\",\"adapter\":0,\"up\":false}");
    cr_assert_not(net_port_link_up(&port), "cable pulled");
    cr_assert_not(cfg.adapter[0].link, "settings follow the cable");
    cr_assert(vm_config_load(&file, cfg_path, &err));
    cr_assert_not(file.adapter[0].link, "the file follows the cable");
    expect_ok("{\"cmd\":\"set_link\",\"adapter\":0,\"up\":true}");
    cr_assert(net_port_link_up(&port));

    g_autofree char *start = g_strdup_printf(
        "{\"cmd\":\"capture_start\",\"adapter\":0,\"path\":\"%s\"}", cap);
    expect_ok(start);
    cr_assert(g_file_test(cap, G_FILE_TEST_EXISTS), "capture file created");
    cr_assert(vm_config_load(&file, cfg_path, &err));
    cr_assert_str_eq(file.adapter[0].capture, cap);
    cr_assert(file.adapter[0].link, "plugged back in");
    expect_error("{\"cmd\":\"capture_start\",\"adapter\":0,"
                 "\"path\":\"/nonexistent/dir/x.pcap\"}",
                 "/nonexistent/dir/x.pcap");
    o = request(&api, "{\"cmd\":\"list\"}", &p);
    a0 = json_array_get_object_element(
        json_object_get_array_member(o, "adapters"), 0);
    cr_assert_str_eq(json_object_get_string_member(a0, "capture"), cap,
                     "a failed start keeps the running capture");
    g_object_unref(p);
    expect_ok("{\"cmd\":\"capture_stop\",\"adapter\":0}");
    cr_assert(vm_config_load(&file, cfg_path, &err));
    cr_assert_str_eq(file.adapter[0].capture, "", "capture stop is saved");

    /* Another adapter may not take the address adapter 0 runs with. */
    char live_mac[18];
    net_mac_format(net_attachment_mac(att), live_mac);
    g_autofree char *clash = g_strdup_printf(
        "{\"cmd\":\"set_next_mac\",\"adapter\":1,\"mac\":\"%s\"}", live_mac);
    g_autofree char *clash_msg =
        g_strdup_printf("adapter 1: MAC %s is also adapter 0's", live_mac);
    expect_error(clash, clash_msg);

    /* Next-start settings land in the config file. */
    expect_ok("{\"cmd\":\"set_next_mac\",\"adapter\":0,"
              "\"mac\":\"00:03:ff:12:34:56\"}");
    expect_ok("{\"cmd\":\"set_next_adapters\",\"count\":3}");
    expect_error("{\"cmd\":\"set_next_mac\",\"adapter\":4,"
                 "\"mac\":\"00:03:ff:12:34:57\"}",
                 "adapter 4: a VM has at most 4");
    expect_error("{\"cmd\":\"set_next_mac\",\"adapter\":1,"
                 "\"mac\":\"00:03:ff:12:34\"}",
                 "mac=00:03:ff:12:34: expected six hex bytes");
    expect_error("{\"cmd\":\"set_next_mac\",\"adapter\":2,"
                 "\"mac\":\"00:03:ff:12:34:56\"}",
                 "adapter 2: MAC 00:03:ff:12:34:56 is also adapter 0's");
    expect_ok("{\"cmd\":\"set_next_mac\",\"adapter\":0,"
              "\"mac\":\"00:03:ff:12:34:56\"}");
    expect_error("{\"cmd\":\"set_next_adapters\",\"count\":0}",
                 "adapter count 0: expected 1 to 4");
    VmConfig saved;
    cr_assert(vm_config_load(&saved, cfg_path, &err), "%s",
              err ? err->message : "");
    cr_assert_eq(saved.adapters, 3);
    cr_assert(saved.adapter[0].has_mac);
    cr_assert_arr_eq(saved.adapter[0].mac,
                     ((uint8_t[]){0x00, 0x03, 0xff, 0x12, 0x34, 0x56}), 6);
    cr_assert_eq(saved.adapter[0].attach.kind, VM_ATTACH_LOCAL);
    cr_assert_str_eq(saved.adapter[0].attach.detail, "ctl");
    /* The running adapter keeps its address until then. */
    cr_assert_neq(net_attachment_mac(att)[5], 0x56);

    /* A re-attach whose backend cannot open is an error reply; the adapter
     * is left not connected (and says so) and can be re-attached again. */
    g_autofree char *no_netd = g_strdup_printf("%s/no-netd.sock", tmp);
    g_setenv("TULIPVM_NETD_SOCKET", no_netd, TRUE);
    expect_error("{\"cmd\":\"reattach\",\"adapter\":0,"
                 "\"attachment\":\"bridge,ifname=nosuchif0\"}",
                 "nosuchif0");
    o = request(&api, "{\"cmd\":\"list\"}", &p);
    a0 = json_array_get_object_element(
        json_object_get_array_member(o, "adapters"), 0);
    cr_assert_str_eq(json_object_get_string_member(a0, "attachment"), "none");
    cr_assert_not(json_object_get_boolean_member(a0, "link"));
    g_object_unref(p);
    cr_assert_not(net_port_link_up(&port));
    cr_assert_eq(cfg.adapter[0].attach.kind, VM_ATTACH_NONE);
    expect_ok("{\"cmd\":\"reattach\",\"adapter\":0,"
              "\"attachment\":\"local,net=ctl\"}");
    cr_assert(net_port_link_up(&port));

    expect_ok("{\"cmd\":\"quit\"}");
    cr_assert_eq(quits, 1);

    net_attachment_free(att);
    net_port_cleanup(&port);
    g_main_context_unref(ctx);
    clock_free(clk);
}

/* ---- the socket ---- */

static void pump_until_readable(GMainContext *ctx, int fd)
{
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    for (;;) {
        struct pollfd pf = {fd, POLLIN, 0};
        while (g_main_context_iteration(ctx, FALSE)) {
        }
        if (poll(&pf, 1, 10) > 0) {
            return;
        }
        cr_assert_lt(g_get_monotonic_time(), end, "no reply");
    }
}

/* Read complete lines until n have arrived. */
static char **read_lines(GMainContext *ctx, int fd, unsigned n)
{
    GString *buf = g_string_new(NULL);
    unsigned have = 0;
    while (have < n) {
        char tmpb[4096];
        pump_until_readable(ctx, fd);
        ssize_t got = read(fd, tmpb, sizeof(tmpb));
        cr_assert_gt(got, 0, "connection closed");
        g_string_append_len(buf, tmpb, got);
        have = 0;
        for (gsize i = 0; i < buf->len; i++) {
            have += buf->str[i] == '\n';
        }
    }
    g_strchomp(buf->str);
    char **lines = g_strsplit(buf->str, "\n", -1);
    g_string_free(buf, TRUE);
    return lines;
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s",
                 g_strerror(errno));
    return fd;
}

static void send_all(int fd, const char *s)
{
    cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* A real VM over one "none" adapter, for the tests of where settings go. */
typedef struct SaveRig {
    Clock *clk;
    GMainContext *ctx;
    NetAttachment *att;
    NetPort port;
    VmConfig cfg;
    MachineVm m;
} SaveRig;

static void save_rig_init(SaveRig *r, const char *cfg_path)
{
    NetNicConfig nic;
    g_autoptr(GError) err = NULL;

    r->clk = clock_new(1000000000);
    r->ctx = g_main_context_new();
    NetAttachEnv env = {r->clk, r->ctx, "ctl"};
    cr_assert(net_nic_config_parse("none", &nic, &err));
    r->att = net_attachment_new(&env, &nic, 0, &err);
    cr_assert_not_null(r->att, "%s", err ? err->message : "");
    net_port_init(&r->port, r->clk, "nic0", &bare_ops, NULL);
    net_attachment_plug(r->att, &r->port);
    vm_config_defaults(&r->cfg);
    machine_vm_init(&r->m, &r->cfg, count_quit, NULL);
    machine_vm_add(&r->m, r->att, &r->port, &nic, "none");
    net_nic_config_clear(&nic);
    api = (ControlApi){
        .vm = machine_vm_control(&r->m), .cfg = &r->cfg, .cfg_path = cfg_path};
}

static void save_rig_free(SaveRig *r)
{
    net_attachment_free(r->att);
    net_port_cleanup(&r->port);
    g_main_context_unref(r->ctx);
    clock_free(r->clk);
}

Test(control, without_a_settings_file_nothing_is_written, .init = tmp_setup,
     .fini = tmp_teardown)
{
    SaveRig r;
    save_rig_init(&r, NULL);
    expect_ok("{\"cmd\":\"reattach\",\"adapter\":0,"
              "\"attachment\":\"local,net=nofile\"}");
    expect_ok("{\"cmd\":\"set_link\",\"adapter\":0,\"up\":false}");
    expect_ok("{\"cmd\":\"set_next_adapters\",\"count\":2}");
    cr_assert_eq(r.cfg.adapter[0].attach.kind, VM_ATTACH_LOCAL,
                 "the settings still follow");
    /* Only the state the attachment keeps (tmpdir_hold_state). */
    g_autoptr(GDir) d = g_dir_open(tmp, 0, NULL);
    for (const char *name; (name = g_dir_read_name(d));) {
        cr_assert(!strcmp(name, "macs") || !strcmp(name, "local"),
                  "no settings file written (found %s)", name);
    }
    save_rig_free(&r);
}

/* The command did its work; the reply says the file did not follow. */
Test(control, an_unwritable_settings_file_is_an_error_but_the_change_stays,
     .init = tmp_setup, .fini = tmp_teardown)
{
    SaveRig r;
    g_autofree char *bad = g_strdup_printf("%s/no/such/dir/vm.ini", tmp);
    save_rig_init(&r, bad);

    g_autofree char *want =
        g_strdup_printf("the change is in effect but the settings file %s "
                        "was not saved",
                        bad);
    expect_error("{\"cmd\":\"reattach\",\"adapter\":0,"
                 "\"attachment\":\"local,net=stays\"}",
                 want);
    cr_assert(net_port_link_up(&r.port), "re-attached all the same");
    JsonParser *p;
    JsonObject *o = request(&api, "{\"cmd\":\"list\"}", &p);
    JsonObject *a0 = json_array_get_object_element(
        json_object_get_array_member(o, "adapters"), 0);
    cr_assert_str_eq(json_object_get_string_member(a0, "spec"),
                     "local,net=stays");
    g_object_unref(p);
    expect_error("{\"cmd\":\"set_link\",\"adapter\":0,\"up\":false}", want);
    cr_assert_not(net_port_link_up(&r.port), "unplugged all the same");
    expect_error("{\"cmd\":\"set_next_mac\",\"adapter\":0,"
                 "\"mac\":\"00:03:ff:00:00:44\"}",
                 want);
    cr_assert(r.cfg.adapter[0].has_mac, "recorded for the next start");
    /* A command that fails by itself is not blamed on the file. */
    expect_error("{\"cmd\":\"set_next_adapters\",\"count\":9}",
                 "adapter count 9");
    expect_ok("{\"cmd\":\"list\"}");
    save_rig_free(&r);
}

Test(control, socket_lines_split_batched_and_over_long, .init = tmp_setup,
     .fini = tmp_teardown)
{
    GMainContext *ctx = g_main_context_new();
    g_autofree char *path = g_strdup_printf("%s/ctl.sock", tmp);
    g_autoptr(GError) err = NULL;

    /* A socket file left by a crashed tulipvm is replaced. */
    int stale = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    cr_assert_eq(bind(stale, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(stale);

    Control *c = control_new(path, &api, ctx, &err);
    cr_assert_not_null(c, "%s", err ? err->message : "");
    /* A second VM on the same path is refused while this one listens. */
    cr_assert_null(control_new(path, &api, ctx, &err));
    cr_assert(strstr(err->message, "another process is listening"), "%s",
              err->message);
    g_clear_error(&err);

    int fd = connect_to(path);
    /* Two requests in one write, then one split in the middle. */
    send_all(fd, "{\"cmd\":\"set_link\",\"adapter\":0,\"up\":false}\n"
                 "{\"cmd\":\"bogus\"}\r\n{\"cmd\":\"li");
    char **r = read_lines(ctx, fd, 2);
    cr_assert_str_eq(r[0], "{\"ok\":true}");
    cr_assert(strstr(r[1], "unknown command \\\"bogus\\\""), "%s", r[1]);
    g_strfreev(r);
    send_all(fd, "st\"}\n");
    r = read_lines(ctx, fd, 1);
    cr_assert(g_str_has_prefix(r[0], "{\"ok\":true,\"adapters\":["), "%s",
              r[0]);
    cr_assert(strstr(r[0], "\"link\":false"), "the cable is out: %s", r[0]);
    g_strfreev(r);

    /* An over-long line is refused once; the connection goes on. */
    char *big = g_malloc(CONTROL_MAX_LINE + 100);
    memset(big, 'x', CONTROL_MAX_LINE + 99);
    big[CONTROL_MAX_LINE + 99] = 0;
    for (size_t off = 0; off < strlen(big);) {
        ssize_t n = write(fd, big + off, MIN(strlen(big) - off, 8192));
        cr_assert_gt(n, 0);
        off += (size_t)n;
        while (g_main_context_iteration(ctx, FALSE)) {
        }
    }
    g_free(big);
    send_all(fd, "yyy\n{\"cmd\":\"quit\"}\n");
    r = read_lines(ctx, fd, 2);
    cr_assert(strstr(r[0], "longer than 65536 bytes"), "%s", r[0]);
    cr_assert_str_eq(r[1], "{\"ok\":true}");
    g_strfreev(r);
    cr_assert(fake.quit_requested);
    close(fd);

    control_free(c);
    struct stat st;
    cr_assert_neq(stat(path, &st), 0, "the socket file is removed");
    g_main_context_unref(ctx);
}

/* What a broken or hostile client can do to the socket: NUL bytes, a ninth
 * connection, a client that sends requests and never reads the replies,
 * and hanging up mid-request.  Each gets an error or is dropped; the VM
 * keeps answering the others. */
Test(control, socket_survives_nul_bytes_floods_and_hangups, .init = tmp_setup,
     .fini = tmp_teardown)
{
    GMainContext *ctx = g_main_context_new();
    g_autofree char *path = g_strdup_printf("%s/ctl.sock", tmp);
    g_autoptr(GError) err = NULL;
    Control *c = control_new(path, &api, ctx, &err);
    cr_assert_not_null(c, "%s", err ? err->message : "");

    int fd = connect_to(path);
    static const char nul_req[] = "{\"cmd\":\"li\0st\"}\n{\"cmd\":\"list\"}\n";
    cr_assert_eq(write(fd, nul_req, sizeof(nul_req) - 1),
                 (ssize_t)sizeof(nul_req) - 1);
    char **r = read_lines(ctx, fd, 2);
    cr_assert(strstr(r[0], "a request contains a NUL byte"), "%s", r[0]);
    cr_assert(g_str_has_prefix(r[1], "{\"ok\":true,\"adapters\":["), "%s",
              r[1]);
    g_strfreev(r);

    /* Eight connections are served; a ninth is told why and closed. */
    int extra[CONTROL_MAX_CLIENTS - 1];
    for (int i = 0; i < CONTROL_MAX_CLIENTS - 1; i++) {
        extra[i] = connect_to(path);
        while (g_main_context_iteration(ctx, FALSE)) {
        }
    }
    int ninth = connect_to(path);
    r = read_lines(ctx, ninth, 1);
    cr_assert(strstr(r[0], "too many control connections"), "%s", r[0]);
    g_strfreev(r);
    close(ninth);

    /* A client that never reads is dropped once a megabyte of replies
     * waits for it, instead of growing the emulator's memory. */
    int deaf = extra[0];
    GString *batch = g_string_new(NULL);
    for (int i = 0; i < 200; i++) {
        g_string_append(batch, "{\"cmd\":\"list\"}\n");
    }
    gint64 end = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    bool dropped = false;
    while (!dropped) {
        cr_assert_lt(g_get_monotonic_time(), end, "the deaf client stays");
        ssize_t n =
            send(deaf, batch->str, batch->len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN) {
            dropped = true; /* EPIPE/ECONNRESET: the VM hung up */
        }
        while (g_main_context_iteration(ctx, FALSE)) {
        }
        struct pollfd pf = {deaf, POLLIN, 0};
        if (poll(&pf, 1, 0) > 0 && (pf.revents & POLLHUP)) {
            dropped = true;
        }
    }
    g_string_free(batch, TRUE);

    /* Hanging up in the middle of a request is harmless. */
    send_all(extra[1], "{\"cmd\":\"set_li");
    close(extra[1]);
    while (g_main_context_iteration(ctx, FALSE)) {
    }

    send_all(fd, "{\"cmd\":\"quit\"}\n");
    r = read_lines(ctx, fd, 1);
    cr_assert_str_eq(r[0], "{\"ok\":true}");
    g_strfreev(r);
    cr_assert_eq(fake.calls->len, 1, "none of it reached the VM but quit");
    cr_assert_str_eq(fake_vm_last_call(&fake), "quit");
    for (int i = 0; i < CONTROL_MAX_CLIENTS - 1; i++) {
        if (i != 1) {
            close(extra[i]);
        }
    }
    close(fd);
    control_free(c);
    g_main_context_unref(ctx);
}
