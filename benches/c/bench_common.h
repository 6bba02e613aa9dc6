/*
 * Shared helpers for the C benchmark programs: argument parsing, reading the
 * event body from a file, timing, percentiles, CPU and memory readings, and the
 * one-line JSON result every bench program prints (benches/run.py parses it).
 *
 * Every program measures the same way so rows can be compared: the clock and
 * getrusage(RUSAGE_SELF) are read just before and just after the timed loop,
 * after a warm-up on the same connection, so process start-up, library loading
 * and connection set-up are not counted.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* Command-line settings common to every bench program. */
struct bench_args {
    const char *endpoint;   /* base URL ending in /rest/ua */
    const char *token;      /* API key the server accepts */
    const char *event_file; /* file holding the JSON body to send */
    const char *label;      /* row name echoed in the JSON line */
    long events;            /* timed events (in total, across threads) */
    long warmup;            /* untimed events sent first */
    int threads;            /* threads sharing one client (bench_coveo only) */
    const char *rss_at;     /* comma-separated event counts to sample VmRSS at */
    int no_local_checks;    /* bench_coveo: turn the library's checks before sending off */
};

static inline void bench_die(const char *what) {
    fprintf(stderr, "bench: %s\n", what);
    exit(2);
}

static inline long bench_parse_long(const char *text, const char *name) {
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 0) {
        fprintf(stderr, "bench: %s wants a non-negative integer, got '%s'\n", name, text);
        exit(2);
    }
    return v;
}

static inline void bench_parse_args(int argc, char **argv, struct bench_args *a) {
    memset(a, 0, sizeof *a);
    a->label = "bench";
    a->events = 1000;
    a->warmup = 100;
    a->threads = 1;
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        if (!strcmp(k, "--no-local-checks")) {
            a->no_local_checks = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "bench: option %s needs a value\n", k);
            exit(2);
        }
        const char *v = argv[++i];
        if (!strcmp(k, "--endpoint")) a->endpoint = v;
        else if (!strcmp(k, "--token")) a->token = v;
        else if (!strcmp(k, "--event-file")) a->event_file = v;
        else if (!strcmp(k, "--label")) a->label = v;
        else if (!strcmp(k, "--events")) a->events = bench_parse_long(v, k);
        else if (!strcmp(k, "--warmup")) a->warmup = bench_parse_long(v, k);
        else if (!strcmp(k, "--threads")) a->threads = (int)bench_parse_long(v, k);
        else if (!strcmp(k, "--rss-at")) a->rss_at = v;
        else {
            fprintf(stderr, "bench: unknown option %s\n", k);
            exit(2);
        }
    }
    if (!a->endpoint || !a->token || !a->event_file)
        bench_die("--endpoint, --token and --event-file are required");
    if (a->events < 1) bench_die("--events must be at least 1");
    if (a->threads < 1 || a->threads > 64) bench_die("--threads must be 1..64");
}

/* Reads a whole file into a NUL-terminated buffer; trailing newlines dropped. */
static inline char *bench_read_file(const char *path, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench: cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf) bench_die("out of memory");
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf) bench_die("out of memory");
        }
    }
    fclose(f);
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) len--;
    buf[len] = '\0';
    if (len_out) *len_out = len;
    return buf;
}

static inline uint64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* User and system CPU of the whole process (all threads), in microseconds. */
struct bench_cpu {
    uint64_t user_us, sys_us;
};

static inline struct bench_cpu bench_cpu_now(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    struct bench_cpu c = {(uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec,
                          (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec};
    return c;
}

/* CPU spent between two readings. */
static inline struct bench_cpu bench_cpu_since(struct bench_cpu before) {
    struct bench_cpu now = bench_cpu_now();
    struct bench_cpu d = {now.user_us - before.user_us, now.sys_us - before.sys_us};
    return d;
}

static inline long bench_maxrss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Current resident set size from /proc/self/status (VmRSS), in KiB; -1 if unreadable. */
static inline long bench_vmrss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6)) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

static inline int bench_cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile (p in 0..100) of n samples; sorts the array in place. */
static inline double bench_percentile_us(uint64_t *ns, long n, double p, int sorted) {
    if (n <= 0) return 0.0;
    if (!sorted) qsort(ns, (size_t)n, sizeof *ns, bench_cmp_u64);
    long rank = (long)((p / 100.0) * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return (double)ns[rank - 1] / 1000.0;
}

/* What one timed run produced; printed as one JSON line on stdout. */
struct bench_result {
    const char *label;
    int threads;
    long events;
    long errors;
    uint64_t wall_ns;
    struct bench_cpu cpu; /* spent in the timed loop */
    uint64_t *lat_ns; /* may be NULL when latencies were not recorded */
    long lat_n;
    const char *extra_json; /* extra "key":value pairs, or NULL */
};

static inline double bench_per(uint64_t total, long events) {
    return events > 0 ? (double)total / (double)events : 0.0;
}

static inline void bench_print_result(struct bench_result *r) {
    double secs = (double)r->wall_ns / 1e9;
    double p50 = 0, p99 = 0;
    if (r->lat_ns && r->lat_n > 0) {
        p50 = bench_percentile_us(r->lat_ns, r->lat_n, 50.0, 0);
        p99 = bench_percentile_us(r->lat_ns, r->lat_n, 99.0, 1);
    }
    printf("{\"label\":\"%s\",\"threads\":%d,\"events\":%ld,\"errors\":%ld,"
           "\"seconds\":%.6f,\"events_per_s\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
           "\"cpu_us_per_event\":%.3f,\"cpu_user_us_per_event\":%.3f,\"cpu_sys_us_per_event\":%.3f,"
           "\"maxrss_kb\":%ld%s%s}\n",
           r->label, r->threads, r->events, r->errors, secs,
           secs > 0 ? (double)r->events / secs : 0.0, p50, p99,
           bench_per(r->cpu.user_us + r->cpu.sys_us, r->events), bench_per(r->cpu.user_us, r->events),
           bench_per(r->cpu.sys_us, r->events),
           bench_maxrss_kb(), r->extra_json ? "," : "", r->extra_json ? r->extra_json : "");
    fflush(stdout);
}

#endif
