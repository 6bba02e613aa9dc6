/*
 * The delivery queue from C (ua_queue_*), against a real ua-emulator over real
 * sockets. One program, eight modes; each run prints one JSON line.
 *
 *   --mode enqueue     host cost of ua_queue_enqueue: --threads T threads share
 *                      one queue and enqueue --events custom events in all,
 *                      each call timed with clock_gettime(CLOCK_MONOTONIC)
 *                      around it; then the same count again timed in batches of
 *                      --batch calls (one clock pair per batch), as a check
 *                      that the clock's own cost does not distort the per-call
 *                      figures. --spool-dir makes the queue durable (default
 *                      fsync interval). --latency-ms N makes the emulator answer
 *                      N ms late during both timed passes (PUT
 *                      /_emulator/latency), and fast again before the flush,
 *                      so the host cost is shown with a slow service without
 *                      waiting minutes for the drain. The queue holds every
 *                      event of the run (capacity = warm-up + 2 x events), and
 *                      the flush and close come after the timed passes.
 *   --mode throughput  delivered events/s with --workers W and the emulator
 *                      answering --latency-ms late: --events events enqueued at
 *                      once, timed from the first enqueue to the flush's return.
 *   --mode outage      --events events pending while the emulator answers 503
 *                      for --window-ms (a fault window rule): the requests the
 *                      emulator saw during the window (requests_by_kind.custom,
 *                      sampled every 50 ms), the queue's pauses (its log
 *                      callback), then the time until all are delivered.
 *   --mode memory      --attempts enqueue attempts into a queue of --capacity
 *                      events whose endpoint refuses connections (a closed
 *                      port), VmRSS sampled every --rss-every attempts.
 *   --mode offered     a queue with the library's defaults (endpoint and
 *                      token aside) offered --rate events/s for --seconds, the
 *                      emulator answering --latency-ms late: events delivered
 *                      per second while offered, refused, pending at the end,
 *                      the most workers seen (issue 16's throughput target).
 *   --mode backlog     an hour-long outage, compressed: the emulator answers
 *                      503 while --events events are enqueued as fast as one
 *                      thread can into a queue with a spool (--spool-dir,
 *                      --spool-capacity bytes; memory capacity the default):
 *                      per-call enqueue cost, refused, resident memory above
 *                      the empty queue, disk used; then the service comes back
 *                      and the time to drain is taken.
 *   --mode fork        enqueue cost in a forked child beside its parent's: the
 *                      parent times --events calls, then --children children are
 *                      forked one after the other; each times its first call on
 *                      the parent's queue (which starts the child's own queue:
 *                      client, threads, spool lane with --spool-dir) and then
 *                      --events calls, flushes, reports through a pipe and
 *                      ends; then the parent times --events calls again.
 *   --mode adopt       the time from a worker's SIGKILL to its events being
 *                      delivered by a sibling: the parent keeps a queue on
 *                      --spool-dir (delivering to --endpoint); each of --rounds
 *                      children makes its own queue there whose endpoint
 *                      refuses connections, enqueues --events events, and is
 *                      killed; the parent's counters are read every 1 ms until
 *                      it recovered (adopted) and delivered them. The parent
 *                      looks for orphaned lanes every 5 s, so where a kill
 *                      falls in that period decides the delay: round r waits
 *                      r x --stagger-ms before its kill (round 0 kills just
 *                      after the previous round's adoption: the longest wait).
 *
 * Every mode ends with the queue's counters and the identity
 * ENQUEUED + RECOVERED = DELIVERED + FAILED + PENDING, read after the flush
 * (or the close, for the memory mode).
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coveo_ua.h"
#include "bench_http.h"

struct qargs {
    const char *mode, *endpoint, *token, *event_file, *label, *spool_dir;
    long events, warmup, attempts, capacity, rss_every, window_ms, latency_ms, batch;
    long backoff_base_ms, backoff_max_ms, flush_timeout_ms, stagger_ms;
    long rate, seconds;
    long long spool_capacity;
    int threads, workers, children, rounds;
};

static void parse(int argc, char **argv, struct qargs *a) {
    memset(a, 0, sizeof *a);
    a->mode = "enqueue";
    a->label = "queue";
    a->events = 1000;
    a->warmup = 200;
    a->threads = 1;
    a->workers = 8;
    a->attempts = 1000000;
    a->capacity = 10000;
    a->rss_every = 100000;
    a->window_ms = 30000;
    a->batch = 100;
    a->flush_timeout_ms = 300000;
    a->children = 5;
    a->rounds = 3;
    a->rate = 1000;
    a->seconds = 60;
    a->spool_capacity = 1LL << 30;
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        if (i + 1 >= argc) {
            fprintf(stderr, "bench_queue: option %s needs a value\n", k);
            exit(2);
        }
        const char *v = argv[++i];
        if (!strcmp(k, "--mode")) a->mode = v;
        else if (!strcmp(k, "--endpoint")) a->endpoint = v;
        else if (!strcmp(k, "--token")) a->token = v;
        else if (!strcmp(k, "--event-file")) a->event_file = v;
        else if (!strcmp(k, "--label")) a->label = v;
        else if (!strcmp(k, "--spool-dir")) a->spool_dir = v;
        else if (!strcmp(k, "--events")) a->events = bench_parse_long(v, k);
        else if (!strcmp(k, "--warmup")) a->warmup = bench_parse_long(v, k);
        else if (!strcmp(k, "--threads")) a->threads = (int)bench_parse_long(v, k);
        else if (!strcmp(k, "--workers")) a->workers = (int)bench_parse_long(v, k);
        else if (!strcmp(k, "--attempts")) a->attempts = bench_parse_long(v, k);
        else if (!strcmp(k, "--capacity")) a->capacity = bench_parse_long(v, k);
        else if (!strcmp(k, "--rss-every")) a->rss_every = bench_parse_long(v, k);
        else if (!strcmp(k, "--window-ms")) a->window_ms = bench_parse_long(v, k);
        else if (!strcmp(k, "--latency-ms")) a->latency_ms = bench_parse_long(v, k);
        else if (!strcmp(k, "--batch")) a->batch = bench_parse_long(v, k);
        else if (!strcmp(k, "--flush-timeout-ms")) a->flush_timeout_ms = bench_parse_long(v, k);
        else if (!strcmp(k, "--children")) a->children = (int)bench_parse_long(v, k);
        else if (!strcmp(k, "--rounds")) a->rounds = (int)bench_parse_long(v, k);
        else if (!strcmp(k, "--stagger-ms")) a->stagger_ms = bench_parse_long(v, k);
        else if (!strcmp(k, "--rate")) a->rate = bench_parse_long(v, k);
        else if (!strcmp(k, "--seconds")) a->seconds = bench_parse_long(v, k);
        else if (!strcmp(k, "--spool-capacity")) a->spool_capacity = bench_parse_long(v, k);
        else if (!strcmp(k, "--backoff-ms")) {
            /* base,max: the queue's shared pause (default 1000,30000) */
            if (sscanf(v, "%ld,%ld", &a->backoff_base_ms, &a->backoff_max_ms) != 2)
                bench_die("--backoff-ms wants BASE,MAX");
        } else {
            fprintf(stderr, "bench_queue: unknown option %s\n", k);
            exit(2);
        }
    }
    if (!a->endpoint || !a->token || !a->event_file)
        bench_die("--endpoint, --token and --event-file are required");
    if (a->events < 1) bench_die("--events must be at least 1");
    if (a->threads < 1 || a->threads > 64) bench_die("--threads must be 1..64");
    if (a->workers < 1 || a->workers > 64) bench_die("--workers must be 1..64");
    if (a->batch < 1) bench_die("--batch must be at least 1");
    if (a->children < 1 || a->children > 64) bench_die("--children must be 1..64");
    if (a->rounds < 1 || a->rounds > 100) bench_die("--rounds must be 1..100");
}

