/*
 * test_queue.c: the delivery queue through the C ABI against the emulator:
 * enqueue and flush, the counters and their identity, the failure and log
 * callbacks, close with what is left, the spool across two queues, NULLs, and
 * forked children using the parent's queue (one while another thread of the
 * parent enqueues). Runs plain, under valgrind and under ASan/UBSan/LSan.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emulator_control.h"
#include "harness.h"
#include "support.h"
#include "tests.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ADDRESS_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ADDRESS_SANITIZER 1
#endif
#ifndef UNDER_ADDRESS_SANITIZER
#define UNDER_ADDRESS_SANITIZER 0
#endif

/* Generous: valgrind makes everything much slower. */
#define FLUSH_MS 60000

static void check_identity(ua_queue *queue)
{
    uint64_t c[9] = {0};

    /* One read of all counters (and one past them, which reads 0). */
    CHECK_CODE(ua_queue_counters(queue, c, 9), UA_OK);
    CHECK_INT(c[UA_COUNTER_ENQUEUED - 1] + c[UA_COUNTER_RECOVERED - 1],
              c[UA_COUNTER_DELIVERED - 1] + c[UA_COUNTER_FAILED - 1] + c[UA_COUNTER_PENDING - 1]);
    CHECK(c[UA_COUNTER_WORKERS - 1] <= 256);
    CHECK_INT(c[8], 0);
    CHECK_INT(c[UA_COUNTER_ENQUEUED - 1], ua_queue_counter(queue, UA_COUNTER_ENQUEUED));
}

/* What the failure callback saw. */
struct failures {
    pthread_mutex_t lock;
    int count;
    ua_code last_code;
    char last_event[256];
};

static void on_failure(void *user_data, ua_event_kind kind, const char *event_json,
                       const ua_result *result)
{
    struct failures *seen = user_data;

    (void)kind;
    pthread_mutex_lock(&seen->lock);
    seen->count++;
    seen->last_code = ua_result_code(result);
    snprintf(seen->last_event, sizeof seen->last_event, "%s", event_json);
    pthread_mutex_unlock(&seen->lock);
}

/* What the log callback saw: whether a line at WARN or worse mentioned "pauses". */
struct log_lines {
    pthread_mutex_t lock;
    int lines;
    int pauses;
};

static void on_log(void *user_data, int32_t level, const char *message)
{
    struct log_lines *seen = user_data;

    pthread_mutex_lock(&seen->lock);
    seen->lines++;
    if (level <= UA_LOG_WARN && strstr(message, "pauses") != NULL)
        seen->pauses++;
    pthread_mutex_unlock(&seen->lock);
}

static ua_queue *test_queue(ua_options *options)
{
    ua_queue *queue = NULL;

    CHECK_CODE(ua_options_set_queue_backoff_ms(options, 20, 200), UA_OK);
    CHECK_CODE(ua_queue_new(options, &queue), UA_OK);
    CHECK(queue != NULL);
    return queue;
}

