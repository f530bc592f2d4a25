/*
 * tulipvm: command-line options (architecture.md "Command line").
 *
 * cli_parse() turns argv into a CliConfig and nothing else: it opens no
 * file and touches no device, so every option and every error message is
 * unit-tested.  Each malformed, unknown or misplaced option is an error
 * that names the option and the offending value.
 */
#ifndef FRONTENDS_CLI_OPTIONS_H
#define FRONTENDS_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include "net/nic_opts.h"

#define CLI_MAX_NICS       4
#define CLI_DEFAULT_RAM_MB 128
#define CLI_MIN_RAM_MB     16
#define CLI_MAX_RAM_MB     3072

typedef enum CliDisplay {
    CLI_DISPLAY_DEFAULT, /* sdl when a display exists, else none */
    CLI_DISPLAY_SDL,
    CLI_DISPLAY_NONE,
} CliDisplay;

typedef enum CliSerial {
    CLI_SERIAL_DEFAULT, /* stdio without a window, none with one */
    CLI_SERIAL_STDIO,
    CLI_SERIAL_FILE,
    CLI_SERIAL_NONE,
} CliSerial;

typedef struct CliConfig {
    uint64_t ram_mb;
    char *kernel, *initrd, *append, *bios;
    bool append_given;
    CliDisplay display;
    CliSerial serial;
    char *serial_path;
    char *name;
    int n_nics; /* 0: the default single "user" adapter */
    char *nic_spec[CLI_MAX_NICS];
    NetNicConfig nic[CLI_MAX_NICS];
    char *trace, *log;
    char *config_path;
    char *control_path; /* from -control unix:PATH */
    unsigned cpu_mhz;   /* 0: the machine default */
    bool stats;
    bool no_reboot;
    bool guest_decompress;
    bool help, version;
} CliConfig;

void cli_config_init(CliConfig *cfg);
void cli_config_clear(CliConfig *cfg);

/* Parse argv[1..argc-1]; on failure cfg holds what was parsed so far. */
bool cli_parse(int argc, char **argv, CliConfig *cfg, GError **errp);

/* The text of -help. */
char *cli_help_text(void);

#endif /* FRONTENDS_CLI_OPTIONS_H */
