/*
 * The tulipvm executable as a user meets it, with no guest OS: -help and
 * -version print to stdout and exit 0; a bad option, a malformed -config
 * file or a host resource that cannot be had is one line on stderr naming
 * the problem, with exit status 2 (usage) or 1 (the VM could not be
 * built), and nothing on stdout.  A 4 KiB ROM that halts stands in for
 * the guest, so -control and -config can be driven end to end in a
 * second.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "config.h"
#include "control_client.h"
#include "support/tmpdir.h"

typedef struct Run {
    int status;
    char *out, *err;
} Run;

static Run run(const char *const *args)
{
    GPtrArray *argv = g_ptr_array_new();
    g_autoptr(GError) e = NULL;
    Run r = {0};

    g_ptr_array_add(argv, (char *)TULIPVM_BIN);
    for (unsigned i = 0; args[i]; i++) {
        g_ptr_array_add(argv, (char *)args[i]);
    }
    g_ptr_array_add(argv, NULL);
    /* No window, whatever the environment offers. */
    g_auto(GStrv) env = g_environ_unsetenv(g_get_environ(), "DISPLAY");
    env = g_environ_unsetenv(env, "WAYLAND_DISPLAY");
    env = g_environ_unsetenv(env, "SDL_VIDEODRIVER");
    cr_assert(g_spawn_sync(NULL, (char **)argv->pdata, env, G_SPAWN_DEFAULT,
                           NULL, NULL, &r.out, &r.err, &r.status, &e),
              "%s", e ? e->message : "");
    g_ptr_array_free(argv, TRUE);
    return r;
}

static void run_free(Run *r)
{
    g_free(r->out);
    g_free(r->err);
}

/* Exit status code with one stderr line "tulipvm: ...needle...". */
static void expect_failure(const char *const *args, int code,
                           const char *needle)
{
    Run r = run(args);
    cr_assert(WIFEXITED(r.status), "status 0x%x", r.status);
    cr_assert_eq(WEXITSTATUS(r.status), code, "stderr: %s", r.err);
    cr_assert(g_str_has_prefix(r.err, "tulipvm: "), "%s", r.err);
    cr_assert(strstr(r.err, needle), "'%s' lacks '%s'", r.err, needle);
    cr_assert_eq(strchr(r.err, '\n') - r.err, (long)strlen(r.err) - 1,
                 "one line: %s", r.err);
    cr_assert_str_eq(r.out, "", "nothing on stdout");
    run_free(&r);
}

Test(tulipvm_binary, help_prints_usage_and_every_option_then_exits_0)
{
    Run r = run((const char *const[]){"-help", NULL});
    cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
    cr_assert(strstr(r.out, "usage: tulipvm [options]"), "%s", r.out);
    cr_assert(strstr(r.out, "-nic TYPE[,opt=value...]"));
    cr_assert(strstr(r.out, "Examples:"));
    cr_assert_str_eq(r.err, "");
    run_free(&r);
    r = run((const char *const[]){"--help", NULL});
    cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
    cr_assert(strstr(r.out, "usage: tulipvm [options]"));
    run_free(&r);
}

Test(tulipvm_binary, version_prints_the_version_then_exits_0)
{
    Run r = run((const char *const[]){"-version", NULL});
    cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
    cr_assert_str_eq(r.out, "tulipvm " TULIPVM_VERSION "\n");
    run_free(&r);
}

Test(tulipvm_binary, bad_options_are_named_on_stderr_with_status_2)
{
    expect_failure((const char *const[]){"-nic", "user", "-nic", "user", "-nic",
                                         "user", "-nic", "user", "-nic",
                                         "local", NULL},
                   2, "-nic local: a VM has at most 4 network adapters");
    expect_failure(
        (const char *const[]){"-nic", "user,mac=01:00:5e:00:00:01", NULL}, 2,
        "a multicast address cannot be an adapter's address");
    expect_failure(
        (const char *const[]){"-nic", "user,hostfwd=tcp::99999-:22", NULL}, 2,
        "host port '99999' is not a port (1-65535)");
    expect_failure((const char *const[]){"-hda", "disk.img", NULL}, 2,
                   "unknown option '-hda'");
    expect_failure((const char *const[]){"-m", NULL}, 2,
                   "-m needs a value: -m MB");
    expect_failure((const char *const[]){"-m", "lots", NULL}, 2, "-m: 'lots'");
    /* -help after a bad option does not hide the error. */
    expect_failure((const char *const[]){"-display", "gtk", "-help", NULL}, 2,
                   "-display: 'gtk' is not sdl or none");
}