static void enqueue_flush_and_count(void)
{
    ua_options *options = test_options(TEST_TOKEN, 2);
    ua_queue *queue = test_queue(options);
    ua_result *refusal = NULL;
    int i;

    reset_emulator();
    for (i = 0; i < 20; i++)
        CHECK_CODE(ua_queue_enqueue(queue, UA_EVENT_CUSTOM, CUSTOM_EVENT), UA_OK);
    CHECK_CODE(ua_queue_enqueue(queue, UA_EVENT_CUSTOM, "{\"language\":\"en\"}"),
               UA_MISSING_PARAMETER);
    CHECK_CODE(ua_queue_enqueue_with_result(queue, UA_EVENT_VIEW, "[]", &refusal),
               UA_INVALID_OBJECT);
    CHECK(refusal != NULL);
    CHECK_STR(ua_result_error_type(refusal), "InvalidObject");
    CHECK_INT(ua_result_attempts(refusal), 0);
    ua_result_free(refusal);
    CHECK_CODE(ua_queue_enqueue_with_result(queue, UA_EVENT_VIEW, VIEW_EVENT, &refusal), UA_OK);
    CHECK(refusal == NULL);
    CHECK_CODE(ua_queue_flush(queue, FLUSH_MS), UA_OK);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_ENQUEUED), 21);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_DELIVERED), 21);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_REFUSED), 2);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_PENDING), 0);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_ATTEMPTS), 21);
    CHECK_INT(ua_queue_counter(queue, 0), 0);
    CHECK_INT(ua_queue_counter(queue, 99), 0);
    CHECK_INT(emu_count_events(test_emulator.endpoint), 21);
    check_identity(queue);
    CHECK_CODE(ua_queue_close(queue, 5000), UA_OK);
    CHECK_CODE(ua_queue_close(queue, 5000), UA_OK);
    CHECK_CODE(ua_queue_enqueue(queue, UA_EVENT_CUSTOM, CUSTOM_EVENT), UA_QUEUE_CLOSED);
    ua_queue_free(queue);
    ua_options_free(options);
}

static void failures_and_pauses_reach_the_callbacks(void)
{
    ua_options *options = test_options(TEST_TOKEN, 0);
    struct failures failed = {PTHREAD_MUTEX_INITIALIZER, 0, UA_OK, ""};
    struct log_lines log = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
    ua_queue *queue;

    reset_emulator();
    CHECK_CODE(ua_options_set_local_checks(options, false), UA_OK);
    CHECK_CODE(ua_options_set_failure_callback(options, on_failure, &failed), UA_OK);
    CHECK_CODE(ua_options_set_log_callback(options, on_log, &log, 9), UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(ua_options_last_error(options), "log level 9 is unknown");
    CHECK_CODE(ua_options_set_log_callback(options, on_log, &log, UA_LOG_DEBUG), UA_OK);
    queue = test_queue(options);
    add_fault("{\"count\":1,\"status\":503}");
    CHECK_CODE(ua_queue_enqueue(queue, UA_EVENT_CUSTOM, CUSTOM_EVENT), UA_OK);
    CHECK_CODE(ua_queue_enqueue(queue, UA_EVENT_CUSTOM, "{\"eventValue\":\"v\",\"language\":\"en\"}"),
               UA_OK);
    CHECK_CODE(ua_queue_flush(queue, FLUSH_MS), UA_OK);
    CHECK_INT(failed.count, 1);
    CHECK_CODE(failed.last_code, UA_MISSING_PARAMETER);
    CHECK_CONTAINS(failed.last_event, "\"eventValue\":\"v\"");
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_FAILED), 1);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_DELIVERED), 1);
    CHECK(log.pauses >= 1);
    check_identity(queue);
    ua_queue_free(queue); /* not closed: free closes it */
    ua_options_free(options);
}

static void close_gives_left_events_back_without_a_spool(void)
{
    ua_options *options = test_options(TEST_TOKEN, 0);
    struct failures failed = {PTHREAD_MUTEX_INITIALIZER, 0, UA_OK, ""};
    char endpoint[128];
    ua_queue *queue;
    int i;

    closed_port_endpoint(endpoint, sizeof endpoint);
    CHECK_CODE(ua_options_set_endpoint(options, endpoint), UA_OK);
    CHECK_CODE(ua_options_set_failure_callback(options, on_failure, &failed), UA_OK);
    queue = test_queue(options);
    for (i = 0; i < 5; i++)
        CHECK_CODE(ua_queue_enqueue(queue, UA_EVENT_CUSTOM, CUSTOM_EVENT), UA_OK);
    CHECK_CODE(ua_queue_flush(queue, 50), UA_TIMEOUT);
    CHECK_CODE(ua_queue_close(queue, 100), UA_TIMEOUT);
    CHECK_INT(failed.count, 5);
    CHECK_CODE(failed.last_code, UA_QUEUE_CLOSED);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_FAILED), 5);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_PENDING), 0);
    check_identity(queue);
    ua_queue_free(queue);
    ua_options_free(options);
}

