/*
 * The settings file and attachment specs: what the dialog saves must load
 * back the same, and every malformed value is an error naming its section
 * and key.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "emu/log.h"

static void expect_load_error(const char *data, const char *needle)
{
    VmConfig c;
    GError *err = NULL;
    cr_assert_not(vm_config_load_data(&c, data, &err), "accepted: %s", data);
    cr_assert_not_null(err);
    cr_assert(strstr(err->message, needle), "'%s' lacks '%s'", err->message,
              needle);
    cr_assert_eq(c.adapters, 1, "a failed load leaves the defaults");
    g_error_free(err);
}

Test(gui_config, defaults_are_one_nat_adapter_with_cable_in)
{
    VmConfig c;
    vm_config_defaults(&c);
    cr_assert_eq(c.adapters, 1);
    cr_assert_eq(c.adapter[0].attach.kind, VM_ATTACH_USER);
    cr_assert(c.adapter[0].link);
    cr_assert_not(c.adapter[0].has_mac);
}

Test(gui_config, saved_settings_load_back_identically)
{
    VmConfig c, back;
    vm_config_defaults(&c);
    c.adapters = 3;
    c.adapter[0].attach = (VmAttachment){VM_ATTACH_LOCAL, "lab", ""};
    c.adapter[0].has_mac = true;
    memcpy(c.adapter[0].mac, (uint8_t[]){0x00, 0x03, 0xff, 0x12, 0x34, 0x56},
           6);
    c.adapter[1].attach = (VmAttachment){VM_ATTACH_BRIDGE, "eth1", ""};
    c.adapter[1].link = false;
    g_strlcpy(c.adapter[1].capture, "/tmp/nic1.pcap", VM_CAPTURE_MAX);
    c.adapter[2].attach =
        (VmAttachment){VM_ATTACH_USER, "", "restrict=on,hostfwd=tcp::2222-:22"};

    char path[] = "/tmp/tulipvm-cfg-XXXXXX";
    int fd = g_mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert(vm_config_save(&c, path, NULL));
    g_autofree char *text = NULL;
    cr_assert(g_file_get_contents(path, &text, NULL, NULL));
    cr_assert(strstr(text, "[vm]\nadapters=3"));
    cr_assert(strstr(text, "attachment=local\nsegment=lab\n"
                           "mac=00:03:ff:12:34:56\nlink=true"),
              "%s", text);
    cr_assert(strstr(text, "capture=/tmp/nic1.pcap"));
    cr_assert(strstr(text, "attachment=user\n"
                           "options=restrict=on,hostfwd=tcp::2222-:22\n"),
              "%s", text);
    cr_assert(vm_config_load(&back, path, NULL));
    unlink(path);
    cr_assert_eq(back.adapters, 3);
    for (int i = 0; i < 3; i++) {
        cr_assert(
            vm_attach_equal(&back.adapter[i].attach, &c.adapter[i].attach));
        cr_assert_eq(back.adapter[i].link, c.adapter[i].link);
        cr_assert_eq(back.adapter[i].has_mac, c.adapter[i].has_mac);
        cr_assert_str_eq(back.adapter[i].capture, c.adapter[i].capture);
    }
    cr_assert_arr_eq(back.adapter[0].mac, c.adapter[0].mac, 6);
}

Test(gui_config, local_segment_defaults_to_default)
{
    VmConfig c;
    cr_assert(vm_config_load_data(&c, "[adapter0]\nattachment=local\n", NULL));
    cr_assert_str_eq(c.adapter[0].attach.detail, "default");
}

Test(gui_config, bad_mac_is_an_error_naming_the_adapter_and_reason)
{
    expect_load_error("[adapter0]\nmac=01:02:03:04:05:06\n",
                      "[adapter0] mac=01:02:03:04:05:06: a multicast");
    expect_load_error("[adapter1]\nmac=00:03:ff:12:34\n",
                      "[adapter1] mac=00:03:ff:12:34: expected six hex bytes");
    expect_load_error("[adapter0]\nmac=00:03:fg:12:34:56\n",
                      "expected six hex bytes");
    expect_load_error("[adapter0]\nmac=00:00:00:00:00:00\n", "all-zero");
}

Test(gui_config, one_mac_on_two_adapters_in_use_is_an_error)
{
    static const char two[] = "[adapter0]\nmac=00:03:ff:00:00:07\n"
                              "[adapter1]\nmac=00:03:ff:00:00:07\n";
    g_autofree char *used = g_strdup_printf("[vm]\nadapters=2\n%s", two);
    expect_load_error(used, "[adapter1] mac=00:03:ff:00:00:07: also the MAC of "
                            "[adapter0]");
    /* Adapter 1 is not in use: its settings only wait for a larger count. */
    VmConfig c;
    cr_assert(vm_config_load_data(&c, two, NULL));
    cr_assert_eq(c.adapters, 1);
}

