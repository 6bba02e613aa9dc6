/*
 * send_event.c: send a usage analytics event from C with coveo-ua, then see
 * how each kind of failure is reported.
 *
 * Reads UA_ENDPOINT, UA_TOKEN and UA_ORG from the environment (demo_env.h;
 * `make demo` sets them for a local ua-emulator). The failures are staged
 * with the emulator's fault injection (emulator_control.h); with the real
 * service you would not have those calls, only the ua_* ones.
 *
 * Build: cc -std=c99 send_event.c demo_env.c emulator_control.c -lcoveo_ua
 */
#include <stdio.h>
#include <stdlib.h>

#include <coveo_ua.h>

#include "demo_env.h"
#include "emulator_control.h"

static const char *const CUSTOM_EVENT =
    "{\"eventType\":\"demo\",\"eventValue\":\"send_event.c\",\"language\":\"en\"}";

static int surprises; /* steps whose outcome was not the expected one */

/* A client of the service `env` names, with `token`; exits if the settings are refused. */
static ua_client *new_client(const demo_env *env, const char *token)
{
    ua_options *options = demo_options(env, token);
    ua_client *client = NULL;
    ua_code code = ua_options_set_max_retries(options, 2); /* 3 attempts at most */

    if (code == UA_OK)
        code = ua_options_set_retry_backoff_ms(options, 50, 500);
    if (code == UA_OK)
        code = ua_client_new(options, &client); /* copies the options */
    ua_options_free(options);
    if (code != UA_OK) {
        fprintf(stderr, "cannot create a client: %s\n%s\n", ua_code_name(code), ua_error_describe(code));
        exit(EXIT_FAILURE);
    }
    return client;
}

/* Sends one custom event and prints what happened. */
static void send_and_report(const ua_client *client, const char *step, const char *json, ua_code expected)
{
    ua_result *result = NULL;
    ua_code code = ua_send_event(client, UA_EVENT_CUSTOM, json, &result);

    printf("== %s\n", step);
    if (code == UA_OK) {
        printf("   %s: visitor %s (%u attempt(s))\n", ua_code_name(code),
               ua_result_visitor_id(result), (unsigned)ua_result_attempts(result));
    } else {
        const char *type = ua_result_error_type(result);
        printf("   %s: %s\n", ua_code_name(code), ua_result_message(result));
        printf("   http status %u, type %s, %u attempt(s)\n", (unsigned)ua_result_http_status(result),
               type != NULL ? type : "(none)", (unsigned)ua_result_attempts(result));
        printf("   what to do: %s\n", ua_error_describe(code));
    }
    if (code != expected) {
        printf("   UNEXPECTED: wanted %s\n", ua_code_name(expected));
        surprises++;
    }
    ua_result_free(result); /* also frees every string read from it */
}

int main(void)
{
    const demo_env env = demo_env_read();
    const char *endpoint = env.endpoint;
    ua_client *client, *wrong_key_client;

    printf("coveo-ua %s, endpoint %s\n", ua_version(), endpoint);
    client = new_client(&env, env.token);
    wrong_key_client = new_client(&env, "xx-not-a-valid-key");

    send_and_report(client, "an accepted event", CUSTOM_EVENT, UA_OK);

    send_and_report(wrong_key_client, "a token the service does not know", CUSTOM_EVENT, UA_INVALID_TOKEN);

    /* Found before sending: nothing goes over the network. */
    send_and_report(client, "an event without its eventType",
                    "{\"eventValue\":\"v\",\"language\":\"en\"}", UA_MISSING_PARAMETER);

    emu_add_fault(endpoint, "{\"count\":2,\"action\":\"respond\",\"status\":503}");
    send_and_report(client, "two 503 answers, then success: the retries recover", CUSTOM_EVENT, UA_OK);

    emu_add_fault(endpoint, "{\"count\":3,\"action\":\"respond\",\"status\":503}");
    send_and_report(client, "three 503 answers: more than the 2 retries", CUSTOM_EVENT, UA_SERVER_ERROR);

    ua_client_free(wrong_key_client);
    ua_client_free(client);
    return surprises == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
