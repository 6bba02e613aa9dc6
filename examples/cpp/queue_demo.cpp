// queue_demo.cpp: the delivery queue from C++ with coveo-ua (coveo::ua::Queue):
// events handed off in microseconds while the service answers slowly, an
// outage ridden out, the counters, and an event the service refuses told to
// a lambda.
//
// Reads UA_ENDPOINT, UA_TOKEN and UA_ORG from the environment (demo_env.hpp;
// `make demo` sets them for a local ua-emulator). The slow answers and the
// outage are staged with the emulator's control API
// (examples/c/emulator_control.h); with the real service you would not have
// those calls. The emulator is put back as it was (no latency, no fault
// rules) before the program ends.
//
// Build: cc -c emulator_control.c && g++ -std=c++17 queue_demo.cpp emulator_control.o -lcoveo_ua
#include <coveo_ua.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "demo_env.hpp"
#include "emulator_control.h"

namespace ua = coveo::ua;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char *kEvent = R"({"eventType":"demo","eventValue":"queue_demo.cpp","language":"en"})";
constexpr int kSlowEvents = 40;
constexpr int kOutageEvents = 20;
constexpr std::chrono::seconds kFlush{10};

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Puts the emulator back as it was on every way out of main: the other
// demos use it next.
class EmulatorRestorer {
public:
    explicit EmulatorRestorer(std::string endpoint) : endpoint_(std::move(endpoint)) {}
    ~EmulatorRestorer() {
        emu_request(endpoint_.c_str(), "PUT", "latency", R"({"latency_ms":0})", nullptr, 0);
        emu_clear_faults(endpoint_.c_str());
    }
    EmulatorRestorer(const EmulatorRestorer &) = delete;
    EmulatorRestorer &operator=(const EmulatorRestorer &) = delete;

private:
    std::string endpoint_;
};

int surprises = 0;  // steps whose outcome was not the expected one

void expect(bool ok, const char *what) {
    if (!ok) {
        std::cout << "   UNEXPECTED: " << what << "\n";
        ++surprises;
    }
}

void set_latency(const std::string &endpoint, int ms) {
    const std::string body = R"({"latency_ms":)" + std::to_string(ms) + "}";
    expect(emu_request(endpoint.c_str(), "PUT", "latency", body.c_str(), nullptr, 0) == 200,
           "the emulator refused the latency");
}

// Enqueues `count` events; returns how long the calls took.
std::chrono::duration<double, std::micro> enqueue_events(ua::Queue &queue, int count) {
    const auto start = Clock::now();
    for (int i = 0; i < count; ++i) queue.enqueue(ua::EventKind::Custom, kEvent);
    return Clock::now() - start;
}

int run(const DemoEnv &env) {
    const std::string &endpoint = env.endpoint;
    std::atomic<int> failures{0};
    std::mutex print;  // the callbacks print from the queue's threads

    ua::Options options = env.options();
    // Off so that the service itself refuses the bad event of step 3 (with
    // checks on, enqueue would throw at once instead).
    options.local_checks(false);
    // Short pauses so the outage of step 2 is probed often in a short demo.
    options.queue_backoff_ms(250, 500);
    options.on_failure([&](ua::EventKind, std::string_view event_json, const ua::Error &why) {
        ++failures;
        const std::lock_guard<std::mutex> hold(print);
        std::cout << "   failure callback: " << why.name() << ", http " << why.http_status() << ", type "
                  << why.type() << ": " << why.message() << "\n      event " << event_json << "\n";
    });
    options.on_log(
        [&](ua::LogLevel level, std::string_view message) {
            static const char *const names[] = {"?", "error", "warn", "info", "debug"};
            const auto at = static_cast<int>(level);
            const std::lock_guard<std::mutex> hold(print);
            std::cout << "   log " << names[at >= 1 && at <= 4 ? at : 0] << ": " << message << "\n";
        },
        ua::LogLevel::Info);
    // The queue shares the callbacks: `options` could go now. `failures` and
    // `print` outlive it, as the lambdas capture them by reference.
    ua::Queue queue(options);

    std::cout << "== " << kSlowEvents << " events while every answer takes 200 ms\n";
    set_latency(endpoint, 200);
    const auto took = enqueue_events(queue, kSlowEvents);
    std::cout << "   enqueued in " << static_cast<long>(took.count()) << " us (" << took.count() / kSlowEvents
              << " us each): the caller never waits for the network\n";
    auto start = Clock::now();
    expect(queue.flush(kFlush), "the flush timed out");
    std::cout << "   flush: delivered by 8 workers in " << seconds_since(start) << " s\n";
    set_latency(endpoint, 0);

    std::cout << "== " << kOutageEvents << " events during a 1.5 s outage (every request answered 503)\n";
    expect(emu_add_fault(endpoint.c_str(), R"({"duration_ms":1500,"status":503})") == 0, "the outage rule was refused");
    const std::uint64_t attempts_before = queue.counter(ua::Counter::Attempts);
    start = Clock::now();
    enqueue_events(queue, kOutageEvents);
    expect(queue.flush(kFlush), "the flush timed out");
    std::cout << "   flush: all delivered after " << seconds_since(start) << " s, in "
              << queue.counter(ua::Counter::Attempts) - attempts_before
              << " requests: while the service was down the\n"
                 "   queue paused and sent one probe at a time (the warn lines), then delivered everything\n";

    std::cout << "== an event the service refuses (no eventType) reaches the failure callback\n";
    queue.enqueue(ua::EventKind::Custom, R"({"eventValue":"v","language":"en"})");
    expect(queue.flush(kFlush), "the flush timed out");
    expect(failures == 1, "the failure callback did not run once");

    std::cout << "== counters (enqueued + recovered = delivered + failed + pending)\n";
    const ua::QueueCounters c = queue.counters();
    std::cout << "   enqueued " << c.enqueued << " delivered " << c.delivered << " failed " << c.failed << " refused "
              << c.refused << " pending " << c.pending << " attempts " << c.attempts << " recovered " << c.recovered
              << "\n";
    expect(c.delivered == kSlowEvents + kOutageEvents, "not every good event was delivered");
    expect(c.enqueued + c.recovered == c.delivered + c.failed + c.pending, "the counters do not add up");
    expect(queue.callback_exceptions() == 0, "a callback threw");

    std::cout << "== close\n";
    expect(queue.close(std::chrono::seconds(5)), "events were left at close");
    return surprises == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}  // the Queue is freed here, before the lambdas' captures go

}  // namespace

int main() {
    const std::optional<DemoEnv> env = read_demo_env();
    if (!env) return EXIT_FAILURE;
    std::cout << std::fixed << std::setprecision(1);
    std::cout << "coveo-ua " << ua::version() << " queue demo (C++), endpoint " << env->endpoint << "\n";
    const EmulatorRestorer restore(env->endpoint);
    try {
        return run(*env);
    } catch (const ua::Error &e) {  // a refused option or event
        std::cerr << e.what() << "\n";
        return EXIT_FAILURE;
    }
}
