/* tests.h: one entry point per test file, called in order by test_main.c. */
#ifndef COVEO_UA_TESTS_H
#define COVEO_UA_TESTS_H

void run_code_tests(void);    /* test_codes.c: names, descriptions, version */
void run_null_tests(void);    /* test_null.c: every NULL argument, ownership */
void run_send_tests(void);    /* test_send.c: every result code against the emulator */
void run_hostile_tests(void); /* test_hostile.c: bad bytes, huge bodies, absurd options */
void run_thread_tests(void);  /* test_threads.c: one client, eight threads */
void run_detail_tests(void);  /* test_detail.c: ua_options_last_error, search batches */
void run_queue_tests(void);   /* test_queue.c: the delivery queue */

#endif
