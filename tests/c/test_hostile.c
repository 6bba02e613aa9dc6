/*
 * test_hostile.c: input meant to break things. Every case must end quickly
 * with a clear code and a message; none may crash, hang or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator_control.h"
#include "harness.h"
#include "support.h"
#include "tests.h"

/* A pointer value no allocator returns: shows whether an output was written. */
static int untouched_marker;
#define UNTOUCHED ((void *)&untouched_marker)


/* Sends `json` as `kind`; checks the code, that nothing was sent, and a message. */
static void check_refused(const char *file, int line, ua_client *client, ua_event_kind kind,
                          const char *json, ua_code expected)
{
    ua_result *result = NULL;
    ua_code code = ua_send_event(client, kind, json, &result);

    if (code != expected)
        th_fail(file, line, "got %s, expected %s (message: %s)", ua_code_name(code),
                ua_code_name(expected), result && ua_result_message(result) ? ua_result_message(result) : "NULL");
    if (result == NULL) {
        th_fail(file, line, "no result was set");
        return;
    }
    if (ua_result_attempts(result) != 0)
        th_fail(file, line, "%u attempts; the input should be refused before sending",
                (unsigned)ua_result_attempts(result));
    if (ua_result_message(result) == NULL || ua_result_message(result)[0] == '\0')
        th_fail(file, line, "no message explains the refusal");
    ua_result_free(result);
}
#define CHECK_REFUSED(client, kind, json, expected) \
    check_refused(__FILE__, __LINE__, client, kind, json, expected)

static void unknown_event_kinds(void)
{
    ua_client *client = test_client(TEST_TOKEN, 0);

    reset_emulator();
    CHECK_REFUSED(client, 0, CUSTOM_EVENT, UA_INVALID_ARGUMENT);
    CHECK_REFUSED(client, UA_EVENT_COLLECT + 1, CUSTOM_EVENT, UA_INVALID_ARGUMENT);
    CHECK_REFUSED(client, -1, CUSTOM_EVENT, UA_INVALID_ARGUMENT);
    CHECK_REFUSED(client, INT32_MAX, CUSTOM_EVENT, UA_INVALID_ARGUMENT);
    CHECK_REFUSED(client, INT32_MIN, CUSTOM_EVENT, UA_INVALID_ARGUMENT);
    CHECK_INT(emu_count_events(test_emulator.endpoint), 0);
    ua_client_free(client);
}

static void invalid_utf8(void)
{
    ua_client *client = test_client(TEST_TOKEN, 0);
    ua_options *options = ua_options_new();

    /* A lone continuation byte and a truncated 3-byte sequence. */
    CHECK_REFUSED(client, UA_EVENT_CUSTOM,
                  "{\"eventType\":\"\x80\",\"eventValue\":\"v\",\"language\":\"en\"}", UA_INVALID_ARGUMENT);
    CHECK_REFUSED(client, UA_EVENT_CUSTOM,
                  "{\"eventType\":\"a\",\"eventValue\":\"\xe2\x82\",\"language\":\"en\"}", UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_token(options, "xx-\xff\xfe"), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_org(options, "org-\xc3"), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_endpoint(options, "http://127.0.0.1:1/rest/\xff"), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_user_agent(options, "app/\x80"), UA_INVALID_ARGUMENT);
    ua_options_free(options);
    ua_client_free(client);
}

static void token_with_control_characters(void)
{
    ua_options *options = ua_options_new();

    /* A CR/LF in a header value would let a caller inject headers. */
    CHECK_CODE(ua_options_set_token(options, "xx-key\r\nX-Evil: 1"), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_token(options, ""), UA_INVALID_ARGUMENT);
    ua_options_free(options);
}

static void json_that_is_not_an_object(void)
{
    static const char *const bodies[] = {"[]", "42", "\"text\"", "null", "true", "[" CUSTOM_EVENT "]"};
    ua_client *client = test_client(TEST_TOKEN, 0);
    size_t i;

    reset_emulator();
    for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        CHECK_REFUSED(client, UA_EVENT_CUSTOM, bodies[i], UA_INVALID_OBJECT);
    CHECK_REFUSED(client, UA_EVENT_CUSTOM, "", UA_INVALID_JSON);
    CHECK_REFUSED(client, UA_EVENT_CUSTOM, "   ", UA_INVALID_JSON);
    CHECK_REFUSED(client, UA_EVENT_CUSTOM, CUSTOM_EVENT " trailing", UA_INVALID_JSON);
    CHECK_INT(emu_count_events(test_emulator.endpoint), 0);
    ua_client_free(client);
}

/* The emulator runs with --max-body 16 MiB (test_main.c), so this must arrive whole. */
static void ten_megabyte_body(void)
{
    const size_t filler = 10u * 1024u * 1024u;
    const char *head = "{\"eventType\":\"big\",\"eventValue\":\"v\",\"language\":\"en\",\"customData\":{\"blob\":\"";
    const char *tail = "\"}}";
    char *json = malloc(strlen(head) + filler + strlen(tail) + 1);
    ua_client *client = test_client(TEST_TOKEN, 0);
    ua_result *result = NULL;
    ua_code code;

    CHECK(json != NULL);
    if (json != NULL) {
        strcpy(json, head);
        memset(json + strlen(head), 'a', filler);
        strcpy(json + strlen(head) + filler, tail);
        reset_emulator();
        code = ua_send_event(client, UA_EVENT_CUSTOM, json, &result);
        CHECK_CODE(code, UA_OK);
        CHECK_INT(ua_result_attempts(result), 1);
        CHECK_INT(emu_count_events(test_emulator.endpoint), 1);
        ua_result_free(result);
        reset_emulator(); /* drop the 10 MB event from the emulator's memory */
    }
    ua_client_free(client);
    free(json);
}

