/*
 * libcurl baseline: one easy handle reused for every event, so the connection
 * stays alive between requests, sending the same POST and headers as coveo-ua.
 * The answer body is collected (as a library must, to read visitorId) but not
 * parsed.
 */
#include <curl/curl.h>

#include "bench_common.h"

struct sink {
    char buf[65536];
    size_t len;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *userp) {
    struct sink *s = userp;
    size_t n = size * nmemb;
    size_t room = sizeof s->buf - 1 - s->len;
    size_t take = n < room ? n : room;
    memcpy(s->buf + s->len, data, take);
    s->len += take;
    s->buf[s->len] = '\0';
    return n;
}

/* Sends one event; returns the HTTP status, or -1 if libcurl failed. */
static long send_one(CURL *h, struct sink *s) {
    s->len = 0;
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        fprintf(stderr, "bench_curl: %s\n", curl_easy_strerror(rc));
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

/* The timed loop; kept out of line so callgrind can toggle on it. */
__attribute__((noinline)) long bench_timed_loop(CURL *h, struct sink *s, long n, uint64_t *lat) {
    long errors = 0;
    for (long i = 0; i < n; i++) {
        uint64_t t = bench_now_ns();
        if (send_one(h, s) != 200) errors++;
        lat[i] = bench_now_ns() - t;
    }
    return errors;
}

int main(int argc, char **argv) {
    struct bench_args a;
    bench_parse_args(argc, argv, &a);
    if (a.threads != 1) bench_die("bench_curl is single-threaded");
    size_t body_len;
    char *body = bench_read_file(a.event_file, &body_len);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) bench_die("curl_global_init failed");
    CURL *h = curl_easy_init();
    if (!h) bench_die("curl_easy_init failed");
    char url[2048], auth[1024];
    snprintf(url, sizeof url, "%s/v15/analytics/custom", a.endpoint);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", a.token);
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    hdrs = curl_slist_append(hdrs, auth);
    hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
    struct sink sink;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "coveo-ua-bench-curl/1");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);

    for (long i = 0; i < a.warmup; i++) {
        long st = send_one(h, &sink);
        if (st != 200) {
            fprintf(stderr, "bench_curl: warm-up answer %ld: %.300s\n", st, sink.buf);
            return 1;
        }
    }
    uint64_t *lat = malloc(sizeof(uint64_t) * (size_t)a.events);
    if (!lat) bench_die("out of memory");
    struct bench_cpu cpu0 = bench_cpu_now();
    uint64_t t0 = bench_now_ns();
    long errors = bench_timed_loop(h, &sink, a.events, lat);
    uint64_t t1 = bench_now_ns();
    struct bench_cpu cpu = bench_cpu_since(cpu0);
    char extra[128];
    snprintf(extra, sizeof extra, "\"version\":\"%s\"", curl_version_info(CURLVERSION_NOW)->version);
    struct bench_result r = {a.label, 1, a.events, errors, t1 - t0, cpu, lat, a.events, extra};
    bench_print_result(&r);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    curl_global_cleanup();
    return errors ? 1 : 0;
}
