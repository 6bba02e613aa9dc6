/*
 * emulator_control.h: a tiny HTTP/1.1 client for ua-emulator's control API
 * (everything under /_emulator/). It lets the demo and the tests inject faults
 * and read back the event log. It is NOT part of coveo-ua and never talks to
 * the real Coveo service: the real service has no control API.
 *
 * Every call has a deadline (5 s per socket operation), speaks plain HTTP to a
 * loopback address only, and returns -1 with a line on stderr on any failure.
 */
#ifndef COVEO_UA_EMULATOR_CONTROL_H
#define COVEO_UA_EMULATOR_CONTROL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" { /* the C++ tests link these C helpers too */
#endif

/*
 * Sends METHOD /_emulator/<path> to the emulator whose event endpoint is
 * `endpoint` (e.g. "http://127.0.0.1:4242/rest/ua"; only the host and port are
 * used). `json_body` may be NULL. When `response` is not NULL, the answer body
 * (de-chunked, NUL-terminated, cut to `response_size - 1` bytes) is stored
 * there. Returns the HTTP status, or -1 if no answer could be had.
 */
int emu_request(const char *endpoint, const char *method, const char *path,
                const char *json_body, char *response, size_t response_size);

/* Appends one fault rule (a JSON object, see emulator/README.md). 0 on success. */
int emu_add_fault(const char *endpoint, const char *rule_json);

/* Removes every fault rule. 0 on success. */
int emu_clear_faults(const char *endpoint);

/* Clears the log of accepted events. 0 on success. */
int emu_clear_events(const char *endpoint);

/* Number of accepted events in the log, or -1 on failure. */
long emu_count_events(const char *endpoint);

#ifdef __cplusplus
}
#endif

#endif
