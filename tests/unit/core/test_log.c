/*
 * Logging and trace switches as the command line sets them.
 */
#include <criterion/criterion.h>
#include "emu/log.h"

static GPtrArray *lines;

static void capture(void *opaque, const char *line)
{
    (void)opaque;
    g_ptr_array_add(lines, g_strdup(line));
}

static void setup(void)
{
    lines = g_ptr_array_new_with_free_func(g_free);
    log_set_handler(capture, NULL);
    log_set_enabled(LOG_GUEST_ERROR | LOG_UNIMP | LOG_WARN);
    log_set_rate_limit(50, 20);
}

static void teardown(void)
{
    log_set_handler(NULL, NULL);
    g_ptr_array_free(lines, TRUE);
    emu_trace_mask = 0;
}

TestSuite(log, .init = setup, .fini = teardown);

Test(log, trace_list_enables_exactly_named_categories)
{
    cr_assert(trace_parse("tulip,pci", NULL));
    cr_assert(trace_on(TRACE_TULIP));
    cr_assert(trace_on(TRACE_PCI));
    cr_assert_not(trace_on(TRACE_IRQ));
    TRACE(TRACE_TULIP, "CSR%d = 0x%x", 6, 0x2002);
    TRACE(TRACE_IRQ, "not shown");
    cr_assert_eq(lines->len, 1);
    cr_assert_str_eq(g_ptr_array_index(lines, 0), "trace tulip: CSR6 = 0x2002");
    cr_assert(trace_parse("all", NULL));
    cr_assert(trace_on(TRACE_CONTROL));
    cr_assert(trace_parse("none", NULL));
    cr_assert_not(trace_on(TRACE_TULIP));
}

Test(log, unknown_trace_category_is_named_and_changes_nothing)
{
    GError *err = NULL;
    cr_assert(trace_parse("pci", NULL));
    cr_assert_not(trace_parse("tulip,tulpi", &err));
    cr_assert(strstr(err->message, "'tulpi'"), "%s", err->message);
    cr_assert(strstr(err->message, "tulip"), "lists valid names");
    cr_assert(trace_on(TRACE_PCI));
    cr_assert_not(trace_on(TRACE_TULIP));
    g_error_free(err);
}

Test(log, guest_errors_are_counted_even_when_not_printed)
{
    uint64_t before = log_count(LOG_GUEST_ERROR);
    cr_assert(log_parse("unimp", NULL));
    emu_log(LOG_GUEST_ERROR, "descriptor at 0x%x outside RAM", 0x1234);
    cr_assert_eq(log_count(LOG_GUEST_ERROR), before + 1);
    cr_assert_eq(lines->len, 0);
    cr_assert(log_parse("guest_errors", NULL));
    emu_log(LOG_GUEST_ERROR, "bad %s", "thing");
    cr_assert_eq(lines->len, 1);
    cr_assert_str_eq(g_ptr_array_index(lines, 0), "guest error: bad thing");
    GError *err = NULL;
    cr_assert_not(log_parse("guest_error", &err));
    g_error_free(err);
}

Test(log, flood_is_rate_limited_and_summarised)
{
    log_set_rate_limit(5, 1);
    for (int i = 0; i < 100; i++) {
        emu_log(LOG_GUEST_ERROR, "flood %d", i);
    }
    cr_assert_eq(lines->len, 5, "only the burst is printed");
    log_set_rate_limit(5, 1); /* refill */
    emu_log(LOG_WARN, "after");
    cr_assert_eq(lines->len, 6);
    const char *last = g_ptr_array_index(lines, 5);
    cr_assert(strstr(last, "after (95 earlier messages suppressed)"), "%s",
              last);
}