/* ---- the emulator's control API (/_emulator/), one request per connection ---- */

static char control_resp[65536];

/* Sends one control request; returns the HTTP status (the body is in control_resp). */
static int control(const char *endpoint, const char *method, const char *path, const char *body) {
    struct bench_url u;
    if (bench_split_url(endpoint, &u) != 0) bench_die("endpoint must be http://HOST:PORT/...");
    int fd = bench_connect(&u);
    char req[2048];
    size_t blen = body ? strlen(body) : 0;
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     method, path, u.host, u.port, blen, body ? body : "");
    if (n < 0 || (size_t)n >= sizeof req) bench_die("control request too long");
    if (bench_write_all(fd, req, (size_t)n) != 0) bench_die("control request: send failed");
    int status = bench_read_response(fd, control_resp, sizeof control_resp);
    close(fd);
    if (status < 0) bench_die("control request: no answer");
    return status;
}

static void set_latency(const char *endpoint, long ms) {
    char body[64];
    snprintf(body, sizeof body, "{\"latency_ms\":%ld}", ms);
    if (control(endpoint, "PUT", "/_emulator/latency", body) != 200) {
        fprintf(stderr, "bench_queue: PUT /_emulator/latency: %s\n", control_resp);
        exit(2);
    }
}

/* The number after "key": in the control answer (after `within`, if given); -1 if absent. */
static long json_number(const char *within, const char *key) {
    const char *from = control_resp;
    if (within) {
        from = strstr(control_resp, within);
        if (!from) return -1;
    }
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(from, pat);
    return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

struct stats {
    long requests, custom, accepted, faults_applied, connections;
};

static struct stats read_stats(const char *endpoint) {
    if (control(endpoint, "GET", "/_emulator/stats", NULL) != 200) bench_die("GET /_emulator/stats failed");
    struct stats s = {json_number(NULL, "requests"), json_number("\"requests_by_kind\"", "custom"),
                      json_number(NULL, "accepted"), json_number(NULL, "faults_applied"),
                      json_number(NULL, "connections")};
    if (s.requests < 0 || s.custom < 0 || s.accepted < 0) bench_die("GET /_emulator/stats: unexpected answer");
    return s;
}

/* ---- the queue ---- */

/* What the log callback heard: the times of the queue's pauses (outage mode). */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t log_t0;
static long pause_ms_at[256];
static long pause_len_ms[256];
static int npauses;
static long log_resumes;

static void on_log(void *user_data, int32_t level, const char *message) {
    (void)user_data;
    (void)level;
    pthread_mutex_lock(&log_mu);
    long at = (long)((bench_now_ns() - log_t0) / 1000000u);
    const char *p = strstr(message, "the queue pauses for ");
    if (p && npauses < 256) {
        pause_ms_at[npauses] = at;
        pause_len_ms[npauses] = strtol(p + strlen("the queue pauses for "), NULL, 10);
        npauses++;
    }
    if (strstr(message, "delivery resumes")) log_resumes++;
    pthread_mutex_unlock(&log_mu);
}

/* Makes a queue from `o` and frees `o`; a refusal ends the program with the
 * library's reason. */
static ua_queue *queue_from(ua_options *o) {
    ua_queue *q = NULL;
    ua_code code = ua_queue_new(o, &q);
    if (code != UA_OK) {
        fprintf(stderr, "bench_queue: ua_queue_new: %s: %s\n", ua_code_name(code), ua_options_last_error(o));
        exit(2);
    }
    ua_options_free(o);
    return q;
}

static ua_queue *make_queue(const struct qargs *a, const char *endpoint, long cap_events, uint64_t cap_bytes,
                            int with_log) {
    ua_options *o = ua_options_new();
    if (!o) bench_die("ua_options_new failed");
    if (ua_options_set_token(o, a->token) != UA_OK) bench_die("ua_options_set_token refused the token");
    if (ua_options_set_endpoint(o, endpoint) != UA_OK) bench_die("ua_options_set_endpoint refused the endpoint");
    if (ua_options_set_queue_workers(o, (uint32_t)a->workers) != UA_OK) bench_die("set_queue_workers refused");
    if (ua_options_set_queue_capacity(o, (uint32_t)cap_events, cap_bytes) != UA_OK)
        bench_die("set_queue_capacity refused");
    if (a->backoff_base_ms > 0 &&
        ua_options_set_queue_backoff_ms(o, (uint32_t)a->backoff_base_ms, (uint32_t)a->backoff_max_ms) != UA_OK)
        bench_die("set_queue_backoff_ms refused");
    if (a->spool_dir && ua_options_set_spool_dir(o, a->spool_dir) != UA_OK) bench_die("set_spool_dir refused");
    if (with_log && ua_options_set_log_callback(o, on_log, NULL, UA_LOG_INFO) != UA_OK)
        bench_die("set_log_callback refused");
    return queue_from(o);
}

struct counters {
    uint64_t enqueued, delivered, failed, refused, pending, attempts, recovered;
};

static struct counters read_counters(const ua_queue *q) {
    struct counters c = {ua_queue_counter(q, UA_COUNTER_ENQUEUED), ua_queue_counter(q, UA_COUNTER_DELIVERED),
                         ua_queue_counter(q, UA_COUNTER_FAILED),   ua_queue_counter(q, UA_COUNTER_REFUSED),
                         ua_queue_counter(q, UA_COUNTER_PENDING),  ua_queue_counter(q, UA_COUNTER_ATTEMPTS),
                         ua_queue_counter(q, UA_COUNTER_RECOVERED)};
    return c;
}

/* Events of the `expected` ones not delivered: failed, pending, or missing. */
static long undelivered_of(struct counters c, long expected) {
    return (long)c.failed + (long)c.pending + (expected - (long)c.delivered);
}

static int identity_holds(struct counters c) {
    return c.enqueued + c.recovered == c.delivered + c.failed + c.pending;
}

/* "counters":{...},"identity_ok":B appended to `out`. */
static size_t put_counters(char *out, size_t cap, struct counters c) {
    return (size_t)snprintf(out, cap,
                            "\"counters\":{\"enqueued\":%llu,\"delivered\":%llu,\"failed\":%llu,\"refused\":%llu,"
                            "\"pending\":%llu,\"attempts\":%llu,\"recovered\":%llu},\"identity_ok\":%s",
                            (unsigned long long)c.enqueued, (unsigned long long)c.delivered,
                            (unsigned long long)c.failed, (unsigned long long)c.refused,
                            (unsigned long long)c.pending, (unsigned long long)c.attempts,
                            (unsigned long long)c.recovered, identity_holds(c) ? "true" : "false");
}

static int enqueue_one(ua_queue *q, const char *body) {
    ua_code code = ua_queue_enqueue(q, UA_EVENT_CUSTOM, body);
    if (code != UA_OK) {
        static int reported;
        if (!reported++) fprintf(stderr, "bench_queue: enqueue refused: %s\n", ua_code_name(code));
    }
    return code != UA_OK;
}

static double pct_ns(uint64_t *v, long n, double p, int sorted) {
    return bench_percentile_us(v, n, p, sorted) * 1000.0;
}

/* The median cost of one clock_gettime pair (what every per-call sample includes). */
static double clock_pair_ns(void) {
    enum { N = 20001 };
    static uint64_t d[N];
    for (long i = 0; i < N; i++) {
        uint64_t s = bench_now_ns();
        d[i] = bench_now_ns() - s;
    }
    return pct_ns(d, N, 50.0, 0);
}

/* ---- mode enqueue ---- */

struct enq_worker {
    ua_queue *q;
    const char *body;
    long n, batch;
    uint64_t *lat;       /* per-call ns (pass 1) */
    uint64_t *batch_lat; /* per-call ns of each batch (pass 2) */
    long nbatches;
    long errors;
    pthread_barrier_t *b;
    /* Pass 1, this thread only: its CPU time, and its context switches
     * (voluntary: it blocked, e.g. on the queue's lock; involuntary: preempted). */
    uint64_t thread_cpu_ns;
    long vcsw, ivcsw;
};

static uint64_t thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Pass 1: one clock pair around every call. */
__attribute__((noinline)) long bench_enqueue_per_call(ua_queue *q, const char *body, long n, uint64_t *lat) {
    long errors = 0;
    for (long i = 0; i < n; i++) {
        uint64_t s = bench_now_ns();
        errors += enqueue_one(q, body);
        lat[i] = bench_now_ns() - s;
    }
    return errors;
}

/* Pass 2: one clock pair around each batch of `batch` calls. */
__attribute__((noinline)) long bench_enqueue_batched(ua_queue *q, const char *body, long n, long batch,
                                                     uint64_t *out, long *nout) {
    long errors = 0, done = 0, k = 0;
    while (done < n) {
        long m = n - done < batch ? n - done : batch;
        uint64_t s = bench_now_ns();
        for (long i = 0; i < m; i++) errors += enqueue_one(q, body);
        uint64_t e = bench_now_ns();
        if (m == batch) out[k++] = (e - s) / (uint64_t)m;
        done += m;
    }
    *nout = k;
    return errors;
}

static void *enq_work(void *arg) {
    struct enq_worker *w = arg;
    pthread_barrier_wait(w->b); /* main reads the clocks */
    pthread_barrier_wait(w->b); /* go: pass 1 */
    struct rusage r0, r1;
    getrusage(RUSAGE_THREAD, &r0);
    uint64_t c0 = thread_cpu_ns();
    w->errors += bench_enqueue_per_call(w->q, w->body, w->n, w->lat);
    w->thread_cpu_ns = thread_cpu_ns() - c0;
    getrusage(RUSAGE_THREAD, &r1);
    w->vcsw = r1.ru_nvcsw - r0.ru_nvcsw;
    w->ivcsw = r1.ru_nivcsw - r0.ru_nivcsw;
    pthread_barrier_wait(w->b); /* pass 1 done */
    pthread_barrier_wait(w->b); /* go: pass 2 */
    w->errors += bench_enqueue_batched(w->q, w->body, w->n, w->batch, w->batch_lat, &w->nbatches);
    pthread_barrier_wait(w->b); /* pass 2 done */
    return NULL;
}

/* A queue with room for the warm-up and two timed passes, warmed up (the
 * warm-up's events delivered); *errors counts the warm-up's refusals. */
static ua_queue *warmed_queue(const struct qargs *a, const char *body, size_t body_len, uint64_t *cap_bytes,
                              long *errors) {
    long total = a->warmup + 2 * a->events;
    /* Room for the whole run and a quarter more, in events and in bytes (a
     * spool's segments are a 16th of the capacity in bytes, 64 KiB to 4 MiB). */
    *cap_bytes = (uint64_t)total * (body_len + 21) * 5 / 4 + 65536;
    ua_queue *q = make_queue(a, a->endpoint, total + total / 4 + 16, *cap_bytes, 0);
    for (long i = 0; i < a->warmup; i++) *errors += enqueue_one(q, body);
    if (ua_queue_flush(q, 60000) != UA_OK) bench_die("the warm-up's flush did not finish within 60 s");
    return q;
}

static int mode_enqueue(const struct qargs *a, const char *body, size_t body_len) {
    long total = a->warmup + 2 * a->events;
    uint64_t cap_bytes = 0;
    long warm_errors = 0;
    ua_queue *q = warmed_queue(a, body, body_len, &cap_bytes, &warm_errors);
    double clock_ns = clock_pair_ns();
    if (a->latency_ms > 0) set_latency(a->endpoint, a->latency_ms);

    int n = a->threads;
    pthread_barrier_t b;
    pthread_barrier_init(&b, NULL, (unsigned)n + 1);
    uint64_t *lat = malloc(sizeof(uint64_t) * (size_t)a->events);
    uint64_t *blat = malloc(sizeof(uint64_t) * (size_t)(a->events / a->batch + n + 1));
    struct enq_worker *w = calloc((size_t)n, sizeof *w);
    pthread_t *tid = calloc((size_t)n, sizeof *tid);
    if (!lat || !blat || !w || !tid) bench_die("out of memory");
    long off = 0, boff = 0;
    for (int i = 0; i < n; i++) {
        long share = a->events / n + (i < a->events % n ? 1 : 0);
        w[i] = (struct enq_worker){.q = q, .body = body, .n = share, .batch = a->batch, .lat = lat + off,
                                   .batch_lat = blat + boff, .b = &b};
        off += share;
        boff += share / a->batch + 1;
        if (pthread_create(&tid[i], NULL, enq_work, &w[i]) != 0) bench_die("pthread_create failed");
    }
    pthread_barrier_wait(&b);
    struct bench_cpu cpu0 = bench_cpu_now();
    uint64_t t0 = bench_now_ns();
    pthread_barrier_wait(&b);
    pthread_barrier_wait(&b);
    uint64_t t1 = bench_now_ns();
    struct bench_cpu cpu = bench_cpu_since(cpu0);
    uint64_t t2 = bench_now_ns();
    pthread_barrier_wait(&b);
    pthread_barrier_wait(&b);
    uint64_t t3 = bench_now_ns();
    long errors = 0, vcsw = 0, ivcsw = 0;
    uint64_t tcpu = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(tid[i], NULL);
        errors += w[i].errors;
        tcpu += w[i].thread_cpu_ns;
        vcsw += w[i].vcsw;
        ivcsw += w[i].ivcsw;
    }
    /* Gather the batch figures into one array. */
    long nb = 0;
    for (int i = 0; i < n; i++) {
        memmove(blat + nb, w[i].batch_lat, sizeof(uint64_t) * (size_t)w[i].nbatches);
        nb += w[i].nbatches;
    }
    if (a->latency_ms > 0) set_latency(a->endpoint, 0);
    struct counters before_flush = read_counters(q);
    uint64_t f0 = bench_now_ns();
    ua_code fc = ua_queue_flush(q, (uint32_t)a->flush_timeout_ms);
    uint64_t f1 = bench_now_ns();
    struct counters c = read_counters(q);
    ua_code cc = ua_queue_close(q, 5000);
    ua_queue_free(q);

    uint64_t sum = 0;
    for (long i = 0; i < a->events; i++) sum += lat[i];
    double mean = (double)sum / (double)a->events;
    double p50 = pct_ns(lat, a->events, 50, 0), p90 = pct_ns(lat, a->events, 90, 1),
           p99 = pct_ns(lat, a->events, 99, 1), p999 = pct_ns(lat, a->events, 99.9, 1);
    double pmax = (double)lat[a->events - 1];
    double b50 = nb ? pct_ns(blat, nb, 50, 0) : 0, b99 = nb ? pct_ns(blat, nb, 99, 1) : 0;
    double secs = (double)(t1 - t0) / 1e9;
    long expected = total - warm_errors - errors;
    long undelivered = undelivered_of(c, expected);
    char extra[2048];
    size_t used = (size_t)snprintf(
        extra, sizeof extra,
        "{\"label\":\"%s\",\"mode\":\"enqueue\",\"threads\":%d,\"workers\":%d,\"spool\":%s,\"latency_ms\":%ld,"
        "\"events\":%ld,\"errors\":%ld,\"seconds\":%.6f,\"events_per_s\":%.1f,"
        "\"p50_ns\":%.0f,\"p90_ns\":%.0f,\"p99_ns\":%.0f,\"p999_ns\":%.0f,\"max_ns\":%.0f,\"mean_ns\":%.1f,"
        "\"batch\":%ld,\"batches\":%ld,\"batch_p50_ns\":%.1f,\"batch_p99_ns\":%.1f,\"batch_pass_seconds\":%.6f,"
        "\"clock_pair_ns\":%.0f,\"thread_cpu_ns_per_call\":%.1f,\"vcsw_per_1000\":%.2f,\"ivcsw_per_1000\":%.2f,"
        "\"capacity_bytes\":%llu,\"cpu_us_per_event\":%.3f,\"cpu_user_us_per_event\":%.3f,"
        "\"cpu_sys_us_per_event\":%.3f,\"pending_after_loops\":%llu,\"delivered_during_loops\":%llu,"
        "\"drain_s\":%.3f,\"flush\":\"%s\",\"close\":\"%s\",\"expected_delivered\":%ld,\"undelivered\":%ld,"
        "\"maxrss_kb\":%ld,\"version\":\"%s\",",
        a->label, n, a->workers, a->spool_dir ? "true" : "false", a->latency_ms, a->events, errors + warm_errors,
        secs, secs > 0 ? (double)a->events / secs : 0.0, p50, p90, p99, p999, pmax, mean, a->batch, nb, b50, b99,
        (double)(t3 - t2) / 1e9, clock_ns, (double)tcpu / (double)a->events, 1000.0 * (double)vcsw / (double)a->events,
        1000.0 * (double)ivcsw / (double)a->events, (unsigned long long)cap_bytes,
        bench_per(cpu.user_us + cpu.sys_us, a->events),
        bench_per(cpu.user_us, a->events), bench_per(cpu.sys_us, a->events),
        (unsigned long long)before_flush.pending, (unsigned long long)before_flush.delivered,
        (double)(f1 - f0) / 1e9, ua_code_name(fc), ua_code_name(cc), expected, undelivered, bench_maxrss_kb(),
        ua_version());
    used += put_counters(extra + used, sizeof extra - used, c);
    printf("%s}\n", extra);
    fflush(stdout);
    return errors || undelivered || !identity_holds(c) ? 1 : 0;
}