Test(tulipvm_binary, malformed_config_file_stops_before_the_vm_starts)
{
    char dir[] = "/tmp/tulipvm-bin-XXXXXX";
    cr_assert_not_null(g_mkdtemp(dir));
    g_autofree char *ini = g_strdup_printf("%s/vm.ini", dir);
    cr_assert(g_file_set_contents(ini,
                                  "[vm]\nadapters=1\n[adapter0]\n"
                                  "mac=00:03:ff:00:00\n",
                                  -1, NULL));
    g_autofree char *want =
        g_strdup_printf("-config: %s: config: [adapter0] mac=00:03:ff:00:00: "
                        "expected six hex bytes",
                        ini);
    expect_failure((const char *const[]){"-display", "none", "-serial", "none",
                                         "-config", ini, NULL},
                   1, want);
    unlink(ini);
    rmdir(dir);
}

/* A ROM whose reset vector (F000:FFF0) halts, forever. */
static char *write_halt_rom(const char *dir)
{
    uint8_t rom[4096] = {0};
    char *path = g_strdup_printf("%s/halt.rom", dir);
    rom[0xFF0] = 0xF4; /* hlt */
    rom[0xFF1] = 0xEB; /* jmp back to it */
    rom[0xFF2] = 0xFD;
    cr_assert(g_file_set_contents(path, (const char *)rom, sizeof(rom), NULL));
    return path;
}

Test(tulipvm_binary, host_resources_that_fail_are_named_with_status_1)
{
    char dir[TMPDIR_LEN];
    tmpdir_make(dir, "bin");
    tmpdir_hold_state(dir);
    g_autofree char *rom = write_halt_rom(dir);
    g_autofree char *plain = g_strdup_printf("%s/plain-file", dir);
    g_autofree char *ctl = g_strdup_printf("unix:%s", plain);
    g_autofree char *log = g_strdup_printf("file:%s/no/dir/boot.log", dir);
    g_autofree char *short_rom = g_strdup_printf("%s/short.rom", dir);
    cr_assert(g_file_set_contents(plain, "x", 1, NULL));
    cr_assert(g_file_set_contents(short_rom, "xyz", 3, NULL));

    expect_failure((const char *const[]){"-bios", rom, "-display", "none",
                                         "-serial", "none", "-nic", "none",
                                         "-control", ctl, NULL},
                   1, "exists and is not a socket");
    expect_failure((const char *const[]){"-bios", rom, "-display", "none",
                                         "-nic", "none", "-serial", log, NULL},
                   1, "/no/dir/boot.log");
    /* Asking for a window where none can open is an error, not an
     * invisible window with the serial console off. */
    expect_failure((const char *const[]){"-bios", rom, "-display", "sdl",
                                         "-nic", "none", NULL},
                   1, "display: no window system");
    expect_failure((const char *const[]){"-bios", short_rom, "-display", "none",
                                         "-nic", "none", NULL},
                   1, "BIOS image of 3 bytes");
    expect_failure((const char *const[]){"-bios", "/nonexistent/rom.bin",
                                         "-display", "none", "-nic", "none",
                                         NULL},
                   1, "-bios: ");
    cr_assert(tmpdir_remove(dir));
}

static bool wait_exit(GPid pid, int *status, double secs)
{
    gint64 end = g_get_monotonic_time() + (gint64)(secs * G_USEC_PER_SEC);
    while (g_get_monotonic_time() < end) {
        if (waitpid(pid, status, WNOHANG) == pid) {
            return true;
        }
        g_usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, status, 0);
    return false;
}

/* The control socket and the -config file as a script uses them: list the
 * adapters the command line made, record next-start settings (written to
 * a config file that did not exist), quit. */