static void capacity_refuses_at_once(void)
{
    ua_options *options = test_options(TEST_TOKEN, 0);
    char endpoint[128];
    ua_queue *queue;

    closed_port_endpoint(endpoint, sizeof endpoint);
    CHECK_CODE(ua_options_set_endpoint(options, endpoint), UA_OK);
    CHECK_CODE(ua_options_set_queue_capacity(options, 0, 10), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_queue_workers(options, 257), UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(ua_options_last_error(options), "queue workers 257 is out of range");
    CHECK_CODE(ua_options_set_queue_max_age_ms(options, 0), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_queue_capacity(options, 2, 1 << 20), UA_OK);
    CHECK_CODE(ua_options_set_queue_workers(options, 1), UA_OK);
    queue = test_queue(options);
    CHECK_CODE(ua_queue_enqueue(queue, UA_EVENT_CUSTOM, CUSTOM_EVENT), UA_OK);
    CHECK_CODE(ua_queue_enqueue(queue, UA_EVENT_CUSTOM, CUSTOM_EVENT), UA_OK);
    CHECK_CODE(ua_queue_enqueue(queue, UA_EVENT_CUSTOM, CUSTOM_EVENT), UA_QUEUE_FULL);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_REFUSED), 1);
    check_identity(queue);
    ua_queue_free(queue);
    ua_options_free(options);
}

/* Removes the spool directory `dir` and what it holds. */
static void remove_spool_dir(const char *dir)
{
    char command[160];

    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    if (system(command) != 0)
        th_fail(__FILE__, __LINE__, "could not remove %s", dir);
}

static void make_spool_dir(char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/coveo-ua-c-spool-%ld", (long)getpid());
    /* Left over from an earlier run with the same pid: start empty. */
    remove_spool_dir(dir);
}

static void the_spool_carries_events_to_the_next_queue(void)
{
    ua_options *options = test_options(TEST_TOKEN, 0);
    char endpoint[128], dir[96];
    ua_queue *queue, *second = NULL;
    int i;

    make_spool_dir(dir, sizeof dir);
    reset_emulator();
    closed_port_endpoint(endpoint, sizeof endpoint);
    CHECK_CODE(ua_options_set_endpoint(options, endpoint), UA_OK);
    CHECK_CODE(ua_options_set_spool_dir(options, dir), UA_OK);
    queue = test_queue(options);
    /* A second live queue on the directory writes a lane of its own. */
    CHECK_CODE(ua_queue_new(options, &second), UA_OK);
    CHECK(second != NULL);
    for (i = 0; i < 7; i++)
        CHECK_CODE(ua_queue_enqueue(queue, UA_EVENT_CUSTOM, CUSTOM_EVENT), UA_OK);
    for (i = 0; i < 3; i++)
        CHECK_CODE(ua_queue_enqueue(second, UA_EVENT_VIEW, VIEW_EVENT), UA_OK);
    CHECK_CODE(ua_queue_close(queue, 50), UA_TIMEOUT);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_PENDING), 7);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_FAILED), 0);
    ua_queue_free(queue);
    CHECK_CODE(ua_queue_close(second, 50), UA_TIMEOUT);
    ua_queue_free(second);

    CHECK_CODE(ua_options_set_endpoint(options, test_emulator.endpoint), UA_OK);
    queue = test_queue(options);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_RECOVERED), 10);
    CHECK_CODE(ua_queue_flush(queue, FLUSH_MS), UA_OK);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_DELIVERED), 10);
    CHECK_INT(emu_count_events(test_emulator.endpoint), 10);
    check_identity(queue);
    CHECK_CODE(ua_queue_close(queue, 5000), UA_OK);
    ua_queue_free(queue);
    ua_options_free(options);
    remove_spool_dir(dir);
}

