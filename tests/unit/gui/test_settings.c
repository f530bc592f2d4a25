/*
 * The Settings dialog driven like a user would, without a window: each
 * "frame" lays the dialog out and reports every widget's rectangle; a
 * click lands in the middle of the named widget on the next frame.  The
 * fake VM records what the dialog asked of the machine.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>
#include "fake_vm.h"
#include "settings.h"

static FakeVm vm;
static VmConfig cfg;
static SettingsDialog dlg;
static Ui ui;
static GHashTable *rects;
static char cfg_path[] = "/tmp/tulipvm-dlg-XXXXXX";
static const SDL_Rect area = {0, 0, 800, 475};

static void record(void *opaque, const char *id, SDL_Rect r)
{
    (void)opaque;
    g_hash_table_insert(rects, g_strdup(id), g_memdup2(&r, sizeof(r)));
}

static SettingsResult frame(void)
{
    ui_begin_frame(&ui);
    SettingsResult res = settings_frame(&dlg, &ui, area);
    ui_end_frame(&ui);
    return res;
}

static SettingsResult click(const char *id)
{
    frame();
    const SDL_Rect *r = g_hash_table_lookup(rects, id);
    cr_assert_not_null(r, "no widget %s", id);
    ui.in.click = true;
    ui.in.cx = r->x + r->w / 2;
    ui.in.cy = r->y + r->h / 2;
    return frame();
}

static void type(const char *text)
{
    g_strlcpy(ui.in.text, text, sizeof(ui.in.text));
    frame();
}

static void clear_field(void)
{
    ui.in.end = true;
    frame();
    for (int i = 0; i < 40; i++) {
        ui.in.backspace = true;
        frame();
    }
}

static void setup(void)
{
    static const char *const ifaces[] = {"eth0", "veth-lab", NULL};
    int fd = g_mkstemp(cfg_path);
    cr_assert_geq(fd, 0);
    close(fd);
    fake_vm_init(&vm, 2);
    vm_config_defaults(&cfg);
    cfg.adapters = 2;
    VmControl ctl = fake_vm_control(&vm);
    settings_init(&dlg, &ctl, &cfg, cfg_path, ifaces);
    settings_load(&dlg);
    rects = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    ui_init(&ui, NULL, NULL);
    ui.widget_fn = record;
}

static void teardown(void)
{
    settings_destroy(&dlg);
    fake_vm_destroy(&vm);
    g_hash_table_destroy(rects);
    unlink(cfg_path);
    strcpy(cfg_path, "/tmp/tulipvm-dlg-XXXXXX");
}

TestSuite(gui_settings, .init = setup, .fini = teardown);

Test(gui_settings, shows_every_choice_virtual_pc_offers)
{
    frame();
    static const char *const ids[] = {
        "count-1",       "count-4",      "tab-0",   "tab-1",
        "attach-none",   "attach-local", "segment", "attach-user",
        "attach-bridge", "host-iface",   "mac",     "cable",
        "capture",       "ok",           "cancel",
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(ids); i++) {
        const SDL_Rect *r = g_hash_table_lookup(rects, ids[i]);
        cr_assert_not_null(r, "%s missing", ids[i]);
        SDL_Rect dlg_r = settings_rect(area);
        cr_assert(SDL_HasIntersection(r, &dlg_r), "%s outside", ids[i]);
    }
    cr_assert_null(g_hash_table_lookup(rects, "tab-2"), "only 2 adapters");
    cr_assert_str_eq(dlg.ad[0].mac.buf, "00:03:ff:00:00:01");
}

Test(gui_settings, nothing_reaches_the_vm_before_ok)
{
    click("attach-none");
    click("cable");
    cr_assert_eq(vm.calls->len, 0);
    cr_assert_eq(click("cancel"), SETTINGS_CANCEL);
    cr_assert_eq(vm.calls->len, 0);
    cr_assert(vm.ad[0].link_up);
}

Test(gui_settings, not_connected_then_ok_reattaches_none_and_link_drops)
{
    click("attach-none");
    cr_assert_eq(click("ok"), SETTINGS_OK);
    cr_assert_str_eq(fake_vm_last_call(&vm), "reattach 0 none");
    cr_assert_not(vm.ad[0].link_up);
    cr_assert(vm.ad[0].cable_connected, "the cable setting is separate");
    settings_load(&dlg);
    click("attach-user");
    cr_assert_eq(click("ok"), SETTINGS_OK);
    cr_assert_str_eq(fake_vm_last_call(&vm), "reattach 0 user");
    cr_assert(vm.ad[0].link_up);
}

Test(gui_settings, second_adapter_goes_local_with_its_segment_name)
{
    click("tab-1");
    click("attach-local");
    click("segment");
    clear_field();
    type("lab7");
    cr_assert_eq(click("ok"), SETTINGS_OK);
    cr_assert(fake_vm_called(&vm, "reattach 1 local,net=lab7"));
    cr_assert_eq(vm.calls->len, 1, "adapter 0 untouched");
    cr_assert_eq(cfg.adapter[1].attach.kind, VM_ATTACH_LOCAL);
    cr_assert_str_eq(cfg.adapter[1].attach.detail, "lab7");
}

Test(gui_settings, host_adapter_choice_bridges_to_the_first_interface)
{
    click("attach-bridge");
    cr_assert_eq(click("ok"), SETTINGS_OK);
    cr_assert_str_eq(fake_vm_last_call(&vm), "reattach 0 bridge,ifname=eth0");
}

Test(gui_settings, picking_a_host_adapter_from_the_list_bridges_to_it)
{
    click("host-iface");
    frame();
    cr_assert_not_null(g_hash_table_lookup(rects, "host-iface=veth-lab"));
    click("host-iface=veth-lab");
    cr_assert_eq(dlg.ad[0].attach.kind, VM_ATTACH_BRIDGE);
    cr_assert_str_eq(ui.popup.id, "", "the list closed");
    cr_assert_eq(click("ok"), SETTINGS_OK);
    cr_assert_str_eq(fake_vm_last_call(&vm),
                     "reattach 0 bridge,ifname=veth-lab");
}

Test(gui_settings, open_list_takes_the_click_and_closes_without_choosing)
{
    click("host-iface");
    frame();
    cr_assert_not_null(g_hash_table_lookup(rects, "host-iface=veth-lab"));
    /* "Not connected" is elsewhere: the click only closes the list. */
    click("attach-none");
    cr_assert_str_eq(ui.popup.id, "");
    cr_assert_eq(dlg.ad[0].attach.kind, VM_ATTACH_USER);
    click("attach-none");
    cr_assert_eq(dlg.ad[0].attach.kind, VM_ATTACH_NONE);
}

