/*
 * test_null.c: every exported function with NULL in each pointer argument,
 * the *_free(NULL) no-ops, and who owns what (result strings live until
 * ua_result_free; ua_client_new copies the options).
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "support.h"
#include "tests.h"

/* A pointer value no allocator returns: shows whether an output was written. */
#define UNTOUCHED ((void *)&untouched_marker)
static int untouched_marker;


static void free_functions_accept_null(void)
{
    /* Reaching the next line is the test: none of these may crash. */
    ua_options_free(NULL);
    ua_client_free(NULL);
    ua_result_free(NULL);
    CHECK(1);
}

static void option_setters_refuse_null_options(void)
{
    CHECK_CODE(ua_options_set_token(NULL, TEST_TOKEN), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_endpoint(NULL, "http://127.0.0.1:1/rest/ua"), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_org(NULL, TEST_ORG), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_timeout_ms(NULL, 1000), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_deadline_ms(NULL, 1000), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_max_retries(NULL, 1), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_retry_backoff_ms(NULL, 1, 2), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_user_agent(NULL, "my-app/1.0"), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_local_checks(NULL, true), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_ca_file(NULL, "/etc/ssl/certs/ca-certificates.crt"), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_proxy(NULL, "http://127.0.0.1:3128"), UA_INVALID_ARGUMENT);
}

static void option_setters_with_null_values(void)
{
    ua_options *options = ua_options_new();
    ua_client *client = UNTOUCHED;

    CHECK(options != NULL);
    /* The token is needed... */
    CHECK_CODE(ua_options_set_token(options, NULL), UA_INVALID_ARGUMENT);
    /* ...the rest are optional: NULL restores the default (as documented). */
    CHECK_CODE(ua_options_set_endpoint(options, NULL), UA_OK);
    CHECK_CODE(ua_options_set_org(options, NULL), UA_OK);
    CHECK_CODE(ua_options_set_user_agent(options, NULL), UA_OK);
    CHECK_CODE(ua_options_set_ca_file(options, NULL), UA_OK);
    CHECK_CODE(ua_options_set_proxy(options, NULL), UA_OK);
    /* The refused NULL token left no token behind. */
    CHECK_CODE(ua_client_new(options, &client), UA_INVALID_ARGUMENT);
    CHECK(client == UNTOUCHED);
    ua_options_free(options);
}

static void client_new_null_arguments(void)
{
    ua_options *options = test_options(TEST_TOKEN, 0);
    ua_client *client = UNTOUCHED;

    CHECK_CODE(ua_client_new(NULL, &client), UA_INVALID_ARGUMENT);
    CHECK(client == UNTOUCHED); /* outputs are written only on success */
    CHECK_CODE(ua_client_new(options, NULL), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_client_new(NULL, NULL), UA_INVALID_ARGUMENT);
    ua_options_free(options);
}

static void client_new_refuses_options_without_token(void)
{
    ua_options *options = test_options(NULL, 0);
    ua_client *client = UNTOUCHED;

    CHECK_CODE(ua_client_new(options, &client), UA_INVALID_ARGUMENT);
    CHECK(client == UNTOUCHED);
    ua_options_free(options);
}

/* A result that says "stopped before sending, because of a bad argument". */
static void check_argument_result(ua_result *result)
{
    CHECK(result != NULL);
    CHECK_CODE(ua_result_code(result), UA_INVALID_ARGUMENT);
    CHECK_INT(ua_result_http_status(result), 0);
    CHECK_INT(ua_result_attempts(result), 0);
    CHECK(ua_result_message(result) != NULL && strlen(ua_result_message(result)) > 0);
    CHECK(ua_result_visitor_id(result) == NULL);
    CHECK(ua_result_body(result) == NULL);
    ua_result_free(result);
}

static void send_event_null_arguments(void)
{
    ua_client *client = test_client(TEST_TOKEN, 0);
    ua_result *result = UNTOUCHED;

    /* A NULL client still yields a result to free. */
    CHECK_CODE(ua_send_event(NULL, UA_EVENT_CUSTOM, CUSTOM_EVENT, &result), UA_INVALID_ARGUMENT);
    CHECK(result != UNTOUCHED);
    check_argument_result(result);

    result = UNTOUCHED;
    CHECK_CODE(ua_send_event(client, UA_EVENT_CUSTOM, NULL, &result), UA_INVALID_ARGUMENT);
    CHECK(result != UNTOUCHED);
    check_argument_result(result);

    CHECK_CODE(ua_send_event(NULL, UA_EVENT_CUSTOM, NULL, NULL), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_send_event(client, UA_EVENT_CUSTOM, NULL, NULL), UA_INVALID_ARGUMENT);
    ua_client_free(client);
}