static void json_nested_100000_deep(void)
{
    const size_t depth = 100000;
    const char *head = "{\"eventType\":\"deep\",\"eventValue\":\"v\",\"language\":\"en\",\"customData\":";
    const char *open_object = "{\"a\":";
    size_t head_len = strlen(head), open_len = strlen(open_object), i;
    char *arrays = malloc(2 * depth + 1);
    char *event = malloc(head_len + open_len * depth + 1 + depth + 2);
    ua_client *client = test_client(TEST_TOKEN, 0);

    CHECK(arrays != NULL && event != NULL);
    if (arrays != NULL && event != NULL) {
        /* [[[[...]]]]: deeper than any parser should follow; JSON syntax is judged first. */
        memset(arrays, '[', depth);
        memset(arrays + depth, ']', depth);
        arrays[2 * depth] = '\0';
        /* A valid custom event whose customData nests {"a":...} 100,000 deep. */
        memcpy(event, head, head_len);
        for (i = 0; i < depth; i++)
            memcpy(event + head_len + i * open_len, open_object, open_len);
        event[head_len + depth * open_len] = '1';
        memset(event + head_len + depth * open_len + 1, '}', depth);
        strcpy(event + head_len + depth * open_len + 1 + depth, "}");
        /* A parser that recursed without a limit would overflow the stack here. */
        CHECK_REFUSED(client, UA_EVENT_CUSTOM, arrays, UA_INVALID_JSON);
        CHECK_REFUSED(client, UA_EVENT_CUSTOM, event, UA_INVALID_JSON);
    }
    ua_client_free(client);
    free(arrays);
    free(event);
}

static void absurd_options(void)
{
    ua_options *options = test_options(TEST_TOKEN, 0);
    ua_client *client = UNTOUCHED;

    /* Each refusal is documented in coveo_ua.h and leaves the options as they were. */
    CHECK_CODE(ua_options_set_timeout_ms(options, 0), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_timeout_ms(options, 4294967295u), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_deadline_ms(options, 0), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_deadline_ms(options, 4294967295u), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_max_retries(options, 4294967295u), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_max_retries(options, 101), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_retry_backoff_ms(options, 5000, 10), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_retry_backoff_ms(options, 0, 4294967295u), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_proxy(options, "not a proxy url"), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_user_agent(options, "app\r\nX-Evil: 1"), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_org(options, "two words"), UA_INVALID_ARGUMENT);

    /* A CA file that cannot be read is found when the client is built. */
    CHECK_CODE(ua_options_set_ca_file(options, "/nonexistent/ca.pem"), UA_OK);
    CHECK_CODE(ua_client_new(options, &client), UA_INVALID_ARGUMENT);
    CHECK(client == UNTOUCHED);
    CHECK_CODE(ua_options_set_ca_file(options, NULL), UA_OK);

    /* Whatever was refused above, the options still build a working client. */
    client = NULL;
    CHECK_CODE(ua_client_new(options, &client), UA_OK);
    reset_emulator();
    CHECK_CODE(ua_send_event(client, UA_EVENT_CUSTOM, CUSTOM_EVENT, NULL), UA_OK);
    CHECK_INT(emu_count_events(test_emulator.endpoint), 1);
    ua_client_free(client);
    ua_options_free(options);
}

static void most_retries_end_at_the_deadline(void)
{
    ua_options *options = test_options(TEST_TOKEN, 100);
    ua_client *client = NULL;
    ua_result *result = NULL;
    ua_code code;

    /* 100 retries with up to 2 s waits would take minutes; the deadline ends it. */
    CHECK_CODE(ua_options_set_retry_backoff_ms(options, 1000, 2000), UA_OK);
    CHECK_CODE(ua_options_set_deadline_ms(options, 1500), UA_OK);
    CHECK_CODE(ua_client_new(options, &client), UA_OK);
    reset_emulator();
    add_fault("{\"count\":0,\"action\":\"respond\",\"status\":503}");
    code = ua_send_event(client, UA_EVENT_CUSTOM, CUSTOM_EVENT, &result);
    /* The last 503 (a wait would pass the deadline), or the deadline mid-attempt. */
    CHECK(code == UA_SERVER_ERROR || code == UA_TIMEOUT);
    CHECK(ua_result_attempts(result) >= 1 && ua_result_attempts(result) < 101);
    reset_emulator();
    ua_result_free(result);
    ua_client_free(client);
    ua_options_free(options);
}

void run_hostile_tests(void)
{
    RUN(unknown_event_kinds);
    RUN(invalid_utf8);
    RUN(token_with_control_characters);
    RUN(json_that_is_not_an_object);
    RUN(ten_megabyte_body);
    RUN(json_nested_100000_deep);
    RUN(absurd_options);
    RUN(most_retries_end_at_the_deadline);
}
