// test_queue.cpp: coveo::ua::Queue against the private ua-emulator: delivery
// and counters, refusals carrying the library's reason, the failure and log
// callbacks as std::function (throwing ones included), close and destruction
// with a service that never answers, moves, option refusals and the spool.
#include <coveo_ua.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "emulator_control.h"
#include "harness.h"
#include "support.hpp"

namespace ua = coveo::ua;

static_assert(!std::is_copy_constructible_v<ua::Queue> && !std::is_copy_assignable_v<ua::Queue>);
static_assert(std::is_nothrow_move_constructible_v<ua::Queue> && std::is_nothrow_move_assignable_v<ua::Queue>);
static_assert(std::is_nothrow_move_constructible_v<ua::Options>);

namespace {

// Generous: valgrind makes everything much slower.
constexpr std::chrono::milliseconds kFlush{60000};
// A close or a destruction must not wait for a stalled service (its stall
// lasts 60 s): returning well before that shows it gave up. Not a speed test.
constexpr std::chrono::seconds kBounded{30};
constexpr const char *kStallForever = R"({"count":0,"action":"stall","delay_ms":60000})";
constexpr const char *kMissingType = R"({"eventValue":"v","language":"en"})";
#define QUEUE_SEARCH_EVENT                                                                       \
    R"({"actionCause":"searchboxSubmit","language":"en","queryText":"q","responseTime":5,)" \
    R"("searchQueryUid":"1f9e1c0e-8d38-4b4e-9c6a-1c2d3e4f5a6b"})"

// Options for a queue on the test emulator that pauses only briefly.
ua::Options queue_options() {
    ua::Options options = test_options();
    options.queue_backoff_ms(20, 200);
    return options;
}

void check_identity(const char *file, int line, const ua::Queue &queue) {
    const ua::QueueCounters c = queue.counters();
    if (c.enqueued + c.recovered != c.delivered + c.failed + c.pending)
        th_fail(file, line, "enqueued %llu + recovered %llu != delivered %llu + failed %llu + pending %llu",
                static_cast<unsigned long long>(c.enqueued), static_cast<unsigned long long>(c.recovered),
                static_cast<unsigned long long>(c.delivered), static_cast<unsigned long long>(c.failed),
                static_cast<unsigned long long>(c.pending));
}
#define CHECK_IDENTITY(queue) check_identity(__FILE__, __LINE__, queue)

// What a failure callback saw, from the queue's threads.
struct Failures {
    std::mutex lock;
    std::vector<ua_code> codes;
    std::vector<std::string> events;
    std::vector<ua::EventKind> kinds;
    std::vector<ua::Error> errors;

    ua::FailureCallback recorder() {
        return [this](ua::EventKind kind, std::string_view event_json, const ua::Error &failure) {
            const std::lock_guard<std::mutex> hold(lock);
            codes.push_back(failure.code());
            events.emplace_back(event_json);
            kinds.push_back(kind);
            errors.push_back(failure);
        };
    }
    std::size_t count() {
        const std::lock_guard<std::mutex> hold(lock);
        return codes.size();
    }
    std::size_t count_of(ua_code code) {
        const std::lock_guard<std::mutex> hold(lock);
        std::size_t n = 0;
        for (ua_code c : codes) n += c == code ? 1 : 0;
        return n;
    }
};

// What a log callback saw.
struct LogLines {
    std::mutex lock;
    std::vector<std::pair<ua::LogLevel, std::string>> lines;

