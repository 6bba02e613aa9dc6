/*
 * queue_demo.c: the delivery queue from C with coveo-ua: events handed off in
 * microseconds while the service answers slowly, an outage ridden out, the
 * counters, and an event the service refuses told to the failure callback.
 *
 * Reads UA_ENDPOINT, UA_TOKEN and UA_ORG from the environment (demo_env.h;
 * `make demo` sets them for a local ua-emulator). The slow answers and the
 * outage are staged with the emulator's control API (emulator_control.h);
 * with the real service you would not have those calls, only the ua_* ones.
 * The emulator is put back as it was (no latency, no fault rules) before the
 * program ends.
 *
 * Build: cc -std=c99 queue_demo.c demo_env.c emulator_control.c -lcoveo_ua
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <coveo_ua.h>

#include "demo_env.h"
#include "emulator_control.h"

#define EVENT "{\"eventType\":\"demo\",\"eventValue\":\"queue_demo.c\",\"language\":\"en\"}"
#define SLOW_EVENTS 40
#define OUTAGE_EVENTS 20

static const char *endpoint;
static int surprises; /* steps whose outcome was not the expected one */

/*
 * Written by the failure callback on a worker thread, read by main only after
 * ua_queue_flush returned UA_OK, which waits for the callback to return.
 */
static int failures_seen;

static void on_failure(void *user_data, ua_event_kind kind, const char *event_json,
                       const ua_result *result)
{
    (void)user_data;
    (void)kind;
    failures_seen++;
    printf("   failure callback: %s, http %u, type %s: %s\n      event %s\n",
           ua_code_name(ua_result_code(result)), (unsigned)ua_result_http_status(result),
           ua_result_error_type(result) != NULL ? ua_result_error_type(result) : "(none)",
           ua_result_message(result), event_json);
}

static void on_log(void *user_data, int32_t level, const char *message)
{
    static const char *const names[] = {"?", "error", "warn", "info", "debug"};

    (void)user_data;
    printf("   log %s: %s\n", names[level >= 1 && level <= 4 ? level : 0], message);
}

