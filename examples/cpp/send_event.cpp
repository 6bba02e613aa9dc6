// send_event.cpp: send usage analytics events (one, then a search batch) from
// C++ with coveo-ua, and catch the errors a send or an option can raise.
//
// Reads UA_ENDPOINT, UA_TOKEN and UA_ORG from the environment (demo_env.hpp;
// `make demo` sets them for a local ua-emulator).
//
// Build: g++ -std=c++17 send_event.cpp -lcoveo_ua
#include <coveo_ua.hpp>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "demo_env.hpp"

namespace ua = coveo::ua;

namespace {

// Prints everything an Error carries.
void print_error(const ua::Error &e) {
    std::cout << "   " << e.name() << ": " << e.message() << "\n"
              << "   http status " << e.http_status() << ", type "
              << (e.type().empty() ? "(none)" : e.type()) << ", " << e.attempts() << " attempt(s)\n"
              << "   what to do: " << e.describe() << "\n";
}

}  // namespace

int main() {
    const std::optional<DemoEnv> env = read_demo_env();
    if (!env) return EXIT_FAILURE;
    std::cout << "coveo-ua " << ua::version() << " (C++), endpoint " << env->endpoint << "\n";

    ua::Options options = env->options();
    options.max_retries(2).retry_backoff_ms(50, 500);
    const ua::Client client(options);  // copies the options; share it between threads

    int surprises = 0;

    std::cout << "== an accepted event\n";
    try {
        ua::Result result = client.send(ua::EventKind::Custom,
                                        R"({"eventType":"demo","eventValue":"send_event.cpp","language":"en"})");
        std::cout << "   UA_OK: visitor " << result.visitor_id() << " (" << result.attempts() << " attempt(s))\n";
    } catch (const ua::Error &e) {
        print_error(e);
        ++surprises;
    }

    std::cout << "== two search events in one request\n";
    try {
        const std::string search = R"({"actionCause":"searchboxSubmit","language":"en","queryText":"demo",)"
                                   R"("responseTime":12,"searchQueryUid":"7d1f0c2a-3b4e-4c5d-8e9f-0a1b2c3d4e5f"})";
        ua::Result result = client.send_search_batch("[" + search + "," + search + "]");
        std::cout << "   UA_OK: visitor " << result.visitor_id() << ", answer " << result.body() << "\n";
    } catch (const ua::Error &e) {
        print_error(e);
        ++surprises;
    }

    std::cout << "== a batch whose second search lacks its fields (refused before sending)\n";
    try {
        client.send_search_batch(R"([{"actionCause":"searchboxSubmit","language":"en","queryText":"q",)"
                                 R"("responseTime":1,"searchQueryUid":"7d1f0c2a-3b4e-4c5d-8e9f-0a1b2c3d4e5f"},)"
                                 R"({"language":"en"}])");
        ++surprises;
    } catch (const ua::Error &e) {
        print_error(e);
        if (e.code() != UA_MISSING_PARAMETER) ++surprises;
    }

    std::cout << "== an endpoint the library refuses (plain http to a public host)\n";
    try {
        ua::Options().endpoint("http://analytics.example.com/rest/ua");
        ++surprises;
    } catch (const ua::Error &e) {
        std::cout << "   " << e.what() << "\n";
        if (e.code() != UA_INVALID_ARGUMENT) ++surprises;
    }

    std::cout << "== an event without its eventType (refused before sending)\n";
    try {
        client.send(ua::EventKind::Custom, R"({"eventValue":"v","language":"en"})");
        ++surprises;
    } catch (const ua::Error &e) {
        print_error(e);
        if (e.code() != UA_MISSING_PARAMETER) ++surprises;
    }

    std::cout << "== a token the service does not know\n";
    try {
        const ua::Client wrong_key(ua::Options().endpoint(env->endpoint).token("xx-not-a-valid-key"));
        wrong_key.send(ua::EventKind::Custom, R"({"eventType":"demo","eventValue":"v","language":"en"})");
        ++surprises;
    } catch (const ua::Error &e) {
        print_error(e);
        if (e.code() != UA_INVALID_TOKEN) ++surprises;
    }

    return surprises == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
