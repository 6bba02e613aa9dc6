/*
 * test_codes.c: the static tables: ua_code_name, ua_error_describe and
 * ua_version, for every known code and for numbers the library does not know.
 */
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "tests.h"

#ifndef COVEO_UA_EXPECTED_VERSION
#error "build with -DCOVEO_UA_EXPECTED_VERSION=\"x.y.z\" (the version in Cargo.toml)"
#endif

struct known_code {
    ua_code value;
    const char *name;
};

/* The pinned table of c-abi.md: constant, number and name together. */
static const struct known_code known_codes[] = {
    {UA_OK, "UA_OK"},
    {UA_INVALID_HEADERS, "UA_INVALID_HEADERS"},
    {UA_INVALID_JSON, "UA_INVALID_JSON"},
    {UA_INVALID_OBJECT, "UA_INVALID_OBJECT"},
    {UA_INVALID_TOKEN, "UA_INVALID_TOKEN"},
    {UA_INVALID_TOKEN_HEADER, "UA_INVALID_TOKEN_HEADER"},
    {UA_MISSING_PARAMETER, "UA_MISSING_PARAMETER"},
    {UA_NO_WORKGROUP_ASSOCIATED_WITH_TOKEN, "UA_NO_WORKGROUP_ASSOCIATED_WITH_TOKEN"},
    {UA_UNAUTHORIZED_HUB, "UA_UNAUTHORIZED_HUB"},
    {UA_UNAUTHORIZED_ORG, "UA_UNAUTHORIZED_ORG"},
    {UA_INVALID_URI, "UA_INVALID_URI"},
    {UA_NOT_ACCEPTABLE, "UA_NOT_ACCEPTABLE"},
    {UA_UNSUPPORTED_MEDIA_TYPE, "UA_UNSUPPORTED_MEDIA_TYPE"},
    {UA_TOO_MANY_REQUESTS, "UA_TOO_MANY_REQUESTS"},
    {UA_SERVER_ERROR, "UA_SERVER_ERROR"},
    {UA_UNEXPECTED_RESPONSE, "UA_UNEXPECTED_RESPONSE"},
    {UA_INVALID_ARGUMENT, "UA_INVALID_ARGUMENT"},
    {UA_CONNECTION_FAILED, "UA_CONNECTION_FAILED"},
    {UA_TIMEOUT, "UA_TIMEOUT"},
    {UA_INTERNAL, "UA_INTERNAL"},
    {UA_QUEUE_FULL, "UA_QUEUE_FULL"},
    {UA_QUEUE_CLOSED, "UA_QUEUE_CLOSED"},
    {UA_SPOOL_FAILED, "UA_SPOOL_FAILED"},
};
#define KNOWN_COUNT (sizeof known_codes / sizeof known_codes[0])

static const ua_code unknown_codes[] = {-1, 16, 99, 107, INT32_MAX, INT32_MIN};
#define UNKNOWN_COUNT (sizeof unknown_codes / sizeof unknown_codes[0])

static void constants_have_pinned_numbers(void)
{
    static const int expected[KNOWN_COUNT] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                              11, 12, 13, 14, 15, 100, 101, 102, 103,
                                              104, 105, 106};
    size_t i;

    for (i = 0; i < KNOWN_COUNT; i++)
        CHECK_INT(known_codes[i].value, expected[i]);
    CHECK_INT(UA_EVENT_SEARCH, 1);
    CHECK_INT(UA_EVENT_CLICK, 2);
    CHECK_INT(UA_EVENT_CUSTOM, 3);
    CHECK_INT(UA_EVENT_VIEW, 4);
    CHECK_INT(UA_EVENT_SEARCH_BATCH, 5);
    CHECK_INT(sizeof(ua_code), 4);
    CHECK_INT(sizeof(ua_event_kind), 4);
}

static void code_name_is_the_constant_name(void)
{
    size_t i;

    for (i = 0; i < KNOWN_COUNT; i++)
        CHECK_STR(ua_code_name(known_codes[i].value), known_codes[i].name);
}

static void code_name_of_unknown_numbers(void)
{
    size_t i;

    for (i = 0; i < UNKNOWN_COUNT; i++)
        CHECK_STR(ua_code_name(unknown_codes[i]), "UA_UNKNOWN_CODE");
}

static void describe_known_codes_distinct_and_non_empty(void)
{
    size_t i, j;

    for (i = 0; i < KNOWN_COUNT; i++) {
        const char *text = ua_error_describe(known_codes[i].value);
        CHECK(text != NULL);
        if (text == NULL)
            continue;
        CHECK(strlen(text) > 20); /* what happened, the cause, what to do */
        for (j = 0; j < i; j++) {
            const char *other = ua_error_describe(known_codes[j].value);
            if (other != NULL && strcmp(text, other) == 0)
                th_fail(__FILE__, __LINE__, "%s and %s share the description \"%s\"",
                        known_codes[i].name, known_codes[j].name, text);
        }
    }
}

static void describe_unknown_codes(void)
{
    size_t i, j;

    for (i = 0; i < UNKNOWN_COUNT; i++) {
        const char *text = ua_error_describe(unknown_codes[i]);
        CHECK(text != NULL);
        if (text == NULL)
            continue;
        CHECK(strlen(text) > 0);
        /* An unknown number must not be passed off as a known code. */
        for (j = 0; j < KNOWN_COUNT; j++)
            CHECK(strcmp(text, ua_error_describe(known_codes[j].value)) != 0);
    }
}

static void describe_and_name_are_static(void)
{
    /* Same pointer on every call: nothing to free, nothing that expires. */
    CHECK(ua_error_describe(UA_TIMEOUT) == ua_error_describe(UA_TIMEOUT));
    CHECK(ua_code_name(UA_TIMEOUT) == ua_code_name(UA_TIMEOUT));
    CHECK(ua_version() == ua_version());
}

static void version_matches_cargo_toml(void)
{
    CHECK_STR(ua_version(), COVEO_UA_EXPECTED_VERSION);
    CHECK_STR(UA_VERSION_STRING, COVEO_UA_EXPECTED_VERSION);
    CHECK_STR(ua_version(), UA_VERSION_STRING);
}

void run_code_tests(void)
{
    RUN(constants_have_pinned_numbers);
    RUN(code_name_is_the_constant_name);
    RUN(code_name_of_unknown_numbers);
    RUN(describe_known_codes_distinct_and_non_empty);
    RUN(describe_unknown_codes);
    RUN(describe_and_name_are_static);
    RUN(version_matches_cargo_toml);
}
