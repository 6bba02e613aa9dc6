// support.cpp: see support.hpp.
#include "support.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "emulator_control.h"

emu_process emulator;

coveo::ua::Options test_options(const char *token, std::uint32_t retries) {
    coveo::ua::Options options;
    options.endpoint(emulator.endpoint).token(token).org(kOrg).max_retries(retries).retry_backoff_ms(1, 5)
        .timeout_ms(30000).deadline_ms(120000);
    return options;
}

void reset_emulator() {
    if (emu_clear_faults(emulator.endpoint) != 0 || emu_clear_events(emulator.endpoint) != 0)
        th_fail(__FILE__, __LINE__, "could not reset the emulator");
}

void add_fault(const char *rule) {
    if (emu_add_fault(emulator.endpoint, rule) != 0) th_fail(__FILE__, __LINE__, "fault rule refused: %s", rule);
}

std::string closed_port_endpoint() {
    sockaddr_in addr;
    std::memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    // Bound to get a free port from the kernel, then closed: nobody listens there.
    const bool found = fd >= 0 && bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0 &&
                       getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) == 0;
    if (fd >= 0) close(fd);
    if (!found) throw std::runtime_error("cannot find a free loopback port");
    return "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/rest/ua";
}