Test(gui_settings, bridged_interface_missing_from_the_host_is_still_listed)
{
    vm.ad[1].attach = (VmAttachment){VM_ATTACH_BRIDGE, "usb0", ""};
    settings_load(&dlg);
    click("tab-1");
    click("host-iface");
    frame();
    cr_assert_not_null(g_hash_table_lookup(rects, "host-iface=usb0"));
    cr_assert_eq(dlg.ad[1].iface_sel, 2);
}

/* Options the dialog does not show (dhcp=off, restrict=on) survive an OK
 * that leaves the attachment alone, in the VM and in the file. */
Test(gui_settings, ok_keeps_backend_options_the_dialog_does_not_show)
{
    cr_assert(vm_attach_parse("user,restrict=on", &vm.ad[0].attach, NULL));
    cr_assert(
        vm_attach_parse("local,net=lab,dhcp=off", &vm.ad[1].attach, NULL));
    settings_load(&dlg);
    click("cable");
    cr_assert_eq(click("ok"), SETTINGS_OK);
    cr_assert_str_eq(fake_vm_last_call(&vm), "set_cable 0 off");
    cr_assert_eq(vm.calls->len, 1, "no re-attach");
    VmConfig back;
    cr_assert(vm_config_load(&back, cfg_path, NULL));
    cr_assert_str_eq(back.adapter[0].attach.opts, "restrict=on");
    cr_assert_str_eq(back.adapter[1].attach.opts, "dhcp=off");
}

