/*
 * support.h: what the C tests share: the emulator they run against, the
 * tokens it knows, valid events of each kind, and quick client factories.
 */
#ifndef COVEO_UA_TEST_SUPPORT_H
#define COVEO_UA_TEST_SUPPORT_H

#include <stdint.h>

#include "coveo_ua.h"
#include "emulator_process.h"

/* The emulator is started with these (see test_main.c). */
#define TEST_ORG "test-org"
#define TEST_TOKEN "xx-test-key"
#define READONLY_TOKEN "xx-readonly-key"   /* known, but may not push analytics */
#define OAUTH_TOKEN "oauth-token-without-org"  /* needs ?org= */

#define SEARCH_EVENT                                                             \
    "{\"actionCause\":\"searchboxSubmit\",\"language\":\"en\",\"queryText\":\"shoes\"," \
    "\"responseTime\":12,\"searchQueryUid\":\"1f9e1c0e-8d38-4b4e-9c6a-1c2d3e4f5a6b\"}"
#define CLICK_EVENT                                                              \
    "{\"actionCause\":\"documentOpen\",\"documentPosition\":1,\"language\":\"en\"," \
    "\"searchQueryUid\":\"1f9e1c0e-8d38-4b4e-9c6a-1c2d3e4f5a6b\",\"sourceName\":\"Docs\"}"
#define CUSTOM_EVENT "{\"eventType\":\"test\",\"eventValue\":\"c\",\"language\":\"en\"}"
#define VIEW_EVENT "{\"location\":\"https://example.com/page\",\"language\":\"en\"}"

extern emu_process test_emulator;

/*
 * Options aimed at the test emulator with `token` (may be NULL: none set),
 * `retries` retries, millisecond backoff and generous timeouts, so retry
 * tests stay quick even under valgrind. Never returns NULL (aborts instead).
 */
ua_options *test_options(const char *token, uint32_t retries);

/* A client built from test_options(); never returns NULL (aborts instead). */
ua_client *test_client(const char *token, uint32_t retries);

/* Appends a fault rule; a failure to do so fails the running test. */
void add_fault(const char *rule_json);

/* Clears fault rules and the event log; a failure fails the running test. */
void reset_emulator(void);

/* An endpoint on 127.0.0.1 where nothing listens (a port just closed). */
void closed_port_endpoint(char *buf, size_t size);

#endif
