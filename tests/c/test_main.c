/*
 * test_main.c: the C test program. Starts a private ua-emulator, runs every
 * test file in turn, stops the emulator and prints "N passed, N failed".
 * Exit status: 0 when every test passed, 1 otherwise (a missing emulator
 * counts as a failure, never as a skip).
 */
#include <stdio.h>

#include "harness.h"
#include "support.h"
#include "tests.h"

int main(void)
{
    static const char *const emulator_args[] = {
        "--org", TEST_ORG, "--api-key", TEST_TOKEN,
        "--readonly-key", READONLY_TOKEN, "--oauth-token", OAUTH_TOKEN,
        "--max-body", "16777216", /* room for the 10 MB event of test_hostile.c */
        NULL,
    };
    int status;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (emu_start(&test_emulator, emulator_args) != 0) {
        printf("FAIL could not start ua-emulator (see stderr)\n");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    printf("ua-emulator at %s\n", test_emulator.endpoint);

    run_code_tests();
    run_null_tests();
    run_send_tests();
    run_hostile_tests();
    run_thread_tests();
    run_detail_tests();
    run_queue_tests();

    emu_stop(&test_emulator);
    status = th_summary();
    return status;
}