    ua::LogCallback recorder() {
        return [this](ua::LogLevel level, std::string_view message) {
            const std::lock_guard<std::mutex> hold(lock);
            lines.emplace_back(level, std::string(message));
        };
    }
    // Lines at `worst_allowed` or more severe that contain `needle`.
    int matching(ua::LogLevel worst_allowed, const char *needle) {
        const std::lock_guard<std::mutex> hold(lock);
        int n = 0;
        for (const auto &[level, text] : lines)
            n += level <= worst_allowed && text.find(needle) != std::string::npos ? 1 : 0;
        return n;
    }
    bool all_at_or_below(ua::LogLevel max_level) {
        const std::lock_guard<std::mutex> hold(lock);
        for (const auto &line : lines)
            if (line.first > max_level) return false;
        return true;
    }
};

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void queue_delivers_what_it_takes() {
    reset_emulator();
    ua::Queue queue(queue_options());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&queue] {
            for (int i = 0; i < 10; ++i) queue.enqueue(ua::EventKind::Custom, kCustomEvent);
        });
    for (std::thread &thread : threads) thread.join();
    queue.enqueue_search_batch("[" QUEUE_SEARCH_EVENT "," QUEUE_SEARCH_EVENT "]");
    queue.enqueue(ua::EventKind::View, R"({"location":"https://example.com/","language":"en"})");
    queue.enqueue_collect(R"({"t":"event","ec":"case","ea":"open"})");
    CHECK(queue.flush(kFlush));

    const ua::QueueCounters c = queue.counters();
    CHECK_INT(c.enqueued, 43);
    CHECK_INT(c.delivered, 43);
    CHECK_INT(c.attempts, 43);
    CHECK_INT(c.failed, 0);
    CHECK_INT(c.pending, 0);
    CHECK_INT(c.refused, 0);
    CHECK_INT(c.recovered, 0);
    CHECK_INT(queue.counter(ua::Counter::Delivered), 43);
    CHECK_INT(emu_count_events(emulator.endpoint), 44);  // the batch's two searches
    CHECK_IDENTITY(queue);

    CHECK(queue.close(std::chrono::seconds(5)));
    const ua::Error closed = THROWN([&] { queue.enqueue(ua::EventKind::Custom, kCustomEvent); }, UA_QUEUE_CLOSED);
    CHECK_CONTAINS(closed.what(), "UA_QUEUE_CLOSED: ");
    CHECK_CONTAINS(closed.message().c_str(), "closed");
    CHECK_CODE(queue.try_enqueue(ua::EventKind::Custom, kCustomEvent), UA_QUEUE_CLOSED);
    CHECK_INT(queue.counters().refused, 2);
    CHECK(queue.close(std::chrono::seconds(5)));  // a second close returns at once
}

