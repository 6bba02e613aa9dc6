/* support.c: see support.h. */
#define _POSIX_C_SOURCE 200809L

#include "support.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emulator_control.h"
#include "harness.h"

emu_process test_emulator;

static void must(ua_code code, const char *what)
{
    if (code != UA_OK) {
        fprintf(stderr, "support: %s failed: %s\n", what, ua_code_name(code));
        abort();
    }
}

ua_options *test_options(const char *token, uint32_t retries)
{
    ua_options *options = ua_options_new();

    if (options == NULL) {
        fprintf(stderr, "support: ua_options_new returned NULL\n");
        abort();
    }
    must(ua_options_set_endpoint(options, test_emulator.endpoint), "set_endpoint");
    if (token != NULL)
        must(ua_options_set_token(options, token), "set_token");
    must(ua_options_set_max_retries(options, retries), "set_max_retries");
    must(ua_options_set_retry_backoff_ms(options, 1, 5), "set_retry_backoff_ms");
    /* Generous: valgrind makes everything 20-50x slower. */
    must(ua_options_set_timeout_ms(options, 30000), "set_timeout_ms");
    must(ua_options_set_deadline_ms(options, 120000), "set_deadline_ms");
    return options;
}

ua_client *test_client(const char *token, uint32_t retries)
{
    ua_options *options = test_options(token, retries);
    ua_client *client = NULL;

    must(ua_client_new(options, &client), "ua_client_new");
    ua_options_free(options);
    return client;
}

void add_fault(const char *rule_json)
{
    if (emu_add_fault(test_emulator.endpoint, rule_json) != 0)
        th_fail(__FILE__, __LINE__, "the emulator refused fault rule %s", rule_json);
}

void reset_emulator(void)
{
    if (emu_clear_faults(test_emulator.endpoint) != 0 || emu_clear_events(test_emulator.endpoint) != 0)
        th_fail(__FILE__, __LINE__, "could not reset the emulator");
}

void closed_port_endpoint(char *buf, size_t size)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    /* Bind to get a free port from the kernel, then close it: nobody listens. */
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        fprintf(stderr, "support: cannot find a free port\n");
        abort();
    }
    close(fd);
    snprintf(buf, size, "http://127.0.0.1:%u/rest/ua", (unsigned)ntohs(addr.sin_port));
}