/* ---- mode throughput ---- */

static int mode_throughput(const struct qargs *a, const char *body) {
    ua_queue *q = make_queue(a, a->endpoint, a->events + 16, (uint64_t)1 << 30, 0);
    set_latency(a->endpoint, a->latency_ms);
    struct stats s0 = read_stats(a->endpoint);
    struct bench_cpu cpu0 = bench_cpu_now();
    uint64_t t0 = bench_now_ns();
    long errors = 0;
    for (long i = 0; i < a->events; i++) errors += enqueue_one(q, body);
    uint64_t te = bench_now_ns();
    ua_code fc = ua_queue_flush(q, (uint32_t)a->flush_timeout_ms);
    uint64_t t1 = bench_now_ns();
    struct bench_cpu cpu = bench_cpu_since(cpu0);
    set_latency(a->endpoint, 0);
    struct stats s1 = read_stats(a->endpoint);
    struct counters c = read_counters(q);
    ua_code cc = ua_queue_close(q, 5000);
    ua_queue_free(q);
    double secs = (double)(t1 - t0) / 1e9;
    double limit = (double)a->workers / ((double)a->latency_ms / 1000.0);
    long undelivered = undelivered_of(c, a->events - errors);
    char extra[2048];
    size_t used = (size_t)snprintf(
        extra, sizeof extra,
        "{\"label\":\"%s\",\"mode\":\"throughput\",\"threads\":1,\"workers\":%d,\"latency_ms\":%ld,"
        "\"events\":%ld,\"errors\":%ld,\"seconds\":%.6f,\"events_per_s\":%.1f,\"round_trip_limit\":%.1f,"
        "\"enqueue_seconds\":%.6f,\"cpu_us_per_event\":%.3f,\"server_requests\":%ld,\"server_accepted\":%ld,"
        "\"server_connections\":%ld,\"flush\":\"%s\",\"close\":\"%s\",\"undelivered\":%ld,\"maxrss_kb\":%ld,",
        a->label, a->workers, a->latency_ms, a->events, errors, secs, secs > 0 ? (double)c.delivered / secs : 0.0,
        limit, (double)(te - t0) / 1e9, bench_per(cpu.user_us + cpu.sys_us, a->events), s1.custom - s0.custom,
        s1.accepted - s0.accepted, s1.connections - s0.connections - 2, ua_code_name(fc), ua_code_name(cc),
        undelivered, bench_maxrss_kb());
    used += put_counters(extra + used, sizeof extra - used, c);
    printf("%s}\n", extra);
    fflush(stdout);
    return errors || undelivered || !identity_holds(c) ? 1 : 0;
}

