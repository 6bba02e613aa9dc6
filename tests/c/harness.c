/* harness.c: see harness.h. Single-threaded: checks run on the main thread. */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed_count;
static int failed_count;
static int skipped_count;
static int current_failed;
static const char *current_name = "(none)";

/*
 * Whether `name` is in TH_SKIP (comma-separated test names): for a runner
 * that cannot run some tests at all (qemu-user cannot fork a threaded
 * program reliably). A skipped test is printed and counted apart, never as
 * passed.
 */
static int skipped(const char *name)
{
    const char *list = getenv("TH_SKIP");
    size_t len = strlen(name);

    while (list != NULL && *list != '\0') {
        const char *end = strchr(list, ',');
        size_t item = end != NULL ? (size_t)(end - list) : strlen(list);
        if (item == len && strncmp(list, name, len) == 0)
            return 1;
        list = end != NULL ? end + 1 : NULL;
    }
    return 0;
}

void th_run(const char *name, void (*test)(void))
{
    if (skipped(name)) {
        skipped_count++;
        printf("skip %s (TH_SKIP)\n", name);
        fflush(stdout);
        return;
    }
    current_name = name;
    current_failed = 0;
    test();
    if (current_failed) {
        failed_count++;
        printf("FAIL %s\n", name);
    } else {
        passed_count++;
        printf("ok   %s\n", name);
    }
    fflush(stdout);
}

void th_fail(const char *file, int line, const char *fmt, ...)
{
    va_list args;

    current_failed = 1;
    printf("  %s:%d: in %s: ", file, line, current_name);
    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);
    printf("\n");
    fflush(stdout);
}

void th_check_str(const char *file, int line, const char *expr,
                  const char *actual, const char *expected)
{
    if (actual == NULL && expected == NULL)
        return;
    if (actual == NULL || expected == NULL || strcmp(actual, expected) != 0)
        th_fail(file, line, "%s is %s%s%s, expected %s%s%s", expr,
                actual ? "\"" : "", actual ? actual : "NULL", actual ? "\"" : "",
                expected ? "\"" : "", expected ? expected : "NULL", expected ? "\"" : "");
}

void th_check_contains(const char *file, int line, const char *expr,
                       const char *haystack, const char *needle)
{
    if (haystack == NULL || strstr(haystack, needle) == NULL)
        th_fail(file, line, "%s is %s%s%s, expected it to contain \"%s\"", expr,
                haystack ? "\"" : "", haystack ? haystack : "NULL", haystack ? "\"" : "", needle);
}

int th_summary(void)
{
    if (skipped_count > 0) {
        printf("%d passed, %d failed, %d skipped\n", passed_count, failed_count, skipped_count);
        fflush(stdout);
        return failed_count == 0 ? 0 : 1;
    }
    printf("%d passed, %d failed\n", passed_count, failed_count);
    fflush(stdout);
    return failed_count == 0 ? 0 : 1;
}
