/*
 * emulator_control.c: see emulator_control.h. Plain POSIX sockets, one
 * connection per request ("Connection: close"), so the answer ends at EOF.
 */
#define _POSIX_C_SOURCE 200809L

#include "emulator_control.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* Each connect, send and receive gives up after this long. */
#define EMU_IO_TIMEOUT_SECONDS 5
/* The event log of a test run is small; refuse anything absurdly larger. */
#define EMU_MAX_ANSWER_BYTES (64u * 1024u * 1024u)

/* Splits "http://host:port/..." into host and port. 0 on success. */
static int split_endpoint(const char *endpoint, char *host, size_t host_size,
                          char *port, size_t port_size)
{
    const char *p, *host_end, *port_start, *port_end;
    size_t host_len, port_len;

    if (strncmp(endpoint, "http://", 7) != 0)
        return -1;
    p = endpoint + 7;
    if (*p == '[') { /* IPv6 literal, e.g. [::1]:8080 */
        host_end = strchr(p, ']');
        if (host_end == NULL)
            return -1;
        p++;
        port_start = host_end + 1;
    } else {
        host_end = p + strcspn(p, ":/");
        port_start = host_end;
    }
    if (*port_start != ':')
        return -1;
    port_start++;
    port_end = port_start + strcspn(port_start, "/");
    host_len = (size_t)(host_end - p);
    port_len = (size_t)(port_end - port_start);
    if (host_len == 0 || host_len >= host_size || port_len == 0 || port_len >= port_size)
        return -1;
    memcpy(host, p, host_len);
    host[host_len] = '\0';
    memcpy(port, port_start, port_len);
    port[port_len] = '\0';
    return 0;
}

static int connect_with_deadline(const char *host, const char *port)
{
    struct addrinfo hints, *found = NULL, *ai;
    struct timeval tv;
    int fd = -1;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if (getaddrinfo(host, port, &hints, &found) != 0)
        return -1;
    tv.tv_sec = EMU_IO_TIMEOUT_SECONDS;
    tv.tv_usec = 0;
    for (ai = found; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        /* On Linux SO_SNDTIMEO also bounds connect(). */
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(found);
    return fd;
}

static int send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Case-insensitive search for `needle` (lowercase) in the first `len` bytes. */
static const char *find_header(const char *head, size_t len, const char *needle)
{
    size_t n = strlen(needle), i, j;

    for (i = 0; i + n <= len; i++) {
        for (j = 0; j < n; j++) {
            char c = head[i + j];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c != needle[j])
                break;
        }
        if (j == n)
            return head + i + n;
    }
    return NULL;
}

/*
 * True once `buf` holds a whole answer: the head plus Content-Length bytes, or
 * the last chunk of a chunked body. Without either, the answer ends at EOF.
 */
static int answer_complete(const char *buf, size_t len)
{
    const char *end_of_head = strstr(buf, "\r\n\r\n");
    const char *value;
    size_t head_len;

    if (end_of_head == NULL)
        return 0;
    head_len = (size_t)(end_of_head - buf);
    value = find_header(buf, head_len, "\r\ncontent-length:");
    if (value != NULL)
        return len - head_len - 4 >= strtoul(value, NULL, 10);
    if (find_header(buf, head_len, "\r\ntransfer-encoding: chunked") != NULL)
        return len >= 5 && memcmp(buf + len - 5, "0\r\n\r\n", 5) == 0;
    return 0;
}