/* ---- mode outage ---- */

static int mode_outage(const struct qargs *a, const char *body) {
    long cap = a->capacity > a->events ? a->capacity : a->events;
    ua_queue *q = make_queue(a, a->endpoint, cap, (uint64_t)64 << 20, 1);
    struct stats s0 = read_stats(a->endpoint);
    char rule[128];
    snprintf(rule, sizeof rule, "{\"duration_ms\":%ld,\"status\":503}", a->window_ms);
    log_t0 = bench_now_ns();
    if (control(a->endpoint, "POST", "/_emulator/faults", rule) != 200) {
        fprintf(stderr, "bench_queue: POST /_emulator/faults: %s\n", control_resp);
        return 2;
    }
    uint64_t tw = bench_now_ns(); /* the window is open from before here */
    long errors = 0;
    for (long i = 0; i < a->events; i++) errors += enqueue_one(q, body);
    uint64_t te = bench_now_ns();
    /* Sample the requests the emulator saw until the window has closed. */
    /* The window opened before the answer came (tw): it is closed by tw + window; 10 ms to spare. */
    uint64_t end = tw + (uint64_t)a->window_ms * 1000000u + 10000000u;
    char timeline[8192];
    size_t tl = 0;
    long last = s0.custom, samples = 0;
    struct stats s;
    for (;;) {
        uint64_t now = bench_now_ns();
        if (now >= end) break;
        uint64_t left = end - now;
        struct timespec ts = {0, (long)(left < 50000000u ? left : 50000000u)};
        nanosleep(&ts, NULL);
        s = read_stats(a->endpoint);
        samples++;
        if (s.custom != last && tl + 64 < sizeof timeline) {
            tl += (size_t)snprintf(timeline + tl, sizeof timeline - tl, "%s[%ld,%ld]", tl ? "," : "",
                                   (long)((bench_now_ns() - log_t0) / 1000000u), s.custom - last);
            last = s.custom;
        }
    }
    struct stats sw = read_stats(a->endpoint);
    struct counters cw = read_counters(q);
    uint64_t f0 = bench_now_ns();
    ua_code fc = ua_queue_flush(q, (uint32_t)a->flush_timeout_ms);
    uint64_t f1 = bench_now_ns();
    struct stats s1 = read_stats(a->endpoint);
    struct counters c = read_counters(q);
    ua_code cc = ua_queue_close(q, 5000);
    ua_queue_free(q);

    pthread_mutex_lock(&log_mu);
    char pauses[4096];
    size_t pl = 0;
    for (int i = 0; i < npauses && pl + 48 < sizeof pauses; i++)
        pl += (size_t)snprintf(pauses + pl, sizeof pauses - pl, "%s[%ld,%ld]", i ? "," : "", pause_ms_at[i],
                               pause_len_ms[i]);
    pauses[pl] = '\0';
    int np = npauses;
    pthread_mutex_unlock(&log_mu);
    timeline[tl] = '\0';
    long undelivered = undelivered_of(c, a->events - errors);
    double total_s = (double)(f1 - log_t0) / 1e9;
    char extra[16384];
    size_t used = (size_t)snprintf(
        extra, sizeof extra,
        "{\"label\":\"%s\",\"mode\":\"outage\",\"threads\":1,\"workers\":%d,\"events\":%ld,\"errors\":%ld,"
        "\"window_ms\":%ld,\"enqueue_seconds\":%.6f,\"window_requests\":%ld,\"window_faults_applied\":%ld,"
        "\"window_attempts\":%llu,\"delivered_in_window\":%llu,\"pending_at_window_end\":%llu,"
        "\"pauses\":%d,\"failed_probes\":%d,\"pause_log\":[%s],\"request_timeline\":[%s],\"samples\":%ld,"
        "\"recovery_s\":%.3f,\"flush_s\":%.3f,\"seconds\":%.3f,\"events_per_s\":%.1f,\"after_window_requests\":%ld,"
        "\"server_accepted\":%ld,\"flush\":\"%s\",\"close\":\"%s\",\"undelivered\":%ld,\"open_ms\":%.1f,",
        a->label, a->workers, a->events, errors, a->window_ms, (double)(te - tw) / 1e9, sw.custom - s0.custom,
        sw.faults_applied - s0.faults_applied, (unsigned long long)cw.attempts, (unsigned long long)cw.delivered,
        (unsigned long long)cw.pending, np, np > 0 ? np - 1 : 0, pauses, timeline, samples,
        (double)(f1 - end) / 1e9, (double)(f1 - f0) / 1e9, total_s, total_s > 0 ? (double)c.delivered / total_s : 0.0,
        s1.custom - sw.custom, s1.accepted - s0.accepted, ua_code_name(fc), ua_code_name(cc), undelivered,
        (double)(tw - log_t0) / 1e6);
    used += put_counters(extra + used, sizeof extra - used, c);
    printf("%s}\n", extra);
    fflush(stdout);
    return errors || undelivered || !identity_holds(c) ? 1 : 0;
}