static void nulls_are_refused_and_free_of_null_is_fine(void)
{
    ua_options *options = test_options(TEST_TOKEN, 0);
    ua_queue *queue = NULL;
    ua_result *refusal = NULL;

    ua_queue_free(NULL);
    CHECK_CODE(ua_queue_new(NULL, &queue), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_queue_new(options, NULL), UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(ua_options_last_error(options), "out_queue is NULL");
    CHECK_CODE(ua_queue_enqueue(NULL, UA_EVENT_CUSTOM, CUSTOM_EVENT), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_queue_enqueue_with_result(NULL, UA_EVENT_CUSTOM, CUSTOM_EVENT, &refusal),
               UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(ua_result_message(refusal), "queue is NULL");
    ua_result_free(refusal);
    CHECK_CODE(ua_queue_flush(NULL, 10), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_queue_close(NULL, 10), UA_INVALID_ARGUMENT);
    CHECK_INT(ua_queue_counter(NULL, UA_COUNTER_ENQUEUED), 0);
    CHECK_CODE(ua_queue_counters(NULL, NULL, 0), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_failure_callback(NULL, NULL, NULL), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_options_set_failure_callback(options, NULL, NULL), UA_OK);
    CHECK_CODE(ua_options_set_log_callback(options, NULL, NULL, UA_LOG_ERROR), UA_OK);
    CHECK_CODE(ua_options_set_spool_dir(options, NULL), UA_OK);
    queue = test_queue(options);
    CHECK_CODE(ua_queue_enqueue(queue, UA_EVENT_CUSTOM, NULL), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_queue_enqueue(queue, 42, CUSTOM_EVENT), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_queue_counters(queue, NULL, 3), UA_INVALID_ARGUMENT);
    CHECK_CODE(ua_queue_counters(queue, NULL, 0), UA_OK);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_REFUSED), 2);
    ua_queue_free(queue);
    ua_options_free(options);
}

/* What a forked child checks on the parent's queue: it works there as the
 * child's own, with the child's counters. 0 when all went as expected. */
static int child_uses_the_queue(ua_queue *queue)
{
    uint64_t c[7] = {0};
    ua_code enqueued, flushed, closed = UA_OK;
    int ok;

    c[0] = ua_queue_counter(queue, UA_COUNTER_ENQUEUED);
    if (c[0] != 0) {
        fprintf(stderr, "child %ld: %llu enqueued before its first enqueue\n", (long)getpid(),
                (unsigned long long)c[0]);
        return 1;
    }
    enqueued = ua_queue_enqueue(queue, UA_EVENT_CUSTOM, CUSTOM_EVENT);
    flushed = ua_queue_flush(queue, FLUSH_MS);
    ua_queue_counters(queue, c, 7);
    ok = enqueued == UA_OK && flushed == UA_OK && c[UA_COUNTER_ENQUEUED - 1] == 1 &&
         c[UA_COUNTER_DELIVERED - 1] == 1 && c[UA_COUNTER_PENDING - 1] == 0 && c[UA_COUNTER_RECOVERED - 1] == 0;
    if (ok)
        closed = ua_queue_close(queue, FLUSH_MS);
    if (!ok || closed != UA_OK)
        fprintf(stderr, "child %ld: enqueue %s, flush %s, close %s; enqueued %llu, delivered %llu, pending %llu\n",
                (long)getpid(), ua_code_name(enqueued), ua_code_name(flushed), ua_code_name(closed),
                (unsigned long long)c[0], (unsigned long long)c[1], (unsigned long long)c[4]);
    /* Frees the child's own queue; the parent's copy is left alone here. */
    ua_queue_free(queue);
    return ok && closed == UA_OK ? 0 : 1;
}

/* Ends a forked child with `status`. The parent's queue, abandoned in the
 * child, is memory it cannot free (its threads are not here): exec ends the
 * child without the leak check valgrind and LeakSanitizer would run at exit. */
static void leave_child(int status)
{
    execl(status == 0 ? "/bin/true" : "/bin/false", "leave", (char *)NULL);
    _exit(2);
}

static void sleep_ms(long ms)
{
    struct timespec t;

    t.tv_sec = ms / 1000;
    t.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&t, NULL);
}

