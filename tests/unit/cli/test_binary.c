/*
 * The tulipvm executable as a user meets it before any guest runs: -help
 * and -version print to stdout and exit 0; a bad option or a malformed
 * -config file is one line on stderr naming the problem, with exit status
 * 2 (usage) or 1 (the VM could not be built), and nothing on stdout.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
