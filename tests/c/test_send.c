/*
 * test_send.c: every result code, reached through the real emulator: its own
 * behaviour where it has one (unknown token, missing field), fault injection
 * for the rest. Each test starts from a clean emulator (no rules, empty log).
 */
#include <stdio.h>
#include <string.h>

#include "emulator_control.h"
#include "harness.h"
#include "support.h"
#include "tests.h"

/* Checks what a finished send reports; `type` NULL means "no error type". */
static void check_result(const char *file, int line, ua_result *result, ua_code returned,
                         ua_code code, int status, const char *type, unsigned attempts)
{
    if (result == NULL) {
        th_fail(file, line, "no result was set");
        return;
    }
    if (returned != ua_result_code(result))
        th_fail(file, line, "returned %s but the result says %s",
                ua_code_name(returned), ua_code_name(ua_result_code(result)));
    if (ua_result_code(result) != code)
        th_fail(file, line, "code %s, expected %s (message: %s)",
                ua_code_name(ua_result_code(result)), ua_code_name(code),
                ua_result_message(result) ? ua_result_message(result) : "NULL");
    if ((int)ua_result_http_status(result) != status)
        th_fail(file, line, "http status %d, expected %d", (int)ua_result_http_status(result), status);
    th_check_str(file, line, "ua_result_error_type", ua_result_error_type(result), type);
    if (ua_result_attempts(result) != attempts)
        th_fail(file, line, "%u attempts, expected %u", (unsigned)ua_result_attempts(result), attempts);
    if (ua_result_message(result) == NULL || ua_result_message(result)[0] == '\0')
        th_fail(file, line, "empty message");
}
#define CHECK_RESULT(result, returned, code, status, type, attempts) \
    check_result(__FILE__, __LINE__, result, returned, code, status, type, attempts)

/*
 * Sends `json` as `kind` with `client`, checks the outcome as check_result
 * does and that the message holds each of the NULL-terminated `needles`,
 * then frees the result.
 */
static void send_json_and_check(const char *file, int line, ua_client *client, ua_event_kind kind,
                                const char *json, ua_code code, int status, const char *type,
                                unsigned attempts, const char *const *needles)
{
    ua_result *result = NULL;
    ua_code returned = ua_send_event(client, kind, json, &result);
    size_t i;

    check_result(file, line, result, returned, code, status, type, attempts);
    for (i = 0; needles[i] != NULL; i++)
        th_check_contains(file, line, "ua_result_message(result)", ua_result_message(result), needles[i]);
    ua_result_free(result);
}
/* The words after `attempts` are what the message must contain (one at least). */
#define SEND_JSON_AND_CHECK(client, kind, json, code, status, type, attempts, ...)          \
    send_json_and_check(__FILE__, __LINE__, client, kind, json, code, status, type, attempts, \
                        (const char *const[]){__VA_ARGS__, NULL})

/* Sends CUSTOM_EVENT with `client`, checks the outcome, frees the result. */
static void send_and_check(const char *file, int line, ua_client *client, ua_code code,
                           int status, const char *type, unsigned attempts)
{
    static const char *const no_needles[] = {NULL};

    send_json_and_check(file, line, client, UA_EVENT_CUSTOM, CUSTOM_EVENT, code, status, type, attempts,
                        no_needles);
}
#define SEND_AND_CHECK(client, code, status, type, attempts) \
    send_and_check(__FILE__, __LINE__, client, code, status, type, attempts)

static void accepted_event_of_each_kind(void)
{
    static const struct { ua_event_kind kind; const char *json; } events[] = {
        {UA_EVENT_SEARCH, SEARCH_EVENT},
        {UA_EVENT_CLICK, CLICK_EVENT},
        {UA_EVENT_CUSTOM, CUSTOM_EVENT},
        {UA_EVENT_VIEW, VIEW_EVENT},
    };
    ua_client *client = test_client(TEST_TOKEN, 0);
    size_t i;

    reset_emulator();
    for (i = 0; i < sizeof events / sizeof events[0]; i++) {
        ua_result *result = NULL;
        ua_code code = ua_send_event(client, events[i].kind, events[i].json, &result);
        CHECK_RESULT(result, code, UA_OK, 200, NULL, 1);
        CHECK(ua_result_visitor_id(result) != NULL && strlen(ua_result_visitor_id(result)) > 0);
        CHECK_CONTAINS(ua_result_body(result), ua_result_visitor_id(result));
        ua_result_free(result);
    }
    CHECK_INT(emu_count_events(test_emulator.endpoint), 4);
    ua_client_free(client);
}