Test(gui_settings, unplugging_the_cable_applies_live)
{
    click("cable");
    cr_assert_eq(click("ok"), SETTINGS_OK);
    cr_assert_str_eq(fake_vm_last_call(&vm), "set_cable 0 off");
    cr_assert_not(vm.ad[0].link_up);
    cr_assert_not(cfg.adapter[0].link);
}

Test(gui_settings, invalid_mac_shows_an_error_and_ok_applies_nothing)
{
    click("attach-none");
    click("mac");
    clear_field();
    type("01:00:5e:00:00:01");
    cr_assert(strstr(dlg.ad[0].mac_error, "multicast"), "%s",
              dlg.ad[0].mac_error);
    cr_assert_eq(click("ok"), SETTINGS_OPEN);
    cr_assert(strstr(dlg.error, "Adapter 1: mac=01:00:5e:00:00:01"), "%s",
              dlg.error);
    cr_assert_eq(vm.calls->len, 0, "no partial apply");
    clear_field();
    type("00:03:ff:zz");
    cr_assert(strstr(dlg.ad[0].mac_error, "six hex bytes"));
    clear_field();
    type("00:03:ff:aa:bb:cc");
    cr_assert_str_eq(dlg.ad[0].mac_error, "");
    cr_assert_eq(click("ok"), SETTINGS_OK);
    cr_assert(fake_vm_called(&vm, "set_next_mac 0 00:03:ff:aa:bb:cc"));
    cr_assert(fake_vm_called(&vm, "reattach 0 none"));
    cr_assert(cfg.adapter[0].has_mac);
}

Test(gui_settings, one_mac_on_two_adapters_is_refused_at_ok)
{
    click("tab-1");
    click("mac");
    clear_field();
    type(dlg.ad[0].mac.buf);
    cr_assert_eq(click("ok"), SETTINGS_OPEN);
    cr_assert(strstr(dlg.error, "Adapter 2: MAC 00:03:ff:00:00:01 is also "
                                "Adapter 1's"),
              "%s", dlg.error);
    cr_assert_eq(vm.calls->len, 0, "nothing applied");
    clear_field();
    type("00:03:ff:00:00:22");
    cr_assert_eq(click("ok"), SETTINGS_OK);
    cr_assert(fake_vm_called(&vm, "set_next_mac 1 00:03:ff:00:00:22"));
}

Test(gui_settings, adapter_count_is_for_the_next_start_and_saved)
{
    click("count-4");
    click("tab-3");
    frame();
    cr_assert_not(dlg.ad[3].live);
    click("attach-local");
    cr_assert_eq(click("ok"), SETTINGS_OK);
    cr_assert(fake_vm_called(&vm, "set_next_adapter_count 4"));
    cr_assert_not(fake_vm_called(&vm, "reattach 3 local,net=default"),
                  "adapter 3 does not exist yet");
    VmConfig back;
    cr_assert(vm_config_load(&back, cfg_path, NULL));
    cr_assert_eq(back.adapters, 4);
    cr_assert_eq(back.adapter[3].attach.kind, VM_ATTACH_LOCAL);
}

Test(gui_settings, capture_file_starts_and_stops_capture)
{
    click("capture");
    type("/tmp/x.pcap");
    cr_assert_eq(click("ok"), SETTINGS_OK);
    cr_assert_str_eq(fake_vm_last_call(&vm), "capture_start 0 /tmp/x.pcap");
    settings_load(&dlg);
    click("capture");
    clear_field();
    cr_assert_eq(click("ok"), SETTINGS_OK);
    cr_assert_str_eq(fake_vm_last_call(&vm), "capture_stop 0");
}

Test(gui_settings, host_interface_list_excludes_loopback)
{
    g_auto(GStrv) names = settings_host_ifaces();
    for (unsigned i = 0; names[i]; i++) {
        cr_assert_str_neq(names[i], "lo");
    }
}

Test(gui_settings, replaced_host_interface_list_shows_at_the_next_load)
{
    static const char *const now[] = {"wlan0", NULL};
    settings_set_host_ifaces(&dlg, now);
    settings_load(&dlg);
    click("host-iface");
    frame();
    cr_assert_not_null(g_hash_table_lookup(rects, "host-iface=wlan0"));
    cr_assert_null(g_hash_table_lookup(rects, "host-iface=eth0"));
}