static double seconds_now(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void set_latency(int ms)
{
    char body[40];

    snprintf(body, sizeof body, "{\"latency_ms\":%d}", ms);
    if (emu_request(endpoint, "PUT", "latency", body, NULL, 0) != 200) {
        printf("   UNEXPECTED: the emulator refused latency %d ms\n", ms);
        surprises++;
    }
}

/* Runs at exit, whatever happened: the other demos use this emulator next. */
static void restore_emulator(void)
{
    emu_request(endpoint, "PUT", "latency", "{\"latency_ms\":0}", NULL, 0);
    emu_clear_faults(endpoint);
}

static void expect(int ok, const char *what)
{
    if (!ok) {
        printf("   UNEXPECTED: %s\n", what);
        surprises++;
    }
}

static ua_queue *new_queue(const demo_env *env)
{
    ua_options *options = demo_options(env, env->token);
    ua_queue *queue = NULL;
    /* Off so that the service itself refuses the bad event of step 3 (with
     * checks on, ua_queue_enqueue would refuse it at once instead). */
    ua_code code = ua_options_set_local_checks(options, false);

    /* Short pauses so the outage of step 2 is probed often in a short demo. */
    if (code == UA_OK)
        code = ua_options_set_queue_backoff_ms(options, 250, 500);
    if (code == UA_OK)
        code = ua_options_set_failure_callback(options, on_failure, NULL);
    if (code == UA_OK)
        code = ua_options_set_log_callback(options, on_log, NULL, UA_LOG_INFO);
    if (code == UA_OK)
        code = ua_queue_new(options, &queue); /* copies the options */
    if (code != UA_OK) {
        fprintf(stderr, "cannot create a queue: %s: %s\n", ua_code_name(code),
                ua_options_last_error(options));
        exit(EXIT_FAILURE);
    }
    ua_options_free(options);
    return queue;
}

/* Enqueues `count` events; returns the seconds it took. */
static double enqueue_events(ua_queue *queue, int count)
{
    double start = seconds_now();
    int i, taken = 0;

    for (i = 0; i < count; i++)
        taken += ua_queue_enqueue(queue, UA_EVENT_CUSTOM, EVENT) == UA_OK;
    start = seconds_now() - start;
    expect(taken == count, "an event was refused");
    return start;
}

static void print_counters(const ua_queue *queue)
{
    static const struct { ua_counter counter; const char *name; } all[] = {
        {UA_COUNTER_ENQUEUED, "enqueued"}, {UA_COUNTER_DELIVERED, "delivered"},
        {UA_COUNTER_FAILED, "failed"},     {UA_COUNTER_REFUSED, "refused"},
        {UA_COUNTER_PENDING, "pending"},   {UA_COUNTER_ATTEMPTS, "attempts"},
        {UA_COUNTER_RECOVERED, "recovered"},
    };
    size_t i;

    printf("  ");
    for (i = 0; i < sizeof all / sizeof all[0]; i++)
        printf(" %s %llu", all[i].name, (unsigned long long)ua_queue_counter(queue, all[i].counter));
    printf("\n");
}

int main(void)
{
    const demo_env env = demo_env_read();
    ua_queue *queue;
    double took, start;
    uint64_t attempts_before;

    endpoint = env.endpoint;
    atexit(restore_emulator);
    printf("coveo-ua %s queue demo (C), endpoint %s\n", ua_version(), endpoint);
    queue = new_queue(&env);

    printf("== %d events while every answer takes 200 ms\n", SLOW_EVENTS);
    set_latency(200);
    took = enqueue_events(queue, SLOW_EVENTS);
    printf("   enqueued in %.0f us (%.1f us each): the caller never waits for the network\n",
           took * 1e6, took * 1e6 / SLOW_EVENTS);
    start = seconds_now();
    expect(ua_queue_flush(queue, 10000) == UA_OK, "the flush timed out");
    printf("   flush: delivered by 8 workers in %.1f s\n", seconds_now() - start);
    set_latency(0);

    printf("== %d events during a 1.5 s outage (every request answered 503)\n", OUTAGE_EVENTS);
    expect(emu_add_fault(endpoint, "{\"duration_ms\":1500,\"status\":503}") == 0, "the outage rule was refused");
    attempts_before = ua_queue_counter(queue, UA_COUNTER_ATTEMPTS);
    start = seconds_now();
    enqueue_events(queue, OUTAGE_EVENTS);
    expect(ua_queue_flush(queue, 10000) == UA_OK, "the flush timed out");
    printf("   flush: all delivered after %.1f s, in %llu requests: while the service was down the\n"
           "   queue paused and sent one probe at a time (the warn lines), then delivered everything\n",
           seconds_now() - start,
           (unsigned long long)(ua_queue_counter(queue, UA_COUNTER_ATTEMPTS) - attempts_before));

    printf("== an event the service refuses (no eventType) reaches the failure callback\n");
    expect(ua_queue_enqueue(queue, UA_EVENT_CUSTOM, "{\"eventValue\":\"v\",\"language\":\"en\"}") == UA_OK,
           "the event was not taken");
    expect(ua_queue_flush(queue, 10000) == UA_OK, "the flush timed out");
    expect(failures_seen == 1, "the failure callback did not run once");

    printf("== counters (enqueued + recovered = delivered + failed + pending)\n");
    print_counters(queue);
    expect(ua_queue_counter(queue, UA_COUNTER_DELIVERED) == SLOW_EVENTS + OUTAGE_EVENTS,
           "not every good event was delivered");
    expect(ua_queue_counter(queue, UA_COUNTER_FAILED) == 1, "failed is not 1");

    printf("== close\n");
    expect(ua_queue_close(queue, 5000) == UA_OK, "events were left at close");
    ua_queue_free(queue); /* no callback runs after this returns */
    return surprises == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