static void documented_400_types_map_to_their_codes(void)
{
    static const struct { const char *type; ua_code code; } table[] = {
        {"InvalidHeadersException", UA_INVALID_HEADERS},
        {"InvalidJson", UA_INVALID_JSON},
        {"InvalidObject", UA_INVALID_OBJECT},
        {"InvalidToken", UA_INVALID_TOKEN},
        {"InvalidTokenHeader", UA_INVALID_TOKEN_HEADER},
        {"MissingParameter", UA_MISSING_PARAMETER},
        {"NoWorkgroupAssociatedWithToken", UA_NO_WORKGROUP_ASSOCIATED_WITH_TOKEN},
        {"UnauthorizedHub", UA_UNAUTHORIZED_HUB},
        {"UnauthorizedOrg", UA_UNAUTHORIZED_ORG},
    };
    /* Retries allowed, to show that a 400 is never retried. */
    ua_client *client = test_client(TEST_TOKEN, 3);
    size_t i;

    reset_emulator();
    for (i = 0; i < sizeof table / sizeof table[0]; i++) {
        char rule[256], message[64];
        ua_result *result = NULL;
        ua_code code;

        snprintf(message, sizeof message, "injected %s", table[i].type);
        snprintf(rule, sizeof rule,
                 "{\"action\":\"respond\",\"status\":400,\"type\":\"%s\",\"message\":\"%s\"}",
                 table[i].type, message);
        add_fault(rule);
        code = ua_send_event(client, UA_EVENT_CUSTOM, CUSTOM_EVENT, &result);
        CHECK_RESULT(result, code, table[i].code, 400, table[i].type, 1);
        CHECK_STR(ua_result_message(result), message);
        CHECK(ua_result_visitor_id(result) == NULL);
        CHECK_CONTAINS(ua_result_body(result), table[i].type);
        ua_result_free(result);
    }
    CHECK_INT(emu_count_events(test_emulator.endpoint), 0);
    ua_client_free(client);
}

static void emulator_refuses_unknown_token(void)
{
    ua_client *client = test_client("xx-not-a-known-key", 2);

    reset_emulator();
    SEND_AND_CHECK(client, UA_INVALID_TOKEN, 400, "InvalidToken", 1);
    ua_client_free(client);
}

static void emulator_refuses_token_without_push_right(void)
{
    ua_client *client = test_client(READONLY_TOKEN, 0);

    reset_emulator();
    SEND_AND_CHECK(client, UA_UNAUTHORIZED_ORG, 400, "UnauthorizedOrg", 1);
    ua_client_free(client);
}

static void org_parameter_serves_token_without_org(void)
{
    ua_options *options = test_options(OAUTH_TOKEN, 0);
    ua_client *client = NULL;

    reset_emulator();
    CHECK_CODE(ua_client_new(options, &client), UA_OK);
    SEND_AND_CHECK(client, UA_NO_WORKGROUP_ASSOCIATED_WITH_TOKEN, 400, "NoWorkgroupAssociatedWithToken", 1);
    ua_client_free(client);

    CHECK_CODE(ua_options_set_org(options, TEST_ORG), UA_OK);
    CHECK_CODE(ua_client_new(options, &client), UA_OK);
    SEND_AND_CHECK(client, UA_OK, 200, NULL, 1);
    ua_client_free(client);
    ua_options_free(options);
    CHECK_INT(emu_count_events(test_emulator.endpoint), 1);
}