/* ---- mode memory ---- */

static int mode_memory(const struct qargs *a, const char *body) {
    ua_queue *q = make_queue(a, a->endpoint, a->capacity, (uint64_t)64 << 20, 0);
    long rss0 = bench_vmrss_kb();
    char samples[4096];
    size_t used = 0;
    long ok = 0, full = 0, other = 0, rss_full = -1, full_at = -1;
    struct bench_cpu cpu0 = bench_cpu_now();
    uint64_t t0 = bench_now_ns(), t_full = 0;
    for (long i = 0; i < a->attempts; i++) {
        ua_code code = ua_queue_enqueue(q, UA_EVENT_CUSTOM, body);
        if (code == UA_OK) ok++;
        else if (code == UA_QUEUE_FULL) {
            if (!full++) {
                full_at = i;
                rss_full = bench_vmrss_kb();
                t_full = bench_now_ns();
            }
        } else {
            if (!other++) fprintf(stderr, "bench_queue: enqueue refused: %s\n", ua_code_name(code));
        }
        if ((i + 1) % a->rss_every == 0 && used + 40 < sizeof samples)
            used += (size_t)snprintf(samples + used, sizeof samples - used, "%s\"%ld\":%ld", used ? "," : "", i + 1,
                                     bench_vmrss_kb());
    }
    uint64_t t1 = bench_now_ns();
    struct bench_cpu cpu = bench_cpu_since(cpu0);
    samples[used] = '\0';
    struct counters before = read_counters(q);
    ua_code cc = ua_queue_close(q, 0);
    struct counters c = read_counters(q);
    ua_queue_free(q);
    long refused_phase = a->attempts - (full_at < 0 ? a->attempts : full_at);
    double full_ns = t_full && refused_phase > 0 ? (double)(t1 - t_full) / (double)refused_phase : 0.0;
    char extra[8192];
    size_t u = (size_t)snprintf(
        extra, sizeof extra,
        "{\"label\":\"%s\",\"mode\":\"memory\",\"threads\":1,\"workers\":%d,\"capacity\":%ld,\"attempts\":%ld,"
        "\"events\":%ld,\"errors\":%ld,\"taken\":%ld,\"refused_full\":%ld,\"full_at\":%ld,\"seconds\":%.6f,"
        "\"events_per_s\":%.1f,\"ns_per_refused_attempt\":%.1f,\"cpu_us_per_event\":%.3f,\"rss_kb_start\":%ld,"
        "\"rss_kb_when_full\":%ld,\"rss_kb_at\":{%s},\"maxrss_kb\":%ld,\"attempts_counter_before_close\":%llu,"
        "\"close\":\"%s\",",
        a->label, a->workers, a->capacity, a->attempts, a->attempts, other, ok, full, full_at,
        (double)(t1 - t0) / 1e9, (double)a->attempts / ((double)(t1 - t0) / 1e9), full_ns,
        bench_per(cpu.user_us + cpu.sys_us, a->attempts), rss0, rss_full, samples, bench_maxrss_kb(),
        (unsigned long long)before.attempts, ua_code_name(cc));
    u += put_counters(extra + u, sizeof extra - u, c);
    printf("%s}\n", extra);
    fflush(stdout);
    /* Nothing may be delivered (the port is closed); everything taken fails at the close. */
    int sane = identity_holds(c) && (long)c.enqueued == ok && c.delivered == 0 && (long)c.refused == full + other;
    return other || !sane ? 1 : 0;
}