Test(gui_config, malformed_values_are_errors_naming_the_key)
{
    expect_load_error("[vm]\nadapters=5\n", "[vm] adapters=5");
    expect_load_error("[vm]\nadapters=0\n", "adapters=0");
    expect_load_error("[vm]\nadapters=two\n", "adapters=two");
    expect_load_error("[vm]\nmemory=128\n", "[vm] unknown key 'memory'");
    expect_load_error("[adapter0]\nattachment=wifi\n",
                      "[adapter0] attachment=wifi: unknown");
    expect_load_error("[adapter0]\nattachment=bridge\n",
                      "attachment=bridge needs ifname=");
    expect_load_error("[adapter0]\nattachment=user\nifname=eth0\n",
                      "ifname= does not apply to attachment=user");
    expect_load_error("[adapter0]\nlink=maybe\n",
                      "[adapter0] link=maybe: expected true or false");
    expect_load_error("[adapter0]\ncolour=blue\n", "unknown key 'colour'");
    expect_load_error("[adapter0]\nattachment=local\noptions=restrict=on\n",
                      "[adapter0] options=restrict=on: attachment "
                      "'local,net=default,restrict=on'");
    expect_load_error("[adapter0]\noptions=mac=00:03:ff:00:00:01\n",
                      "mac= belongs to the adapter");
    expect_load_error("[adapter4]\n", "unknown section [adapter4]");
    expect_load_error("[display]\n", "unknown section [display]");
    expect_load_error("[adapter0]\nattachment=local\nsegment=a,b\n", "commas");
    expect_load_error("[adapter0]\nattachment=bridge\n"
                      "ifname=averyveryverylongname\n",
                      "longer than 15");
    expect_load_error("not a key file", "config:");
}

Test(gui_config, empty_unreadable_and_over_long_values_are_errors)
{
    expect_load_error("[adapter0]\nattachment=local\nsegment=\n",
                      "[adapter0] segment: empty value");
    expect_load_error("[adapter2]\nattachment=vde\nsock=\n",
                      "[adapter2] sock: empty value");
    /* Values GKeyFile can only half read: a dangling or unknown escape,
     * bytes that are not UTF-8. */
    expect_load_error("[adapter1]\ncapture=/tmp/x.pcap\\\n",
                      "[adapter1] capture: unreadable value");
    expect_load_error("[adapter0]\nattachment=local\nsegment=a\\qb\n",
                      "[adapter0] segment: unreadable value");
    expect_load_error("[adapter0]\nattachment=user\\\n",
                      "[adapter0] attachment: unreadable value");
    expect_load_error("[vm]\nadapters=2\\\n", "[vm] adapters: unreadable");
    expect_load_error("[adapter0]\nmac=\xff\xfe\n",
                      "[adapter0] mac: unreadable");
    GString *g = g_string_new("[adapter0]\ncapture=/");
    for (int i = 0; i < VM_CAPTURE_MAX; i++) {
        g_string_append_c(g, 'c');
    }
    g_string_append_c(g, '\n');
    expect_load_error(g->str, "[adapter0] capture: path too long");
    g_string_free(g, TRUE);
}

Test(gui_config, tap_and_vde_details_load_and_save)
{
    VmConfig c;
    cr_assert(vm_config_load_data(&c,
                                  "[vm]\nadapters=2\n"
                                  "[adapter0]\nattachment=tap\nifname=tap3\n"
                                  "[adapter1]\nattachment=vde\n"
                                  "sock=/run/vde.ctl\n",
                                  NULL));
    cr_assert_eq(c.adapter[0].attach.kind, VM_ATTACH_TAP);
    cr_assert_str_eq(c.adapter[0].attach.detail, "tap3");
    cr_assert_eq(c.adapter[1].attach.kind, VM_ATTACH_VDE);
    cr_assert_str_eq(c.adapter[1].attach.detail, "/run/vde.ctl");
    g_autofree char *text = vm_config_to_data(&c);
    cr_assert(strstr(text, "attachment=tap\nifname=tap3\n"), "%s", text);
    cr_assert(strstr(text, "attachment=vde\nsock=/run/vde.ctl\n"), "%s", text);
}

Test(gui_config, unwritable_path_is_a_host_error_naming_it)
{
    VmConfig c;
    GError *err = NULL;
    vm_config_defaults(&c);
    cr_assert_not(vm_config_save(&c, "/nonexistent/dir/vm.ini", &err));
    cr_assert_not_null(err);
    cr_assert(g_error_matches(err, EMU_ERROR, EMU_ERROR_HOST));
    cr_assert(strstr(err->message, "config: "), "%s", err->message);
    cr_assert(strstr(err->message, "/nonexistent/dir/vm.ini"), "%s",
              err->message);
    g_error_free(err);
}

