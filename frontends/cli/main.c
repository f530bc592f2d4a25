/*
 * tulipvm: command-line frontend.
 *
 * For now it parses the options common to every run (-m, -trace, -d) and
 * prints its usage and version; later work makes it build and boot the
 * default VM (architecture.md "Command line").
 */
#include "emu/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "tulipvm %s - a small PC emulator with DEC 21140 networking\n"
            "\n"
            "usage: tulipvm [-m MB] [-kernel FILE] [-initrd FILE] "
            "[-append CMDLINE]\n"
            "               [-nographic | -display sdl|none] "
            "[-serial stdio|file:PATH|none]\n"
            "               [-name NAME] [-nic TYPE[,opt=value...]]... "
            "(up to 4 -nic)\n"
            "               [-trace CATEGORIES] [-d LOGCLASSES] "
            "[-version] [-help]\n"
            "\n"
            "  -m MB            guest RAM in MiB (default 128)\n"
            "  -trace LIST      enable trace categories, e.g. "
            "-trace tulip,pci (or all)\n"
            "  -d LIST          log classes printed: guest_errors,unimp,warn "
            "(default all)\n"
            "  -version         print the version and exit\n"
            "  -help            print this help and exit\n",
            TULIPVM_VERSION);
}

int main(int argc, char **argv)
{
    long mem_mb = 128;

    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *arg = i + 1 < argc ? argv[i + 1] : NULL;
        g_autoptr(GError) err = NULL;

        if (!strcmp(opt, "-help") || !strcmp(opt, "--help") ||
            !strcmp(opt, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(opt, "-version") || !strcmp(opt, "--version")) {
            printf("tulipvm %s\n", TULIPVM_VERSION);
            return 0;
        }
        if (!strcmp(opt, "-trace") || !strcmp(opt, "-d") ||
            !strcmp(opt, "-m")) {
            if (!arg) {
                fprintf(stderr, "tulipvm: option %s needs a value\n", opt);
                return 2;
            }
            i++;
            if (!strcmp(opt, "-trace") && !trace_parse(arg, &err)) {
                fprintf(stderr, "tulipvm: %s\n", err->message);
                return 2;
            }
            if (!strcmp(opt, "-d") && !log_parse(arg, &err)) {
                fprintf(stderr, "tulipvm: %s\n", err->message);
                return 2;
            }
            if (!strcmp(opt, "-m")) {
                char *end;
                mem_mb = strtol(arg, &end, 10);
                if (*end || mem_mb < 4 || mem_mb > 3072) {
                    fprintf(stderr,
                            "tulipvm: -m: '%s' is not a RAM size in MiB "
                            "between 4 and 3072\n",
                            arg);
                    return 2;
                }
            }
            continue;
        }
        fprintf(stderr, "tulipvm: unknown option '%s' (see tulipvm -help)\n",
                opt);
        return 2;
    }
    usage(stdout);
    printf("\n(guest RAM %ld MiB; booting a VM arrives with the platform "
           "work)\n",
           mem_mb);
    return 0;
}