/* Waits for `child` at most `seconds`; a child still running is killed and
 * counted as hung. */
static void expect_child_ok(pid_t child, int seconds)
{
    int status = 0;
    int waited_ms = 0;

    CHECK(child > 0);
    while (waitpid(child, &status, WNOHANG) == 0) {
        if (waited_ms >= seconds * 1000) {
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
            th_fail(__FILE__, __LINE__, "a forked child hung for %d s", seconds);
            return;
        }
        sleep_ms(10);
        waited_ms += 10;
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void a_forked_child_uses_the_queue_as_its_own(void)
{
    ua_options *options = test_options(TEST_TOKEN, 0);
    ua_queue *queue = test_queue(options);
    pid_t child;

    CHECK_CODE(ua_queue_enqueue(queue, UA_EVENT_CUSTOM, CUSTOM_EVENT), UA_OK);
    /* Idle at the fork: under AddressSanitizer a thread allocating then
     * could leave the sanitizer's allocator locked in the child (see below). */
    CHECK_CODE(ua_queue_flush(queue, FLUSH_MS), UA_OK);
    child = fork();
    if (child == 0)
        leave_child(child_uses_the_queue(queue));
    expect_child_ok(child, 120);
    CHECK_CODE(ua_queue_flush(queue, FLUSH_MS), UA_OK);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_ENQUEUED), 1);
    CHECK_INT(ua_queue_counter(queue, UA_COUNTER_DELIVERED), 1);
    ua_queue_free(queue);
    ua_options_free(options);
}

struct hammer {
    ua_queue *queue;
    volatile int stop;
    long enqueued;
};

static void *hammer_run(void *arg)
{
    struct hammer *h = arg;

    while (!h->stop) {
        if (ua_queue_enqueue(h->queue, UA_EVENT_CUSTOM, CUSTOM_EVENT) == UA_OK)
            h->enqueued++;
    }
    return NULL;
}

static void a_fork_while_a_thread_holds_the_queue_never_hangs_the_child(void)
{
    ua_options *options = test_options(TEST_TOKEN, 0);
    ua_queue *queue = test_queue(options);
    struct hammer h = {queue, 0, 0};
    pthread_t thread;
    int round;

    CHECK(pthread_create(&thread, NULL, hammer_run, &h) == 0);
    for (round = 0; round < 8; round++) {
        pid_t child;

        sleep_ms(2);
        child = fork();
        if (child == 0)
            leave_child(child_uses_the_queue(queue));
        expect_child_ok(child, 120);
    }
    h.stop = 1;
    pthread_join(thread, NULL);
    CHECK(h.enqueued > 0);
    CHECK_CODE(ua_queue_flush(queue, FLUSH_MS), UA_OK);
    check_identity(queue);
    ua_queue_free(queue);
    ua_options_free(options);
}

void run_queue_tests(void)
{
    RUN(enqueue_flush_and_count);
    RUN(failures_and_pauses_reach_the_callbacks);
    RUN(close_gives_left_events_back_without_a_spool);
    RUN(capacity_refuses_at_once);
    RUN(the_spool_carries_events_to_the_next_queue);
    RUN(nulls_are_refused_and_free_of_null_is_fine);
    RUN(a_forked_child_uses_the_queue_as_its_own);
#if UNDER_ADDRESS_SANITIZER
    /* AddressSanitizer's own allocator is not fork-safe while another thread
     * allocates: a plain C program (one thread mallocs and frees, the parent
     * forks, the child's threads malloc) hangs the same way in the child,
     * inside the sanitizer's allocator, with clang 14 and 16. This test runs
     * plain and under valgrind, with glibc's allocator, which is. */
    printf("not run under AddressSanitizer: a_fork_while_a_thread_holds_the_queue_never_hangs_the_child "
           "(the sanitizer's allocator deadlocks a forked child; run plain and under valgrind)\n");
#else
    RUN(a_fork_while_a_thread_holds_the_queue_never_hangs_the_child);
#endif
}
