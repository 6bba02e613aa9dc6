/*
 * emulator_process.h: starts a private ua-emulator for the test run and stops
 * it at the end. The binary comes from $UA_EMULATOR_BIN (set by the Makefile),
 * else target/release/ua-emulator relative to the current directory.
 */
#ifndef COVEO_UA_TEST_EMULATOR_PROCESS_H
#define COVEO_UA_TEST_EMULATOR_PROCESS_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" { /* the C++ tests link these C helpers too */
#endif

typedef struct emu_process {
    pid_t pid;
    char endpoint[256];    /* "http://127.0.0.1:PORT/rest/ua" */
    char stdout_path[64];  /* where the emulator's stdout goes */
} emu_process;

/*
 * Starts `ua-emulator --listen 127.0.0.1:0 <args...>` (args ends with NULL)
 * and waits at most 10 s for its "listening on" line. 0 on success; on
 * failure prints why on stderr and returns -1.
 */
int emu_start(emu_process *emu, const char *const *args);

/* SIGTERM, then SIGKILL if it has not exited within 5 s. Safe to call twice. */
void emu_stop(emu_process *emu);

#ifdef __cplusplus
}
#endif

#endif
