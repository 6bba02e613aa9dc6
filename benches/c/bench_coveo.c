/*
 * coveo-ua from C: one ua_client, shared by --threads pthreads, each sending
 * its share of --events custom events with ua_send_event. Every result is
 * checked (UA_OK expected) and freed.
 *
 * --no-local-checks sends without the library's checks, to show their share.
 * With --rss-at 10000,1000000 it runs single-threaded without recording
 * latencies (so the benchmark itself does not grow) and samples VmRSS after
 * those many timed events, to show the library's memory stays flat.
 */
#include <pthread.h>

#include "coveo_ua.h"
#include "bench_common.h"

struct worker {
    const ua_client *client;
    const char *body;
    long warmup, events;
    uint64_t *lat; /* NULL: do not record latencies */
    long errors;
    pthread_barrier_t *start, *warm;
};

/* Sends one event; returns 1 when it was not accepted (reason on stderr once). */
static int send_one(const ua_client *client, const char *body) {
    ua_result *res = NULL;
    ua_code code = ua_send_event(client, UA_EVENT_CUSTOM, body, &res);
    if (code != UA_OK) {
        static int reported;
        if (!reported++)
            fprintf(stderr, "bench_coveo: %s (HTTP %u): %s\n", ua_code_name(code),
                    (unsigned)ua_result_http_status(res), ua_result_message(res));
    }
    ua_result_free(res);
    return code != UA_OK;
}

/* The timed loop of one thread; kept out of line so callgrind can toggle on it. */
__attribute__((noinline)) long bench_timed_loop(const ua_client *client, const char *body, long n, uint64_t *lat) {
    long errors = 0;
    for (long i = 0; i < n; i++) {
        uint64_t s = lat ? bench_now_ns() : 0;
        errors += send_one(client, body);
        if (lat) lat[i] = bench_now_ns() - s;
    }
    return errors;
}

static void *work(void *arg) {
    struct worker *w = arg;
    for (long i = 0; i < w->warmup; i++) w->errors += send_one(w->client, w->body);
    pthread_barrier_wait(w->warm);  /* everyone warmed up: main reads the clocks */
    pthread_barrier_wait(w->start); /* go */
    w->errors += bench_timed_loop(w->client, w->body, w->events, w->lat);
    return NULL;
}

/* Single-threaded memory run: VmRSS after each count listed in --rss-at. */
static int memory_run(const struct bench_args *a, const ua_client *client, const char *body) {
    long marks[16];
    int nmarks = 0;
    char *list = strdup(a->rss_at), *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t && nmarks < 16; t = strtok_r(NULL, ",", &save))
        marks[nmarks++] = bench_parse_long(t, "--rss-at");
    free(list);
    long errors = bench_timed_loop(client, body, a->warmup, NULL);
    char extra[1024];
    size_t used = (size_t)snprintf(extra, sizeof extra, "\"rss_kb_at\":{");
    long done = 0;
    struct bench_cpu cpu0 = bench_cpu_now();
    uint64_t t0 = bench_now_ns();
    for (int m = 0; m < nmarks; m++) {
        if (marks[m] > done) errors += bench_timed_loop(client, body, marks[m] - done, NULL);
        if (marks[m] > done) done = marks[m];
        used += (size_t)snprintf(extra + used, sizeof extra - used, "%s\"%ld\":%ld", m ? "," : "", marks[m],
                                 bench_vmrss_kb());
    }
    uint64_t t1 = bench_now_ns();
    struct bench_cpu cpu = bench_cpu_since(cpu0);
    snprintf(extra + used, sizeof extra - used, "}");
    struct bench_result r = {a->label, 1, done, errors, t1 - t0, cpu, NULL, 0, extra};
    bench_print_result(&r);
    return errors ? 1 : 0;
}

int main(int argc, char **argv) {
    struct bench_args a;
    bench_parse_args(argc, argv, &a);
    char *body = bench_read_file(a.event_file, NULL);

    ua_options *opt = ua_options_new();
    if (!opt) bench_die("ua_options_new failed");
    if (ua_options_set_token(opt, a.token) != UA_OK) bench_die("ua_options_set_token refused the token");
    if (ua_options_set_endpoint(opt, a.endpoint) != UA_OK) bench_die("ua_options_set_endpoint refused the endpoint");
    if (a.no_local_checks && ua_options_set_local_checks(opt, false) != UA_OK)
        bench_die("ua_options_set_local_checks refused");
    ua_client *client = NULL;
    ua_code code = ua_client_new(opt, &client);
    ua_options_free(opt);
    if (code != UA_OK) {
        fprintf(stderr, "bench_coveo: ua_client_new: %s\n", ua_code_name(code));
        return 2;
    }
    if (a.rss_at) {
        int rc = memory_run(&a, client, body);
        ua_client_free(client);
        return rc;
    }

    int n = a.threads;
    pthread_barrier_t warm, start;
    pthread_barrier_init(&warm, NULL, (unsigned)n + 1);
    pthread_barrier_init(&start, NULL, (unsigned)n + 1);
    uint64_t *lat = malloc(sizeof(uint64_t) * (size_t)a.events);
    struct worker *w = calloc((size_t)n, sizeof *w);
    pthread_t *tid = calloc((size_t)n, sizeof *tid);
    if (!lat || !w || !tid) bench_die("out of memory");
    long offset = 0;
    for (int i = 0; i < n; i++) {
        long share = a.events / n + (i < a.events % n ? 1 : 0);
        w[i] = (struct worker){client, body, (a.warmup + n - 1) / n, share, lat + offset, 0, &start, &warm};
        offset += share;
        if (pthread_create(&tid[i], NULL, work, &w[i]) != 0) bench_die("pthread_create failed");
    }
    pthread_barrier_wait(&warm);
    struct bench_cpu cpu0 = bench_cpu_now();
    uint64_t t0 = bench_now_ns();
    pthread_barrier_wait(&start);
    long errors = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(tid[i], NULL);
        errors += w[i].errors;
    }
    uint64_t t1 = bench_now_ns();
    struct bench_cpu cpu = bench_cpu_since(cpu0);
    char extra[128];
    snprintf(extra, sizeof extra, "\"version\":\"%s\"", ua_version());
    struct bench_result r = {a.label, n, a.events, errors, t1 - t0, cpu, lat, a.events, extra};
    bench_print_result(&r);
    ua_client_free(client);
    return errors ? 1 : 0;
}