static void missing_field_found_before_sending(void)
{
    ua_client *client = test_client(TEST_TOKEN, 0);

    reset_emulator();
    SEND_JSON_AND_CHECK(client, UA_EVENT_CUSTOM, "{\"eventValue\":\"v\",\"language\":\"en\"}",
                        UA_MISSING_PARAMETER, 0, "MissingParameter", 0, "eventType");
    /* A null value counts as absent. */
    SEND_JSON_AND_CHECK(client, UA_EVENT_VIEW, "{\"location\":null}",
                        UA_MISSING_PARAMETER, 0, "MissingParameter", 0, "location");
    CHECK_INT(emu_count_events(test_emulator.endpoint), 0);
    ua_client_free(client);
}

static void missing_field_reported_by_the_service(void)
{
    ua_options *options = test_options(TEST_TOKEN, 0);
    ua_client *client = NULL;

    reset_emulator();
    CHECK_CODE(ua_options_set_local_checks(options, false), UA_OK);
    CHECK_CODE(ua_client_new(options, &client), UA_OK);
    SEND_JSON_AND_CHECK(client, UA_EVENT_CUSTOM, "{\"eventValue\":\"v\",\"language\":\"en\"}",
                        UA_MISSING_PARAMETER, 400, "MissingParameter", 1, "eventType");
    ua_client_free(client);
    ua_options_free(options);
}

static void invalid_json_and_wrong_type_found_before_sending(void)
{
    ua_client *client = test_client(TEST_TOKEN, 0);

    reset_emulator();
    SEND_JSON_AND_CHECK(client, UA_EVENT_CUSTOM, "{\"eventType\":\"a\",\n \"eventValue\" \"b\"}",
                        UA_INVALID_JSON, 0, "InvalidJson", 0, "line 2", "column");
    SEND_JSON_AND_CHECK(client, UA_EVENT_CUSTOM,
                        "{\"eventType\":\"a\",\"eventValue\":\"b\",\"language\":\"en\",\"outcome\":\"good\"}",
                        UA_INVALID_OBJECT, 0, "InvalidObject", 0, "outcome");
    CHECK_INT(emu_count_events(test_emulator.endpoint), 0);
    ua_client_free(client);
}

static void status_decides_when_type_is_missing_or_shared(void)
{
    static const struct { const char *rule; ua_code code; int status; const char *type; } table[] = {
        {"{\"action\":\"respond\",\"status\":404,\"type\":\"InvalidUri\",\"message\":\"no\"}",
         UA_INVALID_URI, 404, "InvalidUri"},
        {"{\"action\":\"respond\",\"status\":404,\"body\":\"none\"}", UA_INVALID_URI, 404, NULL},
        {"{\"action\":\"respond\",\"status\":406,\"type\":\"InvalidRequest\",\"message\":\"accept\"}",
         UA_NOT_ACCEPTABLE, 406, "InvalidRequest"},
        {"{\"action\":\"respond\",\"status\":406,\"body\":\"html\"}", UA_NOT_ACCEPTABLE, 406, NULL},
        {"{\"action\":\"respond\",\"status\":415,\"type\":\"InvalidRequest\",\"message\":\"ctype\"}",
         UA_UNSUPPORTED_MEDIA_TYPE, 415, "InvalidRequest"},
        {"{\"action\":\"respond\",\"status\":415,\"body\":\"text\"}", UA_UNSUPPORTED_MEDIA_TYPE, 415, NULL},
        /* InvalidRequest with any other status is not a documented pair. */
        {"{\"action\":\"respond\",\"status\":400,\"type\":\"InvalidRequest\",\"message\":\"odd\"}",
         UA_UNEXPECTED_RESPONSE, 400, "InvalidRequest"},
        /* Any other documented type decides, whatever the status. */
        {"{\"action\":\"respond\",\"status\":404,\"type\":\"InvalidJson\",\"message\":\"odd\"}",
         UA_INVALID_JSON, 404, "InvalidJson"},
        {"{\"action\":\"respond\",\"status\":400,\"type\":\"BrandNewType\",\"message\":\"new\"}",
         UA_UNEXPECTED_RESPONSE, 400, "BrandNewType"},
        {"{\"action\":\"respond\",\"status\":302,\"body\":\"none\"}", UA_UNEXPECTED_RESPONSE, 302, NULL},
        {"{\"action\":\"respond\",\"status\":418,\"body\":\"text\"}", UA_UNEXPECTED_RESPONSE, 418, NULL},
        {"{\"action\":\"respond\",\"status\":401,\"body\":\"html\"}", UA_UNEXPECTED_RESPONSE, 401, NULL},
    };
    ua_client *client = test_client(TEST_TOKEN, 2);
    size_t i;

    reset_emulator();
    for (i = 0; i < sizeof table / sizeof table[0]; i++) {
        ua_result *result = NULL;
        ua_code code;
        add_fault(table[i].rule);
        code = ua_send_event(client, UA_EVENT_CUSTOM, CUSTOM_EVENT, &result);
        CHECK_RESULT(result, code, table[i].code, table[i].status, table[i].type, 1);
        if (ua_result_code(result) != table[i].code)
            printf("  (rule was %s)\n", table[i].rule);
        ua_result_free(result);
    }
    CHECK_INT(emu_count_events(test_emulator.endpoint), 0);
    ua_client_free(client);
}

