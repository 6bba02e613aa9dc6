/*
 * test_threads.c: one ua_client shared by eight threads, each sending its
 * own events at the same time. Every send must succeed and the emulator's
 * log must hold exactly as many events as were sent.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>

#include "emulator_control.h"
#include "harness.h"
#include "support.h"
#include "tests.h"

#define THREAD_COUNT 8
#define EVENTS_PER_THREAD 20

struct worker {
    const ua_client *client;
    int index;
    int accepted;        /* sends that returned UA_OK with a visitor id */
    ua_code first_error; /* the first code other than UA_OK, if any */
};

static void *send_events(void *arg)
{
    struct worker *w = arg;
    char json[160];
    int i;

    w->first_error = UA_OK;
    for (i = 0; i < EVENTS_PER_THREAD; i++) {
        ua_result *result = NULL;
        ua_code code;
        snprintf(json, sizeof json,
                 "{\"eventType\":\"thread\",\"eventValue\":\"t%d-e%d\",\"language\":\"en\"}", w->index, i);
        code = ua_send_event(w->client, UA_EVENT_CUSTOM, json, &result);
        if (code == UA_OK && ua_result_visitor_id(result) != NULL)
            w->accepted++;
        else if (w->first_error == UA_OK)
            w->first_error = code == UA_OK ? UA_INTERNAL : code;
        ua_result_free(result);
    }
    return NULL;
}

static void eight_threads_share_one_client(void)
{
    ua_client *client = test_client(TEST_TOKEN, 2);
    pthread_t threads[THREAD_COUNT];
    struct worker workers[THREAD_COUNT];
    int i, started = 0, accepted = 0;

    reset_emulator();
    for (i = 0; i < THREAD_COUNT; i++) {
        workers[i].client = client;
        workers[i].index = i;
        workers[i].accepted = 0;
        workers[i].first_error = UA_OK;
        if (pthread_create(&threads[i], NULL, send_events, &workers[i]) != 0) {
            th_fail(__FILE__, __LINE__, "pthread_create failed for thread %d", i);
            break;
        }
        started++;
    }
    for (i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    for (i = 0; i < started; i++) {
        accepted += workers[i].accepted;
        if (workers[i].first_error != UA_OK)
            th_fail(__FILE__, __LINE__, "thread %d: %s", i, ua_code_name(workers[i].first_error));
    }
    CHECK_INT(started, THREAD_COUNT);
    CHECK_INT(accepted, THREAD_COUNT * EVENTS_PER_THREAD);
    CHECK_INT(emu_count_events(test_emulator.endpoint), THREAD_COUNT * EVENTS_PER_THREAD);
    ua_client_free(client);
}

void run_thread_tests(void)
{
    RUN(eight_threads_share_one_client);
}
