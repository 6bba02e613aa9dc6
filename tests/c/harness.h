/*
 * harness.h: the smallest test harness that does the job. A test is a
 * function; CHECK* macros record a failure (with file, line and the values
 * involved) and let the test go on, so one run reports every broken check.
 * th_summary() prints "N passed, N failed" as the very last line.
 */
#ifndef COVEO_UA_TEST_HARNESS_H
#define COVEO_UA_TEST_HARNESS_H

#include <stdint.h>

#include "coveo_ua.h"

#ifdef __cplusplus
extern "C" { /* the C++ tests link these C helpers too */
#endif

/* Runs one test function and counts it as passed or failed. */
void th_run(const char *name, void (*test)(void));
/* Records a failed check in the running test; `fmt` describes it. */
void th_fail(const char *file, int line, const char *fmt, ...);
/* Prints the summary line; returns the process exit status (0 if all passed). */
int th_summary(void);

#define RUN(test) th_run(#test, test)

#define CHECK(cond)                                                    \
    do {                                                               \
        if (!(cond))                                                   \
            th_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);           \
    } while (0)

/* Compares two ua_code values and shows both by name when they differ. */
#define CHECK_CODE(actual, expected)                                   \
    do {                                                               \
        ua_code th_a_ = (actual), th_e_ = (expected);                  \
        if (th_a_ != th_e_)                                            \
            th_fail(__FILE__, __LINE__, "%s is %s (%d), expected %s (%d)", \
                    #actual, ua_code_name(th_a_), (int)th_a_,          \
                    ua_code_name(th_e_), (int)th_e_);                  \
    } while (0)

#define CHECK_INT(actual, expected)                                    \
    do {                                                               \
        long long th_a_ = (long long)(actual), th_e_ = (long long)(expected); \
        if (th_a_ != th_e_)                                            \
            th_fail(__FILE__, __LINE__, "%s is %lld, expected %lld",   \
                    #actual, th_a_, th_e_);                            \
    } while (0)

/* String equality; a NULL on either side only equals NULL. */
#define CHECK_STR(actual, expected)                                    \
    th_check_str(__FILE__, __LINE__, #actual, (actual), (expected))
void th_check_str(const char *file, int line, const char *expr,
                  const char *actual, const char *expected);

/* `haystack` is not NULL and contains `needle`. */
#define CHECK_CONTAINS(haystack, needle)                               \
    th_check_contains(__FILE__, __LINE__, #haystack, (haystack), (needle))
void th_check_contains(const char *file, int line, const char *expr,
                       const char *haystack, const char *needle);

#ifdef __cplusplus
}
#endif

#endif