static void send_event_without_result_pointer(void)
{
    ua_client *client = test_client(TEST_TOKEN, 0);
    ua_client *bad_token_client = test_client("xx-not-a-known-key", 0);

    reset_emulator();
    CHECK_CODE(ua_send_event(client, UA_EVENT_CUSTOM, CUSTOM_EVENT, NULL), UA_OK);
    CHECK_CODE(ua_send_event(bad_token_client, UA_EVENT_CUSTOM, CUSTOM_EVENT, NULL), UA_INVALID_TOKEN);
    ua_client_free(bad_token_client);
    ua_client_free(client);
}

static void accessors_on_null_result(void)
{
    CHECK_CODE(ua_result_code(NULL), 0);
    CHECK_INT(ua_result_http_status(NULL), 0);
    CHECK_INT(ua_result_attempts(NULL), 0);
    CHECK(ua_result_error_type(NULL) == NULL);
    CHECK(ua_result_message(NULL) == NULL);
    CHECK(ua_result_visitor_id(NULL) == NULL);
    CHECK(ua_result_body(NULL) == NULL);
}

static char *copy_or_null(const char *s)
{
    char *copy;
    if (s == NULL)
        return NULL;
    copy = malloc(strlen(s) + 1);
    if (copy != NULL)
        strcpy(copy, s);
    return copy;
}

static void result_strings_live_until_free(void)
{
    ua_client *client = test_client(TEST_TOKEN, 0);
    ua_result *first = NULL, *second = NULL;
    const char *message, *visitor, *body;
    char *message_copy, *visitor_copy, *body_copy;

    reset_emulator();
    CHECK_CODE(ua_send_event(client, UA_EVENT_CUSTOM, CUSTOM_EVENT, &first), UA_OK);
    message = ua_result_message(first);
    visitor = ua_result_visitor_id(first);
    body = ua_result_body(first);
    CHECK(message != NULL && visitor != NULL && body != NULL);
    message_copy = copy_or_null(message);
    visitor_copy = copy_or_null(visitor);
    body_copy = copy_or_null(body);

    /* Another call, another result, then that one freed: the first is intact. */
    CHECK_CODE(ua_send_event(client, UA_EVENT_CUSTOM, "{", &second), UA_INVALID_JSON);
    ua_result_free(second);
    CHECK(ua_result_message(first) == message);
    CHECK_STR(message, message_copy);
    CHECK_STR(visitor, visitor_copy);
    CHECK_STR(body, body_copy);
    /* The same accessor twice gives the same string, not a fresh copy to free. */
    CHECK(ua_result_visitor_id(first) == visitor);

    free(message_copy);
    free(visitor_copy);
    free(body_copy);
    ua_result_free(first);
    ua_client_free(client);
}

static void client_keeps_its_own_copy_of_options(void)
{
    ua_options *options = test_options(TEST_TOKEN, 0);
    ua_client *client = NULL;

    reset_emulator();
    CHECK_CODE(ua_client_new(options, &client), UA_OK);
    /* Changing the options afterwards must not reach the client... */
    CHECK_CODE(ua_options_set_token(options, "xx-not-a-known-key"), UA_OK);
    CHECK_CODE(ua_send_event(client, UA_EVENT_CUSTOM, CUSTOM_EVENT, NULL), UA_OK);
    /* ...and neither must freeing them. */
    ua_options_free(options);
    CHECK_CODE(ua_send_event(client, UA_EVENT_CUSTOM, CUSTOM_EVENT, NULL), UA_OK);
    ua_client_free(client);
}

static void one_options_builds_many_clients(void)
{
    ua_options *options = test_options(TEST_TOKEN, 0);
    ua_client *a = NULL, *b = NULL;

    CHECK_CODE(ua_client_new(options, &a), UA_OK);
    CHECK_CODE(ua_client_new(options, &b), UA_OK);
    CHECK(a != NULL && b != NULL && a != b);
    ua_client_free(a);
    CHECK_CODE(ua_send_event(b, UA_EVENT_VIEW, VIEW_EVENT, NULL), UA_OK);
    ua_client_free(b);
    ua_options_free(options);
}

void run_null_tests(void)
{
    RUN(free_functions_accept_null);
    RUN(option_setters_refuse_null_options);
    RUN(option_setters_with_null_values);
    RUN(client_new_null_arguments);
    RUN(client_new_refuses_options_without_token);
    RUN(send_event_null_arguments);
    RUN(send_event_without_result_pointer);
    RUN(accessors_on_null_result);
    RUN(result_strings_live_until_free);
    RUN(client_keeps_its_own_copy_of_options);
    RUN(one_options_builds_many_clients);
}