static void emulator_answers_invalid_uri_for_a_wrong_base_path(void)
{
    char endpoint[300];
    ua_options *options = test_options(TEST_TOKEN, 2);
    ua_client *client = NULL;
    size_t len = strlen(test_emulator.endpoint) - strlen("/rest/ua");

    /* "http://127.0.0.1:PORT/typo/rest/ua": a base path the service does not have. */
    snprintf(endpoint, sizeof endpoint, "%.*s/typo/rest/ua", (int)len, test_emulator.endpoint);
    CHECK_CODE(ua_options_set_endpoint(options, endpoint), UA_OK);
    CHECK_CODE(ua_client_new(options, &client), UA_OK);
    reset_emulator();
    SEND_AND_CHECK(client, UA_INVALID_URI, 404, "InvalidUri", 1);
    ua_client_free(client);
    ua_options_free(options);
}

static void too_many_requests_after_retries(void)
{
    ua_client *client = test_client(TEST_TOKEN, 2);

    reset_emulator();
    add_fault("{\"count\":0,\"action\":\"respond\",\"status\":429,"
              "\"type\":\"TooManyRequestsException\",\"message\":\"slow down\"}");
    SEND_AND_CHECK(client, UA_TOO_MANY_REQUESTS, 429, "TooManyRequestsException", 3);
    reset_emulator();
    ua_client_free(client);
}

static void server_error_after_retries(void)
{
    ua_client *client = test_client(TEST_TOKEN, 2);

    reset_emulator();
    add_fault("{\"count\":0,\"action\":\"respond\",\"status\":503,\"body\":\"html\"}");
    SEND_AND_CHECK(client, UA_SERVER_ERROR, 503, NULL, 3);
    reset_emulator();
    /* For a 5xx the status decides, even with a documented 400 type. */
    add_fault("{\"count\":0,\"action\":\"respond\",\"status\":500,\"type\":\"InvalidJson\",\"message\":\"x\"}");
    SEND_AND_CHECK(client, UA_SERVER_ERROR, 500, "InvalidJson", 3);
    reset_emulator();
    ua_client_free(client);
}

static void server_error_recovers_within_retries(void)
{
    ua_client *client = test_client(TEST_TOKEN, 2);
    ua_result *result = NULL;
    ua_code code;

    reset_emulator();
    add_fault("{\"count\":2,\"action\":\"respond\",\"status\":503}");
    code = ua_send_event(client, UA_EVENT_CUSTOM, CUSTOM_EVENT, &result);
    CHECK_RESULT(result, code, UA_OK, 200, NULL, 3);
    CHECK(ua_result_visitor_id(result) != NULL);
    ua_result_free(result);
    CHECK_INT(emu_count_events(test_emulator.endpoint), 1);
    ua_client_free(client);
}