/* ---- modes offered and backlog (issue 16) ---- */

/* A queue with the library's defaults but for the endpoint, the token and,
 * with a spool, its directory and capacity. */
static ua_queue *default_queue(const struct qargs *a, int with_spool) {
    ua_options *o = ua_options_new();
    if (!o) bench_die("ua_options_new failed");
    if (ua_options_set_token(o, a->token) != UA_OK) bench_die("ua_options_set_token refused the token");
    if (ua_options_set_endpoint(o, a->endpoint) != UA_OK) bench_die("ua_options_set_endpoint refused");
    if (with_spool) {
        if (!a->spool_dir) bench_die("--spool-dir is required");
        if (ua_options_set_spool_dir(o, a->spool_dir) != UA_OK) bench_die("set_spool_dir refused");
        if (ua_options_set_spool_capacity(o, (uint64_t)a->spool_capacity) != UA_OK)
            bench_die("set_spool_capacity refused");
    }
    return queue_from(o);
}

static void sleep_until_ns(uint64_t t) {
    uint64_t now = bench_now_ns();
    if (t <= now) return;
    struct timespec d = {(time_t)((t - now) / 1000000000u), (long)((t - now) % 1000000000u)};
    nanosleep(&d, NULL);
}

static int mode_offered(const struct qargs *a, const char *body) {
    ua_queue *q = default_queue(a, 0);
    set_latency(a->endpoint, a->latency_ms);
    long total = a->rate * a->seconds, refused = 0;
    uint64_t most_workers = 0, delivered_at_quarter = 0;
    uint64_t t0 = bench_now_ns(), quarter_at = 0;
    uint64_t span = (uint64_t)a->seconds * 1000000000u;
    for (long i = 0; i < total; i++) {
        /* Paced in steps of a millisecond: every event due by now goes now. */
        uint64_t due = t0 + (uint64_t)((double)i * 1e9 / (double)a->rate);
        if (due > bench_now_ns() + 1000000u) sleep_until_ns(due);
        refused += ua_queue_enqueue(q, UA_EVENT_CUSTOM, body) != UA_OK;
        if ((i & 63) == 0) {
            uint64_t w = ua_queue_counter(q, UA_COUNTER_WORKERS);
            if (w > most_workers) most_workers = w;
            if (!quarter_at && bench_now_ns() - t0 >= span / 4) {
                quarter_at = bench_now_ns();
                delivered_at_quarter = ua_queue_counter(q, UA_COUNTER_DELIVERED);
            }
        }
    }
    sleep_until_ns(t0 + span);
    uint64_t t1 = bench_now_ns();
    struct counters end = read_counters(q);
    set_latency(a->endpoint, 0);
    ua_code fc = ua_queue_flush(q, (uint32_t)a->flush_timeout_ms);
    struct counters c = read_counters(q);
    ua_code cc = ua_queue_close(q, 5000);
    ua_queue_free(q);
    double secs = (double)(t1 - t0) / 1e9;
    double late = quarter_at ? (double)(t1 - quarter_at) / 1e9 : secs;
    double steady = late > 0 ? (double)(end.delivered - delivered_at_quarter) / late : 0;
    char extra[2048];
    size_t used = (size_t)snprintf(
        extra, sizeof extra,
        "{\"label\":\"%s\",\"mode\":\"offered\",\"latency_ms\":%ld,\"offered_per_s\":%ld,\"seconds\":%.3f,"
        "\"offered\":%ld,\"refused\":%ld,\"delivered_in_run\":%llu,\"delivered_per_s\":%.1f,"
        "\"steady_delivered_per_s\":%.1f,\"pending_at_end\":%llu,\"most_workers\":%llu,\"flush\":\"%s\","
        "\"close\":\"%s\",\"maxrss_kb\":%ld,",
        a->label, a->latency_ms, a->rate, secs, total, refused, (unsigned long long)end.delivered,
        (double)end.delivered / secs, steady, (unsigned long long)end.pending, (unsigned long long)most_workers,
        ua_code_name(fc), ua_code_name(cc), bench_maxrss_kb());
    used += put_counters(extra + used, sizeof extra - used, c);
    printf("%s}\n", extra);
    fflush(stdout);
    return fc != UA_OK || !identity_holds(c) || c.failed ? 1 : 0;
}

/* Bytes of the files under `dir` (one level of folders: the spool's lanes). */
static long long dir_bytes(const char *dir) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "du -sb '%s' 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    long long n = -1;
    if (p) {
        if (fscanf(p, "%lld", &n) != 1) n = -1;
        pclose(p);
    }
    return n;
}

static int mode_backlog(const struct qargs *a, const char *body) {
    ua_queue *q = default_queue(a, 1);
    /* The service fails for as long as the enqueues take (the rule is
     * removed when they are done). */
    if (control(a->endpoint, "POST", "/_emulator/faults", "{\"status\":503,\"duration_ms\":3600000}") != 200)
        bench_die("POST /_emulator/faults failed");
    long rss0 = bench_vmrss_kb(), peak = rss0, refused = 0;
    uint64_t *lat = malloc(sizeof(uint64_t) * (size_t)a->events);
    if (!lat) bench_die("out of memory");
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < a->events; i++) {
        uint64_t s = bench_now_ns();
        refused += ua_queue_enqueue(q, UA_EVENT_CUSTOM, body) != UA_OK;
        lat[i] = bench_now_ns() - s;
        if (i % 20000 == 0) {
            long r = bench_vmrss_kb();
            if (r > peak) peak = r;
        }
    }
    uint64_t t1 = bench_now_ns();
    long r = bench_vmrss_kb();
    if (r > peak) peak = r;
    long long disk = dir_bytes(a->spool_dir);
    struct counters held = read_counters(q);
    if (control(a->endpoint, "DELETE", "/_emulator/faults", NULL) != 200) bench_die("DELETE /_emulator/faults failed");
    uint64_t d0 = bench_now_ns();
    uint64_t most_workers = 0;
    ua_code fc = UA_TIMEOUT;
    for (long waited = 0; waited < a->flush_timeout_ms && fc == UA_TIMEOUT; waited += 250) {
        fc = ua_queue_flush(q, 250);
        uint64_t w = ua_queue_counter(q, UA_COUNTER_WORKERS);
        if (w > most_workers) most_workers = w;
        r = bench_vmrss_kb();
        if (r > peak) peak = r;
    }
    uint64_t d1 = bench_now_ns();
    struct counters c = read_counters(q);
    ua_code cc = ua_queue_close(q, 5000);
    ua_queue_free(q);
    double secs = (double)(t1 - t0) / 1e9;
    /* In this order: the first call sorts the samples. */
    double p50 = pct_ns(lat, a->events, 50, 0), p99 = pct_ns(lat, a->events, 99, 1),
           p999 = pct_ns(lat, a->events, 99.9, 1);
    char extra[2048];
    size_t used = (size_t)snprintf(
        extra, sizeof extra,
        "{\"label\":\"%s\",\"mode\":\"backlog\",\"events\":%ld,\"refused\":%ld,\"enqueue_seconds\":%.3f,"
        "\"p50_ns\":%.0f,\"p99_ns\":%.0f,\"p999_ns\":%.0f,\"rss_empty_kb\":%ld,\"rss_peak_kb\":%ld,"
        "\"rss_above_empty_kb\":%ld,\"disk_bytes\":%lld,\"pending_before_drain\":%llu,\"drain_seconds\":%.3f,"
        "\"drain_per_s\":%.1f,\"most_workers\":%llu,\"flush\":\"%s\",\"close\":\"%s\",",
        a->label, a->events, refused, secs, p50, p99, p999, rss0, peak, peak - rss0, disk, (unsigned long long)held.pending,
        (double)(d1 - d0) / 1e9, (double)c.delivered / ((double)(d1 - d0) / 1e9), (unsigned long long)most_workers,
        ua_code_name(fc), ua_code_name(cc));
    used += put_counters(extra + used, sizeof extra - used, c);
    printf("%s}\n", extra);
    fflush(stdout);
    free(lat);
    return fc != UA_OK || refused || !identity_holds(c) ? 1 : 0;
}