/* Reads one answer into a malloc'd, NUL-terminated buffer. */
static char *receive_answer(int fd, size_t *out_len)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);

    if (buf == NULL)
        return NULL;
    for (;;) {
        ssize_t n;
        if (cap - len < 1024) {
            char *bigger;
            if (cap >= EMU_MAX_ANSWER_BYTES)
                goto fail;
            bigger = realloc(buf, cap * 2);
            if (bigger == NULL)
                goto fail;
            buf = bigger;
            cap *= 2;
        }
        n = recv(fd, buf + len, cap - len - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail; /* includes the receive timeout */
        if (n == 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        if (answer_complete(buf, len))
            break;
    }
    buf[len] = '\0';
    *out_len = len;
    return buf;
fail:
    free(buf);
    return NULL;
}

/* Removes chunk framing in place; returns the new length. */
static size_t dechunk(char *body, size_t len)
{
    size_t in = 0, out = 0;

    while (in < len) {
        char *end;
        unsigned long size = strtoul(body + in, &end, 16);
        char *line_end = strstr(body + in, "\r\n");
        if (line_end == NULL || end == body + in || size == 0)
            break;
        in = (size_t)(line_end - body) + 2;
        if (size > len - in)
            size = len - in;
        memmove(body + out, body + in, size);
        out += size;
        in += size + 2; /* the CRLF after the chunk */
    }
    body[out] = '\0';
    return out;
}

/* Performs one request; returns the status and a malloc'd body (or NULL). */
static int do_request(const char *endpoint, const char *method, const char *path,
                      const char *json_body, char **out_body)
{
    char host[256], port[16], head[1024];
    const char *body = json_body != NULL ? json_body : "";
    char *answer, *body_start;
    size_t answer_len, body_len;
    int fd, status, head_len;

    *out_body = NULL;
    if (split_endpoint(endpoint, host, sizeof host, port, sizeof port) != 0) {
        fprintf(stderr, "emulator_control: not a plain-HTTP endpoint: %s\n", endpoint);
        return -1;
    }
    fd = connect_with_deadline(host, port);
    if (fd < 0) {
        fprintf(stderr, "emulator_control: cannot connect to %s:%s\n", host, port);
        return -1;
    }
    head_len = snprintf(head, sizeof head,
                        "%s /_emulator/%s HTTP/1.1\r\nHost: %s:%s\r\n"
                        "Content-Type: application/json\r\nContent-Length: %lu\r\n"
                        "Connection: close\r\n\r\n",
                        method, path, host, port, (unsigned long)strlen(body));
    if (head_len < 0 || (size_t)head_len >= sizeof head || send_all(fd, head, (size_t)head_len) != 0 ||
        send_all(fd, body, strlen(body)) != 0) {
        fprintf(stderr, "emulator_control: cannot send %s /_emulator/%s\n", method, path);
        close(fd);
        return -1;
    }
    answer = receive_answer(fd, &answer_len);
    close(fd);
    if (answer == NULL || sscanf(answer, "HTTP/1.%*d %d", &status) != 1) {
        fprintf(stderr, "emulator_control: no HTTP answer to %s /_emulator/%s\n", method, path);
        free(answer);
        return -1;
    }
    body_start = strstr(answer, "\r\n\r\n");
    if (body_start != NULL) {
        int chunked = find_header(answer, (size_t)(body_start - answer), "\r\ntransfer-encoding: chunked") != NULL;
        body_start += 4;
        body_len = answer_len - (size_t)(body_start - answer);
        memmove(answer, body_start, body_len + 1);
        if (chunked)
            dechunk(answer, body_len);
    } else {
        answer[0] = '\0';
    }
    *out_body = answer;
    return status;
}

int emu_request(const char *endpoint, const char *method, const char *path,
                const char *json_body, char *response, size_t response_size)
{
    char *body;
    int status = do_request(endpoint, method, path, json_body, &body);

    if (response != NULL && response_size > 0) {
        response[0] = '\0';
        if (body != NULL) {
            strncpy(response, body, response_size - 1);
            response[response_size - 1] = '\0';
        }
    }
    free(body);
    return status;
}

static int expect_2xx(int status, const char *what)
{
    if (status >= 200 && status < 300)
        return 0;
    fprintf(stderr, "emulator_control: %s answered %d\n", what, status);
    return -1;
}

int emu_add_fault(const char *endpoint, const char *rule_json)
{
    return expect_2xx(emu_request(endpoint, "POST", "faults", rule_json, NULL, 0), "POST faults");
}

int emu_clear_faults(const char *endpoint)
{
    return expect_2xx(emu_request(endpoint, "DELETE", "faults", NULL, NULL, 0), "DELETE faults");
}

int emu_clear_events(const char *endpoint)
{
    return expect_2xx(emu_request(endpoint, "DELETE", "events", NULL, NULL, 0), "DELETE events");
}

long emu_count_events(const char *endpoint)
{
    char *body, *p;
    long count = 0;
    int status = do_request(endpoint, "GET", "events", NULL, &body);

    if (expect_2xx(status, "GET events") != 0 || body == NULL) {
        free(body);
        return -1;
    }
    /* Every logged event carries exactly one "seq" key. */
    for (p = strstr(body, "\"seq\""); p != NULL; p = strstr(p + 5, "\"seq\""))
        count++;
    free(body);
    return count;
}