Test(tulipvm_binary, control_socket_writes_the_config_file_and_quits,
     .timeout = 120)
{
    char dir[TMPDIR_LEN];
    tmpdir_make(dir, "bin");
    tmpdir_hold_state(dir);
    g_autofree char *rom = write_halt_rom(dir);
    g_autofree char *ini = g_strdup_printf("%s/vm.ini", dir);
    g_autofree char *sock = g_strdup_printf("%s/ctl.sock", dir);
    g_autofree char *ctl = g_strdup_printf("unix:%s", sock);
    const char *argv[] = {
        TULIPVM_BIN, "-bios", rom,       "-display", "none",
        "-serial",   "none",  "-config", ini,        "-control",
        ctl,         "-nic",  "none",    "-nic",     "local,net=bintest",
        NULL};
    g_auto(GStrv) env = g_environ_unsetenv(g_get_environ(), "DISPLAY");
    GPid pid;
    g_autoptr(GError) e = NULL;
    cr_assert(g_spawn_async(NULL, (char **)argv, env, G_SPAWN_DO_NOT_REAP_CHILD,
                            NULL, NULL, &pid, &e),
              "%s", e ? e->message : "");

    CtlClient c;
    cr_assert(ctl_connect(&c, sock, 60), "tulipvm listens");
    g_autofree char *list = ctl_call(&c, "{\"cmd\":\"list\"}");
    cr_assert_not_null(list);
    cr_assert(strstr(list, "\"index\":0,\"attachment\":\"none\""), "%s", list);
    cr_assert(strstr(list, "\"index\":1,\"attachment\":\"local\","
                           "\"detail\":\"bintest\""),
              "%s", list);
    cr_assert_not(g_file_test(ini, G_FILE_TEST_EXISTS), "nothing saved yet");

    g_autofree char *r1 = ctl_call(&c, "{\"cmd\":\"set_next_adapters\","
                                       "\"count\":3}");
    cr_assert_str_eq(r1, "{\"ok\":true}");
    g_autofree char *r2 = ctl_call(&c, "{\"cmd\":\"set_next_mac\","
                                       "\"adapter\":2,"
                                       "\"mac\":\"00:03:ff:0b:1e:02\"}");
    cr_assert_str_eq(r2, "{\"ok\":true}");
    VmConfig saved;
    GError *lerr = NULL;
    cr_assert(vm_config_load(&saved, ini, &lerr), "%s",
              lerr ? lerr->message : "");
    cr_assert_eq(saved.adapters, 3);
    cr_assert_eq(saved.adapter[0].attach.kind, VM_ATTACH_NONE);
    cr_assert_eq(saved.adapter[1].attach.kind, VM_ATTACH_LOCAL);
    cr_assert_str_eq(saved.adapter[1].attach.detail, "bintest");
    cr_assert(saved.adapter[2].has_mac);
    cr_assert_eq(saved.adapter[2].mac[5], 0x02);

    /* Live changes are saved at once too, and the file starts the same
     * adapters again. */
    g_autofree char *cap = g_strdup_printf("%s/nic1.pcap", dir);
    g_autofree char *capreq = g_strdup_printf(
        "{\"cmd\":\"capture_start\",\"adapter\":1,\"path\":\"%s\"}", cap);
    const char *const live[] = {
        "{\"cmd\":\"reattach\",\"adapter\":0,"
        "\"attachment\":\"user,restrict=on,hostaccess=off\"}",
        "{\"cmd\":\"set_link\",\"adapter\":1,\"up\":false}",
        capreq,
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(live); i++) {
        g_autofree char *r = ctl_call(&c, live[i]);
        cr_assert_str_eq(r, "{\"ok\":true}", "%s", live[i]);
    }
    cr_assert(vm_config_load(&saved, ini, &lerr), "%s",
              lerr ? lerr->message : "");
    cr_assert_eq(saved.adapters, 3, "next-start values kept");
    cr_assert_eq(saved.adapter[0].attach.kind, VM_ATTACH_USER);
    cr_assert_str_eq(saved.adapter[0].attach.opts,
                     "restrict=on,hostaccess=off");
    cr_assert_not(saved.adapter[1].link);
    cr_assert_str_eq(saved.adapter[1].capture, cap);
    g_autofree char *list2 = ctl_call(&c, "{\"cmd\":\"list\"}");
    for (unsigned i = 0; i < 2; i++) {
        g_autofree char *spec = vm_adapter_nic_spec(&saved.adapter[i]);
        g_autofree char *attach = vm_attach_spec(&saved.adapter[i].attach);
        g_autofree char *member = g_strdup_printf("\"spec\":\"%s\"", attach);
        cr_assert(strstr(list2, member), "adapter %u restarts as %s: %s", i,
                  spec, list2);
    }

    g_autofree char *bye = ctl_call(&c, "{\"cmd\":\"quit\"}");
    cr_assert_str_eq(bye, "{\"ok\":true}");
    int status;
    cr_assert(wait_exit(pid, &status, 30), "quit ends tulipvm");
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x",
              status);
    ctl_close(&c);
    struct stat st;
    cr_assert_neq(stat(sock, &st), 0, "the socket file is removed");

    /* Started again from the file alone: the same adapters. */
    const char *again[] = {TULIPVM_BIN, "-bios",    rom,    "-display",
                           "none",      "-serial",  "none", "-config",
                           ini,         "-control", ctl,    NULL};
    cr_assert(g_spawn_async(NULL, (char **)again, env,
                            G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &e),
              "%s", e ? e->message : "");
    cr_assert(ctl_connect(&c, sock, 60), "tulipvm listens");
    g_autofree char *list3 = ctl_call(&c, "{\"cmd\":\"list\"}");
    cr_assert(strstr(list3,
                     "\"index\":0,\"attachment\":\"user\",\"detail\":"
                     "\"\",\"spec\":\"user,restrict=on,hostaccess=off\""),
              "%s", list3);
    cr_assert(strstr(list3, "\"spec\":\"local,net=bintest\",\"mac\":"), "%s",
              list3);
    cr_assert(strstr(list3, "\"cable\":false"), "%s", list3);
    cr_assert(strstr(list3, "\"index\":2,"), "three adapters: %s", list3);
    cr_assert(strstr(list3, "00:03:ff:0b:1e:02"), "%s", list3);
    g_autofree char *bye2 = ctl_call(&c, "{\"cmd\":\"quit\"}");
    cr_assert_str_eq(bye2, "{\"ok\":true}");
    cr_assert(wait_exit(pid, &status, 30), "quit ends tulipvm");
    ctl_close(&c);
    cr_assert(tmpdir_remove(dir));
}