static void retry_after_is_honoured_or_refused_by_the_deadline(void)
{
    ua_options *options = test_options(TEST_TOKEN, 3);
    ua_client *client = NULL;
    ua_result *result = NULL;
    ua_code code;

    CHECK_CODE(ua_options_set_deadline_ms(options, 5000), UA_OK);
    CHECK_CODE(ua_client_new(options, &client), UA_OK);
    reset_emulator();
    /* An unreadable Retry-After falls back to the backoff; the retry succeeds. */
    add_fault("{\"action\":\"respond\",\"status\":429,\"retry_after\":\"soon\"}");
    SEND_AND_CHECK(client, UA_OK, 200, NULL, 2);
    add_fault("{\"action\":\"respond\",\"status\":503,\"retry_after\":\"0\"}");
    SEND_AND_CHECK(client, UA_OK, 200, NULL, 2);
    /* A wait of an hour would pass the 5 s deadline: not taken, the 429 stands. */
    add_fault("{\"action\":\"respond\",\"status\":429,\"retry_after\":\"3600\","
              "\"type\":\"TooManyRequestsException\",\"message\":\"later\"}");
    code = ua_send_event(client, UA_EVENT_CUSTOM, CUSTOM_EVENT, &result);
    CHECK_RESULT(result, code, UA_TOO_MANY_REQUESTS, 429, "TooManyRequestsException", 1);
    ua_result_free(result);
    CHECK_INT(emu_count_events(test_emulator.endpoint), 2);
    reset_emulator();
    ua_client_free(client);
    ua_options_free(options);
}

static void answers_cut_short_are_retried(void)
{
    ua_client *no_retry = test_client(TEST_TOKEN, 0);
    ua_client *one_retry = test_client(TEST_TOKEN, 1);

    /* The server recorded the event but the answer was lost: a failed send... */
    reset_emulator();
    add_fault("{\"action\":\"truncate\"}");
    SEND_AND_CHECK(no_retry, UA_CONNECTION_FAILED, 0, NULL, 1);
    CHECK_INT(emu_count_events(test_emulator.endpoint), 1);
    /* ...and a retry then succeeds, recording it twice (the documented price). */
    reset_emulator();
    add_fault("{\"action\":\"record_then_close\"}");
    SEND_AND_CHECK(one_retry, UA_OK, 200, NULL, 2);
    CHECK_INT(emu_count_events(test_emulator.endpoint), 2);
    ua_client_free(no_retry);
    ua_client_free(one_retry);
}

static void invalid_argument_for_bad_endpoints(void)
{
    static const char *const refused[] = {
        "", "not a url", "ftp://127.0.0.1/rest/ua",
        "http://analytics.cloud.coveo.com/rest/ua", /* clear text off loopback */
        "https://analytics.cloud.coveo.com/rest/ua?org=x",
        "https://user:secret@analytics.cloud.coveo.com/rest/ua",
    };
    static const char *const accepted[] = {
        "https://analytics.cloud.coveo.com/rest/ua",
        "https://analytics.cloud.coveo.com",
        "https://analytics.cloud.coveo.com/",
        "http://localhost:8080/rest/ua",
        "http://127.0.0.2:8080",
        "http://[::1]:8080/rest/ua",
    };
    ua_options *options = ua_options_new();
    size_t i;

    for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        ua_code code = ua_options_set_endpoint(options, refused[i]);
        if (code != UA_INVALID_ARGUMENT)
            th_fail(__FILE__, __LINE__, "endpoint \"%s\" gave %s", refused[i], ua_code_name(code));
    }
    for (i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        ua_code code = ua_options_set_endpoint(options, accepted[i]);
        if (code != UA_OK)
            th_fail(__FILE__, __LINE__, "endpoint \"%s\" gave %s", accepted[i], ua_code_name(code));
    }
    ua_options_free(options);
}

static void connection_failed_on_closed_port(void)
{
    char endpoint[64];
    ua_options *options = test_options(TEST_TOKEN, 1);
    ua_client *client = NULL;

    closed_port_endpoint(endpoint, sizeof endpoint);
    CHECK_CODE(ua_options_set_endpoint(options, endpoint), UA_OK);
    CHECK_CODE(ua_client_new(options, &client), UA_OK);
    /* The refused attempt and its one retry both count. */
    SEND_AND_CHECK(client, UA_CONNECTION_FAILED, 0, NULL, 2);
    ua_client_free(client);
    ua_options_free(options);
}