/* What applies at OK and what waits for the next start is written next to
 * it: the adapter count and the MAC always, and an adapter the VM does
 * not have yet says so. */
Test(gui_settings, next_start_settings_are_marked_and_live_ones_are_not)
{
    g_hash_table_remove_all(rects);
    frame();
    cr_assert_not_null(g_hash_table_lookup(rects, "note-count"));
    cr_assert_not_null(g_hash_table_lookup(rects, "note-mac"));
    cr_assert_null(g_hash_table_lookup(rects, "note-added"),
                   "adapter 1 is running: attachment and cable apply now");
    const SDL_Rect *count4 = g_hash_table_lookup(rects, "count-4");
    const SDL_Rect *note = g_hash_table_lookup(rects, "note-count");
    cr_assert(note->y >= count4->y && note->y < count4->y + count4->h,
              "the note is on the count row");
    cr_assert_gt(note->x, count4->x);

    vm.count = 1; /* the VM runs one adapter; the config asks for two */
    settings_load(&dlg);
    click("tab-1");
    g_hash_table_remove_all(rects);
    frame();
    cr_assert_not(dlg.ad[1].live);
    cr_assert_not_null(g_hash_table_lookup(rects, "note-added"));
    click("tab-0");
    g_hash_table_remove_all(rects);
    frame();
    cr_assert_null(g_hash_table_lookup(rects, "note-added"));
}

/* Every field of every adapter reaches the file and loads back; Cancel
 * writes nothing. */
Test(gui_settings, every_setting_is_saved_to_the_config_file)
{
    click("cable");
    click("capture");
    type("/tmp/a0.pcap");
    click("mac");
    clear_field();
    type("00:03:ff:00:0a:0b");
    click("tab-1");
    click("attach-local");
    click("segment");
    clear_field();
    type("lab9");
    cr_assert_eq(click("ok"), SETTINGS_OK);

    VmConfig back;
    GError *err = NULL;
    cr_assert(vm_config_load(&back, cfg_path, &err), "%s",
              err ? err->message : "");
    cr_assert_eq(back.adapters, 2);
    cr_assert_not(back.adapter[0].link);
    cr_assert_str_eq(back.adapter[0].capture, "/tmp/a0.pcap");
    cr_assert(back.adapter[0].has_mac);
    cr_assert_arr_eq(back.adapter[0].mac,
                     ((uint8_t[]){0x00, 0x03, 0xff, 0x00, 0x0a, 0x0b}), 6);
    cr_assert_eq(back.adapter[0].attach.kind, VM_ATTACH_USER);
    cr_assert_eq(back.adapter[1].attach.kind, VM_ATTACH_LOCAL);
    cr_assert_str_eq(back.adapter[1].attach.detail, "lab9");
    cr_assert(back.adapter[1].link);

    g_autofree char *before = NULL;
    cr_assert(g_file_get_contents(cfg_path, &before, NULL, NULL));
    settings_load(&dlg);
    click("attach-none");
    click("count-3");
    cr_assert_eq(click("cancel"), SETTINGS_CANCEL);
    g_autofree char *after = NULL;
    cr_assert(g_file_get_contents(cfg_path, &after, NULL, NULL));
    cr_assert_str_eq(after, before, "Cancel leaves the file alone");
}

/* The host adapters offered are the host's interfaces as the kernel lists
 * them in /sys/class/net, loopback aside. */
Test(gui_settings, every_host_interface_but_loopback_is_offered)
{
    g_auto(GStrv) names = settings_host_ifaces();
    GDir *dir = g_dir_open("/sys/class/net", 0, NULL);
    cr_assert_not_null(dir);
    unsigned expected = 0;
    for (const char *n; (n = g_dir_read_name(dir));) {
        if (!strcmp(n, "lo") || !strcmp(n, "bonding_masters")) {
            continue;
        }
        expected++;
        cr_assert(g_strv_contains((const char *const *)names, n), "%s missing",
                  n);
    }
    g_dir_close(dir);
    cr_assert_eq(g_strv_length(names), expected);
}
