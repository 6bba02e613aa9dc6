/*
 * The socket floor: the same POST the libraries send, written as prebuilt bytes
 * on one keep-alive TCP connection, with the response read by Content-Length.
 * No HTTP library, no JSON parsing: the fastest a synchronous single-connection
 * client can go against this server, so library rows are compared with it.
 */
#include "bench_http.h"

/* The timed loop; kept out of line so callgrind can toggle on it. */
__attribute__((noinline)) long bench_timed_loop(int fd, const char *req, size_t req_len, long n, uint64_t *lat) {
    static char resp[65536];
    long errors = 0;
    for (long i = 0; i < n; i++) {
        uint64_t s = bench_now_ns();
        if (bench_write_all(fd, req, req_len) != 0) bench_die("send failed");
        int st = bench_read_response(fd, resp, sizeof resp);
        if (st != 200) {
            if (st < 0) bench_die("connection failed mid-run");
            errors++;
        }
        lat[i] = bench_now_ns() - s;
    }
    return errors;
}

int main(int argc, char **argv) {
    struct bench_args a;
    bench_parse_args(argc, argv, &a);
    if (a.threads != 1) bench_die("bench_floor is single-threaded");
    size_t body_len;
    char *body = bench_read_file(a.event_file, &body_len);
    struct bench_url u;
    if (bench_split_url(a.endpoint, &u) != 0) bench_die("endpoint must be http://HOST:PORT/...");

    size_t req_cap = body_len + 2048;
    char *req = malloc(req_cap);
    if (!req) bench_die("out of memory");
    int head = snprintf(req, req_cap,
                        "POST %s/v15/analytics/custom HTTP/1.1\r\n"
                        "Host: %s:%d\r\n"
                        "Content-Type: application/json\r\n"
                        "Accept: application/json\r\n"
                        "Authorization: Bearer %s\r\n"
                        "User-Agent: coveo-ua-bench-floor/1\r\n"
                        "Content-Length: %zu\r\n\r\n",
                        u.path, u.host, u.port, a.token, body_len);
    if (head < 0 || (size_t)head + body_len >= req_cap) bench_die("request too large");
    memcpy(req + head, body, body_len);
    size_t req_len = (size_t)head + body_len;

    int fd = bench_connect(&u);
    static char resp[65536];
    for (long i = 0; i < a.warmup; i++) {
        if (bench_write_all(fd, req, req_len) != 0) bench_die("send failed during warm-up");
        int st = bench_read_response(fd, resp, sizeof resp);
        if (st != 200) {
            fprintf(stderr, "bench_floor: warm-up answer %d: %.300s\n", st, resp);
            return 1;
        }
    }
    uint64_t *lat = malloc(sizeof(uint64_t) * (size_t)a.events);
    if (!lat) bench_die("out of memory");
    struct bench_cpu cpu0 = bench_cpu_now();
    uint64_t t0 = bench_now_ns();
    long errors = bench_timed_loop(fd, req, req_len, a.events, lat);
    uint64_t t1 = bench_now_ns();
    struct bench_cpu cpu = bench_cpu_since(cpu0);
    close(fd);
    struct bench_result r = {a.label, 1, a.events, errors, t1 - t0, cpu, lat, a.events, NULL};
    bench_print_result(&r);
    return errors ? 1 : 0;
}