/* tulipvm with a halting ROM, one "none" adapter and a control socket in
 * sock; extra_opt/extra_val (e.g. -config FILE) may be NULL. */
static GPid start_halted(const char *rom, const char *sock,
                         const char *extra_opt, const char *extra_val)
{
    g_autofree char *ctl = g_strdup_printf("unix:%s", sock);
    const char *argv[] = {TULIPVM_BIN, "-bios",    rom,    "-display",
                          "none",      "-serial",  "none", "-nic",
                          "none",      "-control", ctl,    extra_opt,
                          extra_val,   NULL};
    g_auto(GStrv) env = g_environ_unsetenv(g_get_environ(), "DISPLAY");
    g_autoptr(GError) e = NULL;
    GPid pid;
    cr_assert(g_spawn_async(NULL, (char **)argv, env, G_SPAWN_DO_NOT_REAP_CHILD,
                            NULL, NULL, &pid, &e),
              "%s", e ? e->message : "");
    return pid;
}

static void quit_halted(GPid pid, CtlClient *c)
{
    g_autofree char *bye = ctl_call(c, "{\"cmd\":\"quit\"}");
    int status;
    cr_assert_str_eq(bye, "{\"ok\":true}");
    cr_assert(wait_exit(pid, &status, 30), "quit ends tulipvm");
    ctl_close(c);
}

/* Without -config no settings file appears; with one that cannot be
 * written the reply says so, naming it, and the change is in effect. */
Test(tulipvm_binary, control_changes_without_or_with_an_unwritable_config,
     .timeout = 120)
{
    char dir[TMPDIR_LEN];
    tmpdir_make(dir, "bin");
    tmpdir_hold_state(dir);
    g_autofree char *rom = write_halt_rom(dir);
    g_autofree char *sock = g_strdup_printf("%s/ctl.sock", dir);
    const char *req = "{\"cmd\":\"reattach\",\"adapter\":0,"
                      "\"attachment\":\"local,net=kept\"}";
    CtlClient c;

    GPid pid = start_halted(rom, sock, NULL, NULL);
    cr_assert(ctl_connect(&c, sock, 60), "tulipvm listens");
    g_autofree char *r1 = ctl_call(&c, req);
    cr_assert_str_eq(r1, "{\"ok\":true}");
    quit_halted(pid, &c);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    for (const char *name; (name = g_dir_read_name(d));) {
        cr_assert(!strcmp(name, "halt.rom") || !strcmp(name, "macs") ||
                      !strcmp(name, "local"),
                  "no settings file written (found %s)", name);
    }

    g_autofree char *bad = g_strdup_printf("%s/no/dir/vm.ini", dir);
    pid = start_halted(rom, sock, "-config", bad);
    cr_assert(ctl_connect(&c, sock, 60), "tulipvm listens");
    g_autofree char *r2 = ctl_call(&c, req);
    g_autofree char *want = g_strdup_printf(
        "the change is in effect but the settings file %s was not saved", bad);
    cr_assert(strstr(r2, "\"ok\":false") && strstr(r2, want), "%s", r2);
    g_autofree char *list = ctl_call(&c, "{\"cmd\":\"list\"}");
    cr_assert(strstr(list, "\"spec\":\"local,net=kept\""), "%s", list);
    quit_halted(pid, &c);
    cr_assert(tmpdir_remove(dir));
}
