/*
 * demo_env.h: what the C demos share: the service the environment names
 * (UA_ENDPOINT, UA_TOKEN, UA_ORG; `make demo` sets them for a local
 * ua-emulator) and options aimed at it. Nothing here is specific to the
 * emulator: a program for the real service would do the same.
 */
#ifndef COVEO_UA_DEMO_ENV_H
#define COVEO_UA_DEMO_ENV_H

#include <coveo_ua.h>

typedef struct {
    const char *endpoint; /* UA_ENDPOINT */
    const char *token;    /* UA_TOKEN */
    const char *org;      /* UA_ORG, NULL when it is not set */
} demo_env;

/* Reads the environment; exits with a hint when UA_ENDPOINT or UA_TOKEN is missing. */
demo_env demo_env_read(void);

/*
 * New options with the endpoint and org of `env` and `token`; the caller
 * frees them with ua_options_free. Exits, with the library's reason, when
 * they cannot be made or a value is refused.
 */
ua_options *demo_options(const demo_env *env, const char *token);

#endif
