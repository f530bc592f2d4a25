/*
 * tulipvm tests: a scratch directory per test under /tmp, removed with
 * everything in it at the end.  Failures are Criterion assertions: only
 * tests include this.
 */
#ifndef TESTS_SUPPORT_TMPDIR_H
#define TESTS_SUPPORT_TMPDIR_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdlib.h>
#include <glib.h>

#define TMPDIR_LEN 64

/* Create an empty /tmp/tvm-<tag>-XXXXXX; its path goes to dir. */
static inline void tmpdir_make(char dir[TMPDIR_LEN], const char *tag)
{
    g_snprintf(dir, TMPDIR_LEN, "/tmp/tvm-%s-XXXXXX", tag);
    cr_assert_not_null(g_mkdtemp(dir), "%s", dir);
}

/* Remove dir and everything below it; false if that failed. */
static inline bool tmpdir_remove(const char *dir)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    return system(cmd) == 0;
}

/* Keep tulipvm's MAC registry (macs/) and local segments (local/) inside
 * dir instead of the user's state directory. */
static inline void tmpdir_hold_state(const char *dir)
{
    g_autofree char *macs = g_strdup_printf("%s/macs", dir);
    g_autofree char *local = g_strdup_printf("%s/local", dir);
    g_setenv("TULIPVM_MAC_DIR", macs, TRUE);
    g_setenv("TULIPVM_LOCAL_DIR", local, TRUE);
}

#endif /* TESTS_SUPPORT_TMPDIR_H */
