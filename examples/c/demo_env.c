/* demo_env.c: see demo_env.h. */
#include "demo_env.h"

#include <stdio.h>
#include <stdlib.h>

demo_env demo_env_read(void)
{
    demo_env env;

    env.endpoint = getenv("UA_ENDPOINT");
    env.token = getenv("UA_TOKEN");
    env.org = getenv("UA_ORG");
    if (env.endpoint == NULL || env.token == NULL) {
        fprintf(stderr, "set UA_ENDPOINT and UA_TOKEN (make demo does)\n");
        exit(EXIT_FAILURE);
    }
    return env;
}

ua_options *demo_options(const demo_env *env, const char *token)
{
    ua_options *options = ua_options_new();
    ua_code code;

    if (options == NULL) {
        fprintf(stderr, "ua_options_new: out of memory\n");
        exit(EXIT_FAILURE);
    }
    code = ua_options_set_endpoint(options, env->endpoint);
    if (code == UA_OK)
        code = ua_options_set_token(options, token);
    if (code == UA_OK && env->org != NULL)
        code = ua_options_set_org(options, env->org);
    if (code != UA_OK) {
        /* The library's reason, which never shows the token. */
        fprintf(stderr, "cannot set the options: %s: %s\n", ua_code_name(code), ua_options_last_error(options));
        exit(EXIT_FAILURE);
    }
    return options;
}