/* ---- mode fork ---- */

/* What a forked child tells its parent through a pipe. */
struct child_report {
    uint64_t first_ns; /* its first call, which starts the child's own queue */
    double p50_ns, p99_ns, mean_ns; /* its --events timed calls after that */
    struct counters c; /* after its flush */
    int flush_ok, errors;
};

static double mean_of(const uint64_t *v, long n) {
    uint64_t sum = 0;
    for (long i = 0; i < n; i++) sum += v[i];
    return n ? (double)sum / (double)n : 0.0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of n values (sorts them). */
static double median_of(double *v, int n) {
    if (n <= 0) return 0.0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* "[a,b,...]" of n values, rounded, into out. */
static void json_list(char *out, size_t cap, const double *v, int n) {
    size_t u = (size_t)snprintf(out, cap, "[");
    for (int i = 0; i < n && u + 24 < cap; i++) u += (size_t)snprintf(out + u, cap - u, "%s%.0f", i ? "," : "", v[i]);
    snprintf(out + u, cap - u, "]");
}

static int read_full(int fd, void *buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        got += (size_t)n;
    }
    return 0;
}

/* The child's side: first call, timed calls, flush, report, exit. The
 * parent's queue is the child's own from its first call on; freeing it here
 * frees the child's queue only. */
static void fork_child(ua_queue *q, const struct qargs *a, const char *body, uint64_t *lat, int out) {
    struct child_report r;
    memset(&r, 0, sizeof r);
    uint64_t s = bench_now_ns();
    r.errors = enqueue_one(q, body);
    r.first_ns = bench_now_ns() - s;
    r.errors += (int)bench_enqueue_per_call(q, body, a->events, lat);
    r.mean_ns = mean_of(lat, a->events);
    r.p50_ns = pct_ns(lat, a->events, 50, 0);
    r.p99_ns = pct_ns(lat, a->events, 99, 1);
    r.flush_ok = ua_queue_flush(q, (uint32_t)a->flush_timeout_ms) == UA_OK;
    r.c = read_counters(q);
    ua_queue_close(q, 5000);
    ua_queue_free(q);
    _exit(write(out, &r, sizeof r) == (ssize_t)sizeof r ? 0 : 3);
}

static int mode_fork(const struct qargs *a, const char *body, size_t body_len) {
    uint64_t cap_bytes = 0;
    long errors = 0;
    ua_queue *q = warmed_queue(a, body, body_len, &cap_bytes, &errors);
    uint64_t *lat = malloc(sizeof(uint64_t) * (size_t)(2 * a->events));
    uint64_t *child_lat = malloc(sizeof(uint64_t) * (size_t)a->events);
    if (!lat || !child_lat) bench_die("out of memory");
    errors += bench_enqueue_per_call(q, body, a->events, lat);

    int n = a->children, ok = 0;
    double first[64] = {0}, first_sorted[64] = {0}, p50[64] = {0}, p99[64] = {0}, mean[64] = {0}, fork_us[64] = {0};
    for (int k = 0; k < n; k++) {
        int fds[2];
        if (pipe(fds) != 0) bench_die("pipe failed");
        uint64_t f0 = bench_now_ns();
        pid_t pid = fork();
        if (pid < 0) bench_die("fork failed");
        if (pid == 0) {
            close(fds[0]);
            fork_child(q, a, body, child_lat, fds[1]);
        }
        fork_us[k] = (double)(bench_now_ns() - f0) / 1000.0;
        close(fds[1]);
        struct child_report r;
        int got = read_full(fds[0], &r, sizeof r);
        close(fds[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        long want = a->events + 1;
        int sane = got == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && r.flush_ok && !r.errors &&
                   (long)r.c.enqueued == want && (long)r.c.delivered == want && r.c.pending == 0 &&
                   r.c.recovered == 0 && identity_holds(r.c);
        if (!sane) {
            fprintf(stderr, "bench_queue: child %d: exit %d, flush %s, errors %d, enqueued %llu, delivered %llu\n", k,
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1, r.flush_ok ? "ok" : "not ok", r.errors,
                    (unsigned long long)r.c.enqueued, (unsigned long long)r.c.delivered);
            continue;
        }
        first[ok] = (double)r.first_ns;
        p50[ok] = r.p50_ns;
        p99[ok] = r.p99_ns;
        mean[ok] = r.mean_ns;
        ok++;
    }
    errors += bench_enqueue_per_call(q, body, a->events, lat + a->events);
    ua_code fc = ua_queue_flush(q, (uint32_t)a->flush_timeout_ms);
    struct counters c = read_counters(q);
    ua_code cc = ua_queue_close(q, 5000);
    ua_queue_free(q);

    long passes = 2 * a->events;
    double parent_mean = mean_of(lat, passes);
    double parent_p50 = pct_ns(lat, passes, 50, 0), parent_p99 = pct_ns(lat, passes, 99, 1);
    char firsts[2048];
    json_list(firsts, sizeof firsts, first, ok);
    memcpy(first_sorted, first, sizeof(double) * (size_t)ok);
    qsort(first_sorted, (size_t)ok, sizeof(double), cmp_double);
    double fork_median = median_of(fork_us, n);
    long expected = a->warmup + passes - errors;
    long undelivered = undelivered_of(c, expected);
    char extra[4096];
    size_t used = (size_t)snprintf(
        extra, sizeof extra,
        "{\"label\":\"%s\",\"mode\":\"fork\",\"threads\":1,\"workers\":%d,\"spool\":%s,\"events\":%ld,"
        "\"children\":%d,\"children_ok\":%d,\"errors\":%ld,\"parent_p50_ns\":%.0f,\"parent_p99_ns\":%.0f,"
        "\"parent_mean_ns\":%.1f,\"child_first_ns\":%.0f,\"child_first_min_ns\":%.0f,\"child_first_max_ns\":%.0f,"
        "\"child_first_all_ns\":%s,\"child_p50_ns\":%.0f,\"child_p99_ns\":%.0f,\"child_mean_ns\":%.1f,"
        "\"fork_us\":%.0f,\"flush\":\"%s\",\"close\":\"%s\",\"undelivered\":%ld,\"version\":\"%s\",",
        a->label, a->workers, a->spool_dir ? "true" : "false", a->events, n, ok, errors, parent_p50, parent_p99,
        parent_mean, median_of(first, ok), ok ? first_sorted[0] : 0.0, ok ? first_sorted[ok - 1] : 0.0, firsts,
        median_of(p50, ok), median_of(p99, ok), median_of(mean, ok), fork_median, ua_code_name(fc), ua_code_name(cc),
        undelivered, ua_version());
    used += put_counters(extra + used, sizeof extra - used, c);
    printf("%s}\n", extra);
    fflush(stdout);
    free(lat);
    free(child_lat);
    return errors || undelivered || ok != n || !identity_holds(c) ? 1 : 0;
}

/* ---- mode adopt ---- */

/* A loopback URL nothing listens on (a port the kernel gave out, then closed). */
static void closed_port_endpoint(char *out, size_t cap) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
        bench_die("could not find a free loopback port");
    snprintf(out, cap, "http://127.0.0.1:%d/rest/ua", ntohs(addr.sin_port));
    close(fd);
}

static int mode_adopt(const struct qargs *a, const char *body) {
    if (!a->spool_dir) bench_die("--mode adopt needs --spool-dir");
    char dead[128];
    closed_port_endpoint(dead, sizeof dead);
    ua_queue *q = make_queue(a, a->endpoint, a->events + 16, (uint64_t)64 << 20, 0);
    double adopt_ms[100] = {0}, deliver_ms[100] = {0}, adopt_sorted[100] = {0}, deliver_sorted[100] = {0};
    int done = 0;
    long errors = 0;
    for (int r = 0; r < a->rounds; r++) {
        int fds[2];
        if (pipe(fds) != 0) bench_die("pipe failed");
        pid_t pid = fork();
        if (pid < 0) bench_die("fork failed");
        if (pid == 0) {
            /* A worker whose deliveries are refused: its own queue on the directory. */
            close(fds[0]);
            ua_queue *mine = make_queue(a, dead, a->events + 16, (uint64_t)64 << 20, 0);
            long refused = 0;
            for (long i = 0; i < a->events; i++) refused += enqueue_one(mine, body);
            char ready = refused ? 'x' : 'r';
            if (write(fds[1], &ready, 1) != 1) _exit(3);
            for (;;) pause();
        }
        close(fds[1]);
        char ready = 0;
        if (read_full(fds[0], &ready, 1) != 0 || ready != 'r') {
            fprintf(stderr, "bench_queue: round %d: the worker did not enqueue its events\n", r);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            close(fds[0]);
            errors++;
            continue;
        }
        close(fds[0]);
        struct timespec stagger = {(r * a->stagger_ms) / 1000, ((r * a->stagger_ms) % 1000) * 1000000L};
        nanosleep(&stagger, NULL);
        struct counters before = read_counters(q);
        uint64_t t0 = bench_now_ns(), recovered_at = 0, delivered_at = 0;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        while (bench_now_ns() - t0 < 60000000000ull) {
            struct counters now = read_counters(q);
            uint64_t t = bench_now_ns();
            if (!recovered_at && now.recovered >= before.recovered + (uint64_t)a->events) recovered_at = t;
            if (now.delivered >= before.delivered + (uint64_t)a->events) {
                delivered_at = t;
                break;
            }
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        if (!delivered_at) {
            fprintf(stderr, "bench_queue: round %d: the killed worker's events were not delivered within 60 s\n", r);
            errors++;
            continue;
        }
        adopt_ms[done] = (double)((recovered_at ? recovered_at : delivered_at) - t0) / 1e6;
        deliver_ms[done] = (double)(delivered_at - t0) / 1e6;
        done++;
    }
    ua_code fc = ua_queue_flush(q, (uint32_t)a->flush_timeout_ms);
    struct counters c = read_counters(q);
    ua_code cc = ua_queue_close(q, 5000);
    ua_queue_free(q);
    char adopts[2048], delivers[2048];
    json_list(adopts, sizeof adopts, adopt_ms, done);
    json_list(delivers, sizeof delivers, deliver_ms, done);
    memcpy(adopt_sorted, adopt_ms, sizeof(double) * (size_t)done);
    memcpy(deliver_sorted, deliver_ms, sizeof(double) * (size_t)done);
    double adopt_median = median_of(adopt_sorted, done), deliver_median = median_of(deliver_sorted, done);
    double deliver_max = done ? deliver_sorted[done - 1] : 0.0;
    long expected = (long)done * a->events;
    long undelivered = undelivered_of(c, expected);
    char extra[8192];
    size_t used = (size_t)snprintf(
        extra, sizeof extra,
        "{\"label\":\"%s\",\"mode\":\"adopt\",\"threads\":1,\"workers\":%d,\"events\":%ld,\"kills\":%d,"
        "\"stagger_ms\":%ld,"
        "\"kills_ok\":%d,\"errors\":%ld,\"adopt_ms_all\":%s,\"deliver_ms_all\":%s,\"adopt_ms\":%.1f,"
        "\"deliver_ms\":%.1f,\"deliver_max_ms\":%.1f,\"flush\":\"%s\",\"close\":\"%s\",\"undelivered\":%ld,"
        "\"version\":\"%s\",",
        a->label, a->workers, a->events, a->rounds, a->stagger_ms, done, errors, adopts, delivers, adopt_median,
        deliver_median, deliver_max, ua_code_name(fc), ua_code_name(cc),
        undelivered, ua_version());
    used += put_counters(extra + used, sizeof extra - used, c);
    printf("%s}\n", extra);
    fflush(stdout);
    return errors || undelivered || done != a->rounds || !identity_holds(c) ? 1 : 0;
}

int main(int argc, char **argv) {
    struct qargs a;
    parse(argc, argv, &a);
    size_t body_len = 0;
    char *body = bench_read_file(a.event_file, &body_len);
    if (!strcmp(a.mode, "enqueue")) return mode_enqueue(&a, body, body_len);
    if (!strcmp(a.mode, "throughput")) return mode_throughput(&a, body);
    if (!strcmp(a.mode, "outage")) return mode_outage(&a, body);
    if (!strcmp(a.mode, "memory")) return mode_memory(&a, body);
    if (!strcmp(a.mode, "offered")) return mode_offered(&a, body);
    if (!strcmp(a.mode, "backlog")) return mode_backlog(&a, body);
    if (!strcmp(a.mode, "fork")) return mode_fork(&a, body, body_len);
    if (!strcmp(a.mode, "adopt")) return mode_adopt(&a, body);
    bench_die("--mode is enqueue, throughput, outage, memory, offered, backlog, fork or adopt");
    return 2;
}