static void connection_failed_on_broken_answers(void)
{
    static const char *const rules[] = {
        "{\"count\":0,\"action\":\"garbage\"}",
        "{\"count\":0,\"action\":\"close\"}",
        "{\"count\":0,\"action\":\"reset\"}",
    };
    ua_client *client = test_client(TEST_TOKEN, 1);
    size_t i;

    for (i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        reset_emulator();
        add_fault(rules[i]);
        SEND_AND_CHECK(client, UA_CONNECTION_FAILED, 0, NULL, 2);
    }
    reset_emulator();
    ua_client_free(client);
}

/*
 * A client with `retries` retries and `ms` given to `set` (one attempt's
 * timeout, or the whole call's deadline) meets the stall of `stall_rule`:
 * its send ends with UA_TIMEOUT after one attempt.
 */
static void stalled_send_times_out(ua_code (*set)(ua_options *, uint32_t), uint32_t ms, uint32_t retries,
                                   const char *stall_rule)
{
    ua_options *options = test_options(TEST_TOKEN, retries);
    ua_client *client = NULL;

    reset_emulator();
    CHECK_CODE(set(options, ms), UA_OK);
    CHECK_CODE(ua_client_new(options, &client), UA_OK);
    add_fault(stall_rule);
    SEND_AND_CHECK(client, UA_TIMEOUT, 0, NULL, 1);
    reset_emulator();
    ua_client_free(client);
    ua_options_free(options);
}

static void timeout_on_stalled_attempt(void)
{
    stalled_send_times_out(ua_options_set_timeout_ms, 300, 0, "{\"action\":\"stall\",\"delay_ms\":20000}");
}

static void timeout_on_whole_call_deadline(void)
{
    /* Every attempt stalls: the retries cannot help, the deadline ends the call. */
    stalled_send_times_out(ua_options_set_deadline_ms, 400, 5,
                           "{\"count\":0,\"action\":\"stall\",\"delay_ms\":20000}");
}

static void token_never_appears_in_messages(void)
{
    ua_client *client = test_client(TEST_TOKEN, 0);
    ua_result *result = NULL;

    reset_emulator();
    add_fault("{\"action\":\"respond\",\"status\":400,\"type\":\"InvalidToken\","
              "\"message\":\"the token " TEST_TOKEN " is not valid\"}");
    CHECK_CODE(ua_send_event(client, UA_EVENT_CUSTOM, CUSTOM_EVENT, &result), UA_INVALID_TOKEN);
    CHECK(ua_result_message(result) != NULL && strstr(ua_result_message(result), TEST_TOKEN) == NULL);
    CHECK_CONTAINS(ua_result_message(result), "is not valid");
    ua_result_free(result);
    ua_client_free(client);
}

void run_send_tests(void)
{
    RUN(accepted_event_of_each_kind);
    RUN(documented_400_types_map_to_their_codes);
    RUN(emulator_refuses_unknown_token);
    RUN(emulator_refuses_token_without_push_right);
    RUN(org_parameter_serves_token_without_org);
    RUN(missing_field_found_before_sending);
    RUN(missing_field_reported_by_the_service);
    RUN(invalid_json_and_wrong_type_found_before_sending);
    RUN(status_decides_when_type_is_missing_or_shared);
    RUN(emulator_answers_invalid_uri_for_a_wrong_base_path);
    RUN(too_many_requests_after_retries);
    RUN(server_error_after_retries);
    RUN(server_error_recovers_within_retries);
    RUN(retry_after_is_honoured_or_refused_by_the_deadline);
    RUN(answers_cut_short_are_retried);
    RUN(invalid_argument_for_bad_endpoints);
    RUN(connection_failed_on_closed_port);
    RUN(connection_failed_on_broken_answers);
    RUN(timeout_on_stalled_attempt);
    RUN(timeout_on_whole_call_deadline);
    RUN(token_never_appears_in_messages);
}
