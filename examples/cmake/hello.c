/*
 * hello.c: the smallest useful coveo-ua program. Sends one custom event to
 * UA_ENDPOINT with UA_TOKEN (and UA_ORG, if set); prints the visitor id.
 * Exit status 0 when the event was accepted.
 */
#include <stdio.h>
#include <stdlib.h>

#include <coveo_ua.h>

int main(void)
{
    const char *endpoint = getenv("UA_ENDPOINT");
    const char *token = getenv("UA_TOKEN");
    const char *org = getenv("UA_ORG");
    ua_options *options = ua_options_new();
    ua_client *client = NULL;
    ua_result *result = NULL;
    ua_code code = UA_OK;

    if (options == NULL)
        return EXIT_FAILURE;
    if (endpoint != NULL)
        code = ua_options_set_endpoint(options, endpoint); /* default: Coveo's US host */
    if (code == UA_OK && token != NULL)
        code = ua_options_set_token(options, token);
    if (code == UA_OK && org != NULL)
        code = ua_options_set_org(options, org);
    if (code == UA_OK)
        code = ua_client_new(options, &client);
    ua_options_free(options);
    if (code != UA_OK) {
        fprintf(stderr, "hello: %s: %s\n", ua_code_name(code), ua_error_describe(code));
        return EXIT_FAILURE;
    }

    code = ua_send_event(client, UA_EVENT_CUSTOM,
                         "{\"eventType\":\"hello\",\"eventValue\":\"cmake\",\"language\":\"en\"}", &result);
    if (code == UA_OK)
        printf("hello: coveo-ua %s: event accepted, visitor %s\n", ua_version(), ua_result_visitor_id(result));
    else
        fprintf(stderr, "hello: %s: %s\n", ua_code_name(code), ua_result_message(result));
    ua_result_free(result);
    ua_client_free(client);
    return code == UA_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}
