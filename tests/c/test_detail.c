/*
 * test_detail.c: the version 2 additions that need no queue: the message of
 * the last failed call on options (ua_options_last_error), search batches
 * (UA_EVENT_SEARCH_BATCH) and collect events (UA_EVENT_COLLECT, version 3),
 * through the C ABI against the emulator.
 */
#include <stddef.h>
#include <string.h>

#include "emulator_control.h"
#include "harness.h"
#include "support.h"
#include "tests.h"

static void last_error_follows_every_call(void)
{
    ua_options *options = ua_options_new();
    ua_client *client = NULL;

    CHECK(ua_options_last_error(NULL) == NULL);
    CHECK(ua_options_last_error(options) == NULL);
    CHECK_CODE(ua_options_set_endpoint(options, "http://example.com/rest/ua"), UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(ua_options_last_error(options), "plain http is allowed only for loopback hosts");
    /* An empty endpoint (an unset variable, say) is refused, never the default. */
    CHECK_CODE(ua_options_set_endpoint(options, ""), UA_INVALID_ARGUMENT);
    CHECK_STR(ua_options_last_error(options), "endpoint '' refused: it is empty");
    CHECK_CODE(ua_options_set_max_retries(options, 1000), UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(ua_options_last_error(options), "max_retries 1000 is out of range");
    CHECK_CODE(ua_options_set_max_retries(options, 2), UA_OK);
    CHECK(ua_options_last_error(options) == NULL);
    CHECK_CODE(ua_client_new(options, &client), UA_INVALID_ARGUMENT);
    CHECK(client == NULL);
    CHECK_CONTAINS(ua_options_last_error(options), "no token is set");
    CHECK_CODE(ua_options_set_token(options, "xx-bad token"), UA_INVALID_ARGUMENT);
    CHECK(strstr(ua_options_last_error(options), "bad token") == NULL);
    CHECK_CODE(ua_options_set_token(options, TEST_TOKEN), UA_OK);
    CHECK_CODE(ua_options_set_endpoint(options, test_emulator.endpoint), UA_OK);
    CHECK_CODE(ua_client_new(options, &client), UA_OK);
    CHECK(ua_options_last_error(options) == NULL);
    ua_client_free(client);
    ua_options_free(options);
}

#define BATCH_OF_TWO "[" SEARCH_EVENT "," SEARCH_EVENT "]"
#define BATCH_WITH_BAD_SECOND "[" SEARCH_EVENT ",{\"language\":\"en\"}]"

static void search_batch_is_one_request(void)
{
    ua_client *client = test_client(TEST_TOKEN, 0);
    ua_result *result = NULL;

    reset_emulator();
    CHECK_CODE(ua_send_event(client, UA_EVENT_SEARCH_BATCH, BATCH_OF_TWO, &result), UA_OK);
    CHECK_INT(ua_result_http_status(result), 200);
    CHECK(ua_result_visitor_id(result) != NULL);
    CHECK(ua_result_body(result) != NULL && ua_result_body(result)[0] == '[');
    CHECK_INT(emu_count_events(test_emulator.endpoint), 2);
    ua_result_free(result);

    CHECK_CODE(ua_send_event(client, UA_EVENT_SEARCH_BATCH, BATCH_WITH_BAD_SECOND, &result),
               UA_MISSING_PARAMETER);
    CHECK_INT(ua_result_attempts(result), 0);
    CHECK_STR(ua_result_error_type(result), "MissingParameter");
    CHECK_CONTAINS(ua_result_message(result), "Item 1 of the search batch");
    ua_result_free(result);

    CHECK_CODE(ua_send_event(client, UA_EVENT_SEARCH_BATCH, "[]", &result), UA_INVALID_OBJECT);
    ua_result_free(result);
    CHECK_INT(emu_count_events(test_emulator.endpoint), 2);
    ua_client_free(client);
}

/* A collect event goes to /collect; only what is surely wrong is refused
 * before sending (the service judges its fields). */
static void collect_event_goes_to_collect(void)
{
    ua_client *client = test_client(TEST_TOKEN, 0);
    ua_result *result = NULL;
    char log[4096];

    reset_emulator();
    CHECK_CODE(ua_send_event(client, UA_EVENT_COLLECT, "{\"t\":\"event\",\"ec\":\"case\",\"ea\":\"open\"}",
                             &result),
               UA_OK);
    CHECK_INT(ua_result_http_status(result), 200);
    CHECK(ua_result_visitor_id(result) != NULL);
    ua_result_free(result);
    CHECK_INT(emu_request(test_emulator.endpoint, "GET", "events", NULL, log, sizeof log), 200);
    CHECK_CONTAINS(log, "\"path\":\"/rest/ua/v15/analytics/collect\"");
    CHECK_CONTAINS(log, "\"kind\":\"collect\"");

    CHECK_CODE(ua_send_event(client, UA_EVENT_COLLECT, "{\"outcome\":\"high\"}", &result), UA_OK);
    ua_result_free(result);
    CHECK_CODE(ua_send_event(client, UA_EVENT_COLLECT, "[{}]", &result), UA_INVALID_OBJECT);
    CHECK_INT(ua_result_attempts(result), 0);
    ua_result_free(result);
    CHECK_INT(emu_count_events(test_emulator.endpoint), 2);
    ua_client_free(client);
}

void run_detail_tests(void)
{
    RUN(last_error_follows_every_call);
    RUN(search_batch_is_one_request);
    RUN(collect_event_goes_to_collect);
}