Test(gui_config, missing_file_is_a_host_error)
{
    VmConfig c;
    GError *err = NULL;
    cr_assert_not(vm_config_load(&c, "/nonexistent/tulipvm.ini", &err));
    cr_assert(strstr(err->message, "/nonexistent/tulipvm.ini"));
    g_error_free(err);
}

Test(gui_config, attachment_specs_round_trip)
{
    static const char *const specs[] = {
        "none",
        "user",
        "local,net=lab",
        "bridge,ifname=eth0",
        "tap,ifname=tap3",
        "vde,sock=/run/vde.ctl",
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(specs); i++) {
        VmAttachment a;
        cr_assert(vm_attach_parse(specs[i], &a, NULL), "%s", specs[i]);
        g_autofree char *back = vm_attach_spec(&a);
        cr_assert_str_eq(back, specs[i]);
    }
    VmAttachment a;
    cr_assert(vm_attach_parse("local", &a, NULL));
    cr_assert_str_eq(a.detail, "default");
    g_autofree char *desc = vm_attach_describe(&a);
    cr_assert_str_eq(desc, "Local only (default)");
}

/* What -nic or a re-attach gave for the backend comes back whole, so a
 * restart from the settings makes the same network. */
Test(gui_config, attachment_keeps_the_backend_options)
{
    static const char *const specs[] = {
        "user,restrict=on",
        "user,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp::5353-:53",
        "user,net=10.9.0.0/24,hostaccess=off",
        "local,net=lab,dhcp=off",
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(specs); i++) {
        VmAttachment a;
        GError *err = NULL;
        cr_assert(vm_attach_parse(specs[i], &a, &err), "%s: %s", specs[i],
                  err ? err->message : "");
        g_autofree char *back = vm_attach_spec(&a);
        cr_assert_str_eq(back, specs[i]);
    }
    VmAttachment a, plain;
    cr_assert(vm_attach_from_nic("user,mac=00:03:ff:00:00:07,restrict=on,"
                                 "capture=/tmp/a,,b.pcap,link=off",
                                 &a, NULL));
    g_autofree char *spec = vm_attach_spec(&a);
    cr_assert_str_eq(spec, "user,restrict=on");
    cr_assert(vm_attach_parse("user", &plain, NULL));
    cr_assert_not(vm_attach_equal(&a, &plain), "options make a difference");
}

Test(gui_config, bad_attachment_specs_name_the_problem)
{
    VmAttachment a;
    GError *err = NULL;
    cr_assert_not(vm_attach_parse("bridge", &a, &err));
    cr_assert(strstr(err->message, "needs ifname="), "%s", err->message);
    g_clear_error(&err);
    cr_assert_not(vm_attach_parse("user,net=lab", &a, &err));
    cr_assert(strstr(err->message, "attachment 'user,net=lab': net=lab"), "%s",
              err->message);
    g_clear_error(&err);
    cr_assert_not(vm_attach_parse("local,restrict=on", &a, &err));
    cr_assert(strstr(err->message, "'restrict' does not apply to type local"),
              "%s", err->message);
    g_clear_error(&err);
    cr_assert_not(vm_attach_parse("user,mac=00:03:ff:00:00:01", &a, &err));
    cr_assert(strstr(err->message, "mac= belongs to the adapter"), "%s",
              err->message);
    g_clear_error(&err);
    cr_assert_not(vm_attach_parse("user,hostfwd=tcp::99999-:22", &a, &err));
    cr_assert(strstr(err->message, "99999"), "%s", err->message);
    g_clear_error(&err);
    cr_assert_not(vm_attach_parse("slirp", &a, &err));
    cr_assert(strstr(err->message, "unknown type"));
    g_clear_error(&err);
    cr_assert_not(vm_attach_parse("local,net=a,net=b", &a, &err));
    cr_assert(strstr(err->message, "given twice"));
    g_clear_error(&err);
}

Test(gui_config, adapter_nic_spec_carries_mac_link_and_capture)
{
    VmAdapterConfig a = {.attach = {VM_ATTACH_LOCAL, "lab", ""},
                         .has_mac = true,
                         .mac = {0x00, 0x03, 0xff, 0, 0, 9},
                         .link = false,
                         .capture = "/tmp/a,b.pcap"};
    g_autofree char *spec = vm_adapter_nic_spec(&a);
    cr_assert_str_eq(spec, "local,net=lab,mac=00:03:ff:00:00:09,link=off,"
                           "capture=/tmp/a,,b.pcap");
}
