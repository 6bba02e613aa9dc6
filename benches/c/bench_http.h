/*
 * The smallest HTTP/1.1 client pieces the raw-socket floor needs: split a
 * loopback http:// URL, connect with TCP_NODELAY, and read one response framed
 * by Content-Length. Only what a keep-alive benchmark against a known server
 * needs; not a general HTTP client.
 */
#ifndef BENCH_HTTP_H
#define BENCH_HTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_common.h"

/* host/port/path of an http:// URL such as http://127.0.0.1:8080/rest/ua. */
struct bench_url {
    char host[300];
    int port;
    char path[1024];
};

static inline int bench_split_url(const char *url, struct bench_url *u) {
    const char *p = url;
    if (strncmp(p, "http://", 7) != 0) return -1;
    p += 7;
    const char *slash = strchr(p, '/');
    size_t hostport_len = slash ? (size_t)(slash - p) : strlen(p);
    char hostport[300];
    if (hostport_len == 0 || hostport_len >= sizeof hostport) return -1;
    memcpy(hostport, p, hostport_len);
    hostport[hostport_len] = '\0';
    char *colon = strrchr(hostport, ':');
    u->port = 80;
    if (colon) {
        *colon = '\0';
        u->port = atoi(colon + 1);
    }
    snprintf(u->host, sizeof u->host, "%s", hostport);
    snprintf(u->path, sizeof u->path, "%s", slash ? slash : "/");
    /* Drop a trailing slash so path + "/v15/..." has exactly one. */
    size_t pl = strlen(u->path);
    if (pl > 0 && u->path[pl - 1] == '/') u->path[pl - 1] = '\0';
    return u->port > 0 && u->port < 65536 ? 0 : -1;
}

/* Connects to an IPv4 loopback host; exits the program on failure. */
static inline int bench_connect(const struct bench_url *u) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)u->port);
    const char *host = strcmp(u->host, "localhost") == 0 ? "127.0.0.1" : u->host;
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) bench_die("floor supports IPv4 literal hosts only");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) bench_die("socket() failed");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {10, 0}; /* no read may hang the benchmark forever */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) bench_die("connect() failed");
    return fd;
}

static inline int bench_write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Reads one response from fd into buf (capacity cap). Returns the HTTP status,
 * or -1 on a connection error, a response without Content-Length, or one that
 * does not fit. Bytes past the response are not expected (one request in flight).
 */
static inline int bench_read_response(int fd, char *buf, size_t cap) {
    size_t have = 0;
    char *head_end = NULL;
    while (!head_end) {
        if (have + 1 >= cap) return -1;
        ssize_t n = recv(fd, buf + have, cap - have - 1, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            return -1;
        }
        have += (size_t)n;
        buf[have] = '\0';
        head_end = strstr(buf, "\r\n\r\n");
    }
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) return -1;
    long clen = -1;
    for (char *line = strstr(buf, "\r\n"); line && line < head_end; line = strstr(line + 2, "\r\n")) {
        if (!strncasecmp(line + 2, "content-length:", 15)) {
            clen = strtol(line + 2 + 15, NULL, 10);
            break;
        }
    }
    if (clen < 0) return -1;
    size_t total = (size_t)(head_end + 4 - buf) + (size_t)clen;
    if (total >= cap) return -1;
    while (have < total) {
        ssize_t n = recv(fd, buf + have, total - have, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            return -1;
        }
        have += (size_t)n;
    }
    return status;
}

#endif
