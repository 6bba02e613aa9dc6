/*
 * A minimal loopback HTTP/1.1 server for the benchmark, used when ua-emulator
 * cannot keep up with the socket floor (benches/run.py decides). One thread
 * per connection, keep-alive, bodies framed by Content-Length; every request
 * gets a 200 with a small JSON body shaped like the service's success answer.
 * It checks nothing: it exists only to make the server's cost small and fixed.
 *
 * Usage: bench_server [PORT]   (0 or nothing: a free port)
 * Prints "bench-server listening on http://127.0.0.1:PORT/rest/ua" once ready.
 */
#include <pthread.h>
#include <signal.h>

#include "bench_http.h"

static const char k_answer_body[] =
    "{\"visitId\":\"8b1f7a4e-5c3d-4e2a-9f10-2d6c0b7e9a11\","
    "\"visitorId\":\"3c2e9d7f-1a4b-4c8e-b5d6-7f8091a2b3c4\","
    "\"clientId\":\"3c2e9d7f-1a4b-4c8e-b5d6-7f8091a2b3c4\"}";

/* Serves one connection until the peer closes it or sends garbage. */
static void *serve(void *arg) {
    int fd = (int)(intptr_t)arg;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char answer[512];
    int answer_len = snprintf(answer, sizeof answer,
                              "HTTP/1.1 200 OK\r\n"
                              "Content-Type: application/json\r\n"
                              "Content-Length: %zu\r\n\r\n%s",
                              sizeof k_answer_body - 1, k_answer_body);
    size_t cap = 1 << 20; /* the emulator's default body limit */
    char *buf = malloc(cap + 1);
    size_t have = 0;
    while (buf) {
        char *head_end = NULL;
        while (!(head_end = have ? strstr(buf, "\r\n\r\n") : NULL)) {
            if (have >= cap) goto done;
            ssize_t n = recv(fd, buf + have, cap - have, 0);
            if (n <= 0) goto done;
            have += (size_t)n;
            buf[have] = '\0';
        }
        long clen = 0;
        for (char *line = strstr(buf, "\r\n"); line && line < head_end; line = strstr(line + 2, "\r\n"))
            if (!strncasecmp(line + 2, "content-length:", 15)) clen = strtol(line + 17, NULL, 10);
        size_t need = (size_t)(head_end + 4 - buf) + (size_t)(clen > 0 ? clen : 0);
        if (need > cap) goto done;
        while (have < need) {
            ssize_t n = recv(fd, buf + have, cap - have, 0);
            if (n <= 0) goto done;
            have += (size_t)n;
        }
        if (bench_write_all(fd, answer, (size_t)answer_len) != 0) goto done;
        /* Keep whatever the client already sent after this request. */
        memmove(buf, buf + need, have - need);
        have -= need;
        buf[have] = '\0';
    }
done:
    free(buf);
    close(fd);
    return NULL;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    signal(SIGPIPE, SIG_IGN);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 128) != 0) bench_die("bind/listen failed");
    socklen_t sl = sizeof sa;
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    printf("bench-server listening on http://127.0.0.1:%d/rest/ua\n", ntohs(sa.sin_port));
    fflush(stdout);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR) continue;
            bench_die("accept failed");
        }
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        if (pthread_create(&t, &attr, serve, (void *)(intptr_t)fd) != 0) close(fd);
        pthread_attr_destroy(&attr);
    }
}
