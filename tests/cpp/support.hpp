// support.hpp: what the C++ test files share: the private emulator they run
// against, the keys it knows, a valid event, option and fault helpers, THROWN
// and RUN_CPP. The emulator helpers themselves are the C tests' (tests/c).
#ifndef COVEO_UA_TEST_CPP_SUPPORT_HPP
#define COVEO_UA_TEST_CPP_SUPPORT_HPP

#include <coveo_ua.hpp>

#include <cstdint>
#include <exception>
#include <string>

#include "emulator_process.h"
#include "harness.h"

// The emulator is started with these (test_wrapper.cpp's main).
inline constexpr const char *kOrg = "test-org";
inline constexpr const char *kToken = "xx-test-key";
inline constexpr const char *kCustomEvent = R"({"eventType":"cpp","eventValue":"v","language":"en"})";

extern emu_process emulator;

// Options aimed at the test emulator, with quick retries and generous
// timeouts (valgrind makes everything much slower).
coveo::ua::Options test_options(const char *token = kToken, std::uint32_t retries = 0);

// Clears the fault rules and the event log; a failure fails the running test.
void reset_emulator();

// Appends a fault rule; a refusal fails the running test.
void add_fault(const char *rule);

// An endpoint on 127.0.0.1 where nothing listens (a port just closed).
std::string closed_port_endpoint();

// Runs `action`, which must throw coveo::ua::Error with `code`; returns it.
// A wrong code, or no exception, fails the running test at `file`:`line`.
template <typename Action>
coveo::ua::Error thrown(const char *file, int line, Action action, ua_code code) {
    try {
        action();
    } catch (const coveo::ua::Error &e) {
        if (e.code() != code) th_fail(file, line, "Error %s (%s), expected %s", ua_code_name(e.code()), e.what(), ua_code_name(code));
        return e;
    }
    th_fail(file, line, "no exception; expected %s", ua_code_name(code));
    return coveo::ua::Error(UA_OK, "nothing was thrown");
}
#define THROWN(action, code) thrown(__FILE__, __LINE__, action, code)

// The queue tests (test_queue.cpp), run by main.
void run_queue_tests();

// Like RUN, but an exception escaping the test fails it instead of ending the run.
#define RUN_CPP(test)                                                                    \
    th_run(#test, [] {                                                                   \
        try {                                                                            \
            test();                                                                      \
        } catch (const std::exception &e) {                                              \
            th_fail(__FILE__, __LINE__, "uncaught exception: %s", e.what());             \
        }                                                                                \
    })

#endif