void queue_refusals_carry_the_library_reason() {
    ua::Queue queue(queue_options());
    const ua::Error missing = THROWN([&] { queue.enqueue(ua::EventKind::Custom, kMissingType); }, UA_MISSING_PARAMETER);
    CHECK_STR(missing.type().c_str(), "MissingParameter");
    CHECK_CONTAINS(missing.message().c_str(), "eventType");
    CHECK_STR(missing.what(), ("UA_MISSING_PARAMETER: " + missing.message()).c_str());
    CHECK_INT(missing.attempts(), 0);
    CHECK_INT(missing.http_status(), 0);

    const ua::Error item = THROWN([&] { queue.enqueue_search_batch("[" QUEUE_SEARCH_EVENT R"(,{"language":"en"}])"); },
                                  UA_MISSING_PARAMETER);
    CHECK_CONTAINS(item.message().c_str(), "Item 1 of the search batch");
    const ua::Error kind = THROWN([&] { queue.enqueue(static_cast<ua::EventKind>(9), kCustomEvent); }, UA_INVALID_ARGUMENT);
    CHECK(!kind.message().empty());
    CHECK_CODE(queue.try_enqueue(ua::EventKind::Custom, kMissingType), UA_MISSING_PARAMETER);
    CHECK_INT(queue.counters().refused, 4);

    // A NUL would cut the C string short: refused before the library sees it.
    static const char raw[] = "{\"eventType\":\"a\0b\",\"eventValue\":\"v\",\"language\":\"en\"}";
    const std::string with_nul(raw, sizeof raw - 1);
    const ua::Error nul = THROWN([&] { queue.enqueue(ua::EventKind::Custom, with_nul); }, UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(nul.message().c_str(), "Queue::enqueue");
    CHECK_CODE(queue.try_enqueue(ua::EventKind::Custom, with_nul), UA_INVALID_ARGUMENT);
    CHECK_INT(queue.counters().refused, 4);
    CHECK_INT(queue.counters().enqueued, 0);

    // Full: nothing can leave a queue aimed at a closed port.
    ua::Options small = queue_options();
    small.endpoint(closed_port_endpoint()).queue_capacity(1, 1 << 20).queue_workers(1);
    ua::Queue full(small);
    full.enqueue(ua::EventKind::Custom, kCustomEvent);
    const ua::Error no_room = THROWN([&] { full.enqueue(ua::EventKind::Custom, kCustomEvent); }, UA_QUEUE_FULL);
    CHECK_CONTAINS(no_room.message().c_str(), "the queue is full");
    CHECK_CODE(full.try_enqueue(ua::EventKind::Custom, kCustomEvent), UA_QUEUE_FULL);
    CHECK(!full.close(std::chrono::milliseconds(50)));
    CHECK_IDENTITY(full);
}

// Built from Options that are gone by the time the queue works: the
// callback lives as long as the queue.
ua::Queue queue_outliving_its_options(Failures &failures) {
    ua::Options options = queue_options();
    options.local_checks(false).on_failure(failures.recorder());
    return ua::Queue(options);
}

void queue_failures_reach_a_capturing_lambda() {
    reset_emulator();
    Failures failures;
    ua::Queue queue = queue_outliving_its_options(failures);
    queue.enqueue(ua::EventKind::Custom, kCustomEvent);
    queue.enqueue(ua::EventKind::Custom, kMissingType);  // the service refuses it
    CHECK(queue.flush(kFlush));
    CHECK_INT(failures.count(), 1);
    if (failures.count() == 1) {
        CHECK(failures.kinds[0] == ua::EventKind::Custom);
        CHECK_STR(failures.events[0].c_str(), kMissingType);
        const ua::Error &why = failures.errors[0];
        CHECK_CODE(why.code(), UA_MISSING_PARAMETER);
        CHECK_INT(why.http_status(), 400);
        CHECK_STR(why.type().c_str(), "MissingParameter");
        CHECK_INT(why.attempts(), 1);
        CHECK(!why.body().empty());
    }
    const ua::QueueCounters c = queue.counters();
    CHECK_INT(c.failed, 1);
    CHECK_INT(c.delivered, 1);
    CHECK_INT(queue.callback_exceptions(), 0);
    CHECK_INT(emu_count_events(emulator.endpoint), 1);
    CHECK_IDENTITY(queue);
}

void queue_callback_exceptions_are_contained() {
    reset_emulator();
    LogLines log;
    ua::Options options = queue_options();
    options.local_checks(false).on_log(log.recorder(), ua::LogLevel::Error);
    options.on_failure([](ua::EventKind, std::string_view event_json, const ua::Error &) {
        if (event_json.find("first") != std::string_view::npos) throw std::runtime_error("boom");
        throw 42;
    });
    ua::Queue queue(options);
    queue.enqueue(ua::EventKind::Custom, R"({"eventValue":"first","language":"en"})");
    CHECK(queue.flush(kFlush));
    queue.enqueue(ua::EventKind::Custom, R"({"eventValue":"second","language":"en"})");
    CHECK(queue.flush(kFlush));
    CHECK_INT(queue.callback_exceptions(), 2);
    CHECK_INT(log.matching(ua::LogLevel::Error, "coveo::ua::Queue: the failure callback threw: boom"), 1);
    CHECK_INT(log.matching(ua::LogLevel::Error, "the failure callback threw: an exception that is not a std::exception"), 1);
    CHECK_INT(queue.counters().failed, 2);
    queue.enqueue(ua::EventKind::Custom, kCustomEvent);  // the queue carries on
    CHECK(queue.flush(kFlush));
    CHECK_INT(queue.counters().delivered, 1);
    CHECK_IDENTITY(queue);

    // A log callback that always throws: the pause and the resumption are told to it.
    ua::Options noisy = queue_options();
    noisy.on_log([](ua::LogLevel, std::string_view) { throw std::logic_error("log"); }, ua::LogLevel::Debug);
    ua::Queue second(noisy);
    add_fault(R"({"count":1,"status":503})");
    second.enqueue(ua::EventKind::Custom, kCustomEvent);
    CHECK(second.flush(kFlush));
    CHECK_INT(second.counters().delivered, 1);
    CHECK(second.callback_exceptions() >= 1);
    CHECK(second.close(std::chrono::seconds(5)));
}

void queue_log_callback_hears_the_pause() {
    reset_emulator();
    LogLines first, kept;
    ua::Options options = queue_options();
    options.on_log(kept.recorder(), ua::LogLevel::Warn);
    const ua::Error level = THROWN([&] { options.on_log(first.recorder(), static_cast<ua::LogLevel>(9)); },
                                   UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(level.message().c_str(), "log level 9 is unknown");
    CHECK_STR(level.message().c_str(), ua_options_last_error(options.get()));
    ua::Queue queue(options);  // the refused setting left the first callback in place
    add_fault(R"({"count":1,"status":503})");
    queue.enqueue(ua::EventKind::Custom, kCustomEvent);
    CHECK(queue.flush(kFlush));
    CHECK(kept.matching(ua::LogLevel::Warn, "pauses") >= 1);
    CHECK(kept.all_at_or_below(ua::LogLevel::Warn));
    CHECK(first.lines.empty());
    CHECK_INT(queue.counters().delivered, 1);
    CHECK_INT(queue.counters().attempts, 2);
}

void queue_close_gives_up_on_a_hanging_service() {
    reset_emulator();
    Failures failures;
    ua::Options options = queue_options();
    options.on_failure(failures.recorder());
    ua::Queue queue(options);
    add_fault(kStallForever);
    for (int i = 0; i < 5; ++i) queue.enqueue(ua::EventKind::Custom, kCustomEvent);
    CHECK(!queue.flush(std::chrono::milliseconds(50)));
    const auto start = std::chrono::steady_clock::now();
    // Five events were in flight when delivery ended: close says it timed out.
    CHECK(!queue.close(std::chrono::milliseconds(300)));
    const double took = seconds_since(start);
    if (took >= kBounded.count()) th_fail(__FILE__, __LINE__, "close(300 ms) took %.1f s", took);
    CHECK_INT(failures.count(), 5);
    CHECK_INT(failures.count_of(UA_QUEUE_CLOSED), 5);
    const ua::QueueCounters c = queue.counters();
    CHECK_INT(c.failed, 5);
    CHECK_INT(c.pending, 0);
    CHECK_INT(c.delivered, 0);
    CHECK_IDENTITY(queue);
    reset_emulator();
}

void queue_destructor_closes_a_forgotten_queue() {
    reset_emulator();
    Failures failures;
    ua::Options options = queue_options();
    options.on_failure(failures.recorder());
    add_fault(kStallForever);
    const auto start = std::chrono::steady_clock::now();
    {
        ua::Queue forgotten(options);
        for (int i = 0; i < 3; ++i) forgotten.enqueue(ua::EventKind::Custom, kCustomEvent);
    }  // no close: the destructor closes with the library's grace
    const double took = seconds_since(start);
    if (took >= kBounded.count()) th_fail(__FILE__, __LINE__, "the destructor took %.1f s", took);
    CHECK_INT(failures.count(), 3);
    CHECK_INT(failures.count_of(UA_QUEUE_CLOSED), 3);
    reset_emulator();
}

void queue_moves_keep_the_callbacks() {
    reset_emulator();
    Failures failures;
    ua::Options options = queue_options();
    options.local_checks(false).on_failure(failures.recorder());
    ua::Queue first(options);
    const ua_queue *handle = first.get();
    ua::Queue second = std::move(first);
    CHECK(second.get() == handle);
    CHECK(first.get() == nullptr);

    // A moved-from queue is harmless: the library reports a NULL queue.
    const ua::Error gone = THROWN([&] { first.enqueue(ua::EventKind::Custom, kCustomEvent); }, UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(gone.message().c_str(), "queue is NULL");
    CHECK_CODE(first.try_enqueue(ua::EventKind::Custom, kCustomEvent), UA_INVALID_ARGUMENT);
    THROWN([&] { first.flush(std::chrono::milliseconds(10)); }, UA_INVALID_ARGUMENT);
    THROWN([&] { first.close(std::chrono::milliseconds(10)); }, UA_INVALID_ARGUMENT);
    CHECK_INT(first.counters().enqueued, 0);
    CHECK_INT(first.callback_exceptions(), 0);

    second.enqueue(ua::EventKind::Custom, kMissingType);
    CHECK(second.flush(kFlush));
    CHECK_INT(failures.count(), 1);  // the callback moved with the queue

    ua::Queue third(queue_options());
    third = std::move(second);  // frees third's own queue, takes second's
    CHECK(third.get() == handle);
    third.enqueue(ua::EventKind::Custom, kMissingType);
    third.enqueue(ua::EventKind::Custom, kCustomEvent);
    CHECK(third.flush(kFlush));
    CHECK_INT(failures.count(), 2);
    CHECK_INT(third.counters().delivered, 1);
    first = std::move(third);  // a moved-from queue takes one back
    CHECK(first.get() == handle);
    CHECK(first.close(std::chrono::seconds(5)));
}

void queue_options_refuse_bad_values() {
    ua::Options options = queue_options();
    const ua::Error workers = THROWN([&] { options.queue_workers(257); }, UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(workers.message().c_str(), "queue workers 257 is out of range");
    CHECK_STR(workers.message().c_str(), ua_options_last_error(options.get()));
    THROWN([&] { options.queue_capacity(0, 10); }, UA_INVALID_ARGUMENT);
    THROWN([&] { options.queue_max_age_ms(0); }, UA_INVALID_ARGUMENT);
    THROWN([&] { options.queue_backoff_ms(10, 1); }, UA_INVALID_ARGUMENT);
    THROWN([&] { options.spool_fsync_interval_ms(60001); }, UA_INVALID_ARGUMENT);
    const ua::Error spool = THROWN([&] { options.spool_capacity(0); }, UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(spool.message().c_str(), "spool capacity 0 bytes");
    THROWN([&] { options.on_log([](ua::LogLevel, std::string_view) {}, static_cast<ua::LogLevel>(0)); },
           UA_INVALID_ARGUMENT);
    const ua::Error nul = THROWN([&] { options.spool_dir(std::string_view("/tmp/a\0b", 8)); }, UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(nul.message().c_str(), "Options::spool_dir");

    ua::Queue queue(options);  // the refusals left the options usable
    const ua::Error negative = THROWN([&] { queue.flush(std::chrono::milliseconds(-1)); }, UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(negative.message().c_str(), "Queue::flush: the timeout is negative");
    THROWN([&] { queue.close(std::chrono::milliseconds(-5)); }, UA_INVALID_ARGUMENT);
    CHECK(queue.flush(std::chrono::hours(24 * 365)));  // past 2^32-1 ms: waits at most that long

    const ua::Error no_token = THROWN([] { ua::Queue q(ua::Options().endpoint(emulator.endpoint)); }, UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(no_token.what(), "no token is set");
    ua::Options taken = std::move(options);
    THROWN([&] { ua::Queue q(options); }, UA_INVALID_ARGUMENT);
    THROWN([&] { options.on_failure(nullptr); }, UA_INVALID_ARGUMENT);
    CHECK(taken.get() != nullptr);
}

void queue_spool_carries_events_to_the_next_queue() {
    reset_emulator();
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("coveo-ua-cpp-spool-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);  // left over from an earlier run with the same pid
    ua::Options options = queue_options();
    options.spool_dir(dir.string()).spool_fsync_interval_ms(0).endpoint(closed_port_endpoint());
    {
        ua::Queue queue(options);
        ua::Queue beside(options);  // a second live queue: a lane of its own
        for (int i = 0; i < 4; ++i) queue.enqueue(ua::EventKind::Custom, kCustomEvent);
        beside.enqueue(ua::EventKind::Custom, kCustomEvent);
        CHECK(!queue.close(std::chrono::milliseconds(50)));
        CHECK_INT(queue.counters().pending, 4);  // kept in the spool, not failed
        CHECK_INT(queue.counters().failed, 0);
        THROWN([&] { queue.flush(std::chrono::seconds(5)); }, UA_QUEUE_CLOSED);
        CHECK(!beside.close(std::chrono::milliseconds(50)));
    }
    options.endpoint(emulator.endpoint);
    ua::Queue next(options);
    CHECK_INT(next.counters().recovered, 5);
    CHECK(next.flush(kFlush));
    CHECK_INT(next.counters().delivered, 5);
    CHECK_INT(emu_count_events(emulator.endpoint), 5);
    CHECK_IDENTITY(next);
    CHECK(next.close(std::chrono::seconds(5)));
    std::filesystem::remove_all(dir);
}

void queue_spool_capacity_bounds_the_lane() {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("coveo-ua-cpp-spool-capacity-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    ua::Options options = queue_options();
    // Memory holds one event, the lane two records (each its JSON and 21 bytes).
    const std::uint64_t record = std::string_view(kCustomEvent).size() + 21;
    options.spool_dir(dir.string()).endpoint(closed_port_endpoint()).queue_capacity(1, 1 << 20).spool_capacity(
        2 * record);
    {
        ua::Queue queue(options);
        queue.enqueue(ua::EventKind::Custom, kCustomEvent);
        queue.enqueue(ua::EventKind::Custom, kCustomEvent);  // past memory: waits on disk
        const ua::Error full = THROWN([&] { queue.enqueue(ua::EventKind::Custom, kCustomEvent); }, UA_QUEUE_FULL);
        CHECK_CONTAINS(full.message().c_str(), "the spool is full");
        CHECK_INT(queue.counters().enqueued, 2);
        CHECK_INT(queue.counters().refused, 1);
        CHECK_IDENTITY(queue);
        CHECK(!queue.close(std::chrono::milliseconds(50)));
    }
    std::filesystem::remove_all(dir);
}

}  // namespace

void run_queue_tests() {
    RUN_CPP(queue_delivers_what_it_takes);
    RUN_CPP(queue_refusals_carry_the_library_reason);
    RUN_CPP(queue_failures_reach_a_capturing_lambda);
    RUN_CPP(queue_callback_exceptions_are_contained);
    RUN_CPP(queue_log_callback_hears_the_pause);
    RUN_CPP(queue_close_gives_up_on_a_hanging_service);
    RUN_CPP(queue_destructor_closes_a_forgotten_queue);
    RUN_CPP(queue_moves_keep_the_callbacks);
    RUN_CPP(queue_options_refuse_bad_values);
    RUN_CPP(queue_spool_carries_events_to_the_next_queue);
    RUN_CPP(queue_spool_capacity_bounds_the_lane);
}
