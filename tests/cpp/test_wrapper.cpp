// test_wrapper.cpp: the C++ wrapper (include/coveo_ua.hpp) against a private
// ua-emulator: success, every failure path throwing the right Error (option
// refusals carrying the library's own reason), search batches, move semantics
// and ownership; main also runs the queue tests (test_queue.cpp). Uses the C
// test harness (tests/c/harness.h), so it ends with the same "N passed, N
// failed" line.
#include <coveo_ua.hpp>

#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "emulator_control.h"
#include "emulator_process.h"
#include "harness.h"
#include "support.hpp"

namespace ua = coveo::ua;

// Owning handles are move-only; moving never throws.
static_assert(!std::is_copy_constructible_v<ua::Options> && !std::is_copy_assignable_v<ua::Options>);
static_assert(!std::is_copy_constructible_v<ua::Client> && !std::is_copy_assignable_v<ua::Client>);
static_assert(!std::is_copy_constructible_v<ua::Result> && !std::is_copy_assignable_v<ua::Result>);
static_assert(std::is_nothrow_move_constructible_v<ua::Options> && std::is_nothrow_move_assignable_v<ua::Options>);
static_assert(std::is_nothrow_move_constructible_v<ua::Client> && std::is_nothrow_move_assignable_v<ua::Client>);
static_assert(std::is_nothrow_move_constructible_v<ua::Result> && std::is_nothrow_move_assignable_v<ua::Result>);
static_assert(std::is_base_of_v<std::runtime_error, ua::Error>);

namespace {

#define SEARCH_EVENT                                                                             \
    R"({"actionCause":"searchboxSubmit","language":"en","queryText":"q","responseTime":5,)" \
    R"("searchQueryUid":"1f9e1c0e-8d38-4b4e-9c6a-1c2d3e4f5a6b"})"
constexpr const char *kSearchEvent = SEARCH_EVENT;
constexpr const char *kBatchOfTwo = "[" SEARCH_EVENT "," SEARCH_EVENT "]";
// The second item (index 1) lacks its required fields.
constexpr const char *kBatchWithBadSecond = "[" SEARCH_EVENT R"(,{"language":"en"}])";

// Runs `action`, which must throw ua::Error; checks its fields.
template <typename Action>
void expect_error(const char *file, int line, Action action, ua_code code, int status, const char *type,
                  unsigned attempts) {
    try {
        action();
        th_fail(file, line, "no exception; expected %s", ua_code_name(code));
    } catch (const ua::Error &e) {
        if (e.code() != code)
            th_fail(file, line, "Error %s (%s), expected %s", ua_code_name(e.code()), e.what(), ua_code_name(code));
        if (e.name() != ua_code_name(code)) th_fail(file, line, "name() is %s", std::string(e.name()).c_str());
        if (e.http_status() != status) th_fail(file, line, "http_status() %d, expected %d", e.http_status(), status);
        if (e.type() != (type ? type : "")) th_fail(file, line, "type() \"%s\", expected \"%s\"", e.type().c_str(), type ? type : "");
        if (e.attempts() != attempts) th_fail(file, line, "attempts() %u, expected %u", e.attempts(), attempts);
        if (e.message().empty()) th_fail(file, line, "empty message()");
        if (e.describe() != ua_error_describe(code)) th_fail(file, line, "describe() differs from ua_error_describe");
        if (std::strstr(e.what(), ua_code_name(code)) == nullptr) th_fail(file, line, "what() lacks the name: %s", e.what());
    } catch (const std::exception &e) {
        th_fail(file, line, "threw something else than ua::Error: %s", e.what());
    }
}
#define EXPECT_ERROR(action, code, status, type, attempts) \
    expect_error(__FILE__, __LINE__, action, code, status, type, attempts)

void accepted_event_returns_result() {
    reset_emulator();
    const ua::Client client(test_options());
    ua::Result result = client.send(ua::EventKind::Custom, kCustomEvent);
    CHECK(result.ok());
    CHECK_CODE(result.code(), UA_OK);
    CHECK_INT(result.http_status(), 200);
    CHECK_INT(result.attempts(), 1);
    CHECK(!result.visitor_id().empty());
    CHECK(result.error_type().empty());
    CHECK(result.body().find(result.visitor_id()) != std::string_view::npos);
    CHECK(!ua::version().empty());
    CHECK_INT(emu_count_events(emulator.endpoint), 1);
}

void every_kind_is_accepted() {
    reset_emulator();
    const ua::Client client(test_options());
    client.send(ua::EventKind::Search, kSearchEvent);
    client.send(ua::EventKind::Click,
                R"({"actionCause":"documentOpen","documentPosition":2,"language":"en",)"
                R"("searchQueryUid":"1f9e1c0e-8d38-4b4e-9c6a-1c2d3e4f5a6b","sourceName":"Docs"})");
    client.send(ua::EventKind::Custom, kCustomEvent);
    client.send(ua::EventKind::View, R"({"location":"https://example.com/"})");
    CHECK_INT(emu_count_events(emulator.endpoint), 4);
}

void service_errors_throw() {
    reset_emulator();
    const ua::Client bad_key(test_options("xx-unknown-key", 2));
    EXPECT_ERROR([&] { bad_key.send(ua::EventKind::Custom, kCustomEvent); }, UA_INVALID_TOKEN, 400, "InvalidToken", 1);

    const ua::Client client(test_options(kToken, 2));
    add_fault(R"({"action":"respond","status":400,"type":"UnauthorizedHub","message":"hub"})");
    EXPECT_ERROR([&] { client.send(ua::EventKind::Custom, kCustomEvent); }, UA_UNAUTHORIZED_HUB, 400, "UnauthorizedHub", 1);
    add_fault(R"({"action":"respond","status":415,"type":"InvalidRequest","message":"ctype"})");
    EXPECT_ERROR([&] { client.send(ua::EventKind::Custom, kCustomEvent); }, UA_UNSUPPORTED_MEDIA_TYPE, 415, "InvalidRequest", 1);
    add_fault(R"({"action":"respond","status":418,"body":"text"})");
    EXPECT_ERROR([&] { client.send(ua::EventKind::Custom, kCustomEvent); }, UA_UNEXPECTED_RESPONSE, 418, nullptr, 1);
    add_fault(R"({"count":3,"action":"respond","status":503,"body":"none"})");
    EXPECT_ERROR([&] { client.send(ua::EventKind::Custom, kCustomEvent); }, UA_SERVER_ERROR, 503, nullptr, 3);
    add_fault(R"({"count":3,"action":"respond","status":429,"type":"TooManyRequestsException","message":"slow"})");
    EXPECT_ERROR([&] { client.send(ua::EventKind::Custom, kCustomEvent); }, UA_TOO_MANY_REQUESTS, 429,
                 "TooManyRequestsException", 3);
    reset_emulator();
}

void local_refusals_throw() {
    const ua::Client client(test_options());
    EXPECT_ERROR([&] { client.send(ua::EventKind::Custom, R"({"eventValue":"v","language":"en"})"); },
                 UA_MISSING_PARAMETER, 0, "MissingParameter", 0);
    EXPECT_ERROR([&] { client.send(ua::EventKind::Custom, "{not json"); }, UA_INVALID_JSON, 0, "InvalidJson", 0);
    EXPECT_ERROR([&] { client.send(static_cast<ua::EventKind>(9), kCustomEvent); }, UA_INVALID_ARGUMENT, 0, nullptr, 0);
    // A NUL inside a string_view would silently cut the C string: refused instead.
    static const char raw[] = "{\"eventType\":\"a\0b\",\"eventValue\":\"v\",\"language\":\"en\"}";
    const std::string with_nul(raw, sizeof raw - 1);
    EXPECT_ERROR([&] { client.send(ua::EventKind::Custom, with_nul); }, UA_INVALID_ARGUMENT, 0, nullptr, 0);
}

void transport_failures_throw() {
    reset_emulator();
    ua::Options options = test_options(kToken, 0);
    options.timeout_ms(300);
    const ua::Client client(options);
    add_fault(R"({"action":"stall","delay_ms":20000})");
    EXPECT_ERROR([&] { client.send(ua::EventKind::Custom, kCustomEvent); }, UA_TIMEOUT, 0, nullptr, 1);
    add_fault(R"({"action":"garbage"})");
    EXPECT_ERROR([&] { client.send(ua::EventKind::Custom, kCustomEvent); }, UA_CONNECTION_FAILED, 0, nullptr, 1);
    reset_emulator();
}

void bad_options_throw() {
    EXPECT_ERROR([] { ua::Options().endpoint("http://analytics.cloud.coveo.com/rest/ua"); }, UA_INVALID_ARGUMENT, 0, nullptr, 0);
    // An empty endpoint is refused, never taken for the default.
    const ua::Error empty = THROWN([] { ua::Options().endpoint(""); }, UA_INVALID_ARGUMENT);
    CHECK_STR(empty.message().c_str(), "endpoint '' refused: it is empty");
    EXPECT_ERROR([] { ua::Options().retry_backoff_ms(1000, 10); }, UA_INVALID_ARGUMENT, 0, nullptr, 0);
    EXPECT_ERROR([] { ua::Options().token(std::string_view("xx-a\0b", 6)); }, UA_INVALID_ARGUMENT, 0, nullptr, 0);
    try {
        ua::Options().org(std::string_view("o\0rg", 5));
        CHECK(false);
    } catch (const ua::Error &e) {
        CHECK(e.message().find("Options::org") != std::string::npos);  // names the setter
    }
    // No token: the client refuses to exist.
    EXPECT_ERROR([] { ua::Client client(ua::Options().endpoint(emulator.endpoint)); }, UA_INVALID_ARGUMENT, 0, nullptr, 0);
    // Every Error is also a std::runtime_error.
    try {
        ua::Options().endpoint("ftp://x");
        CHECK(false);
    } catch (const std::runtime_error &e) {
        CHECK(std::strstr(e.what(), "UA_INVALID_ARGUMENT") != nullptr);
    }
}

// what() is "<name>: <message>" and the message is ua_options_last_error's
// text, word for word, for setters and the constructor alike.
void option_errors_carry_the_library_reason() {
    ua::Options options;
    const ua::Error endpoint =
        THROWN([&] { options.endpoint("http://example.com/rest/ua"); }, UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(endpoint.what(), "plain http is allowed only for loopback hosts");
    CHECK_STR(endpoint.message().c_str(), ua_options_last_error(options.get()));
    CHECK_STR(endpoint.what(), ("UA_INVALID_ARGUMENT: " + endpoint.message()).c_str());

    const ua::Error retries = THROWN([&] { options.max_retries(1000); }, UA_INVALID_ARGUMENT);
    CHECK_STR(retries.message().c_str(), ua_options_last_error(options.get()));
    CHECK_CONTAINS(retries.what(), "max_retries 1000");

    options.endpoint(emulator.endpoint);  // a refused value left the options usable
    const ua::Error no_token = THROWN([&] { const ua::Client client(options); }, UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(no_token.what(), "no token is set");
    CHECK_STR(no_token.message().c_str(), ua_options_last_error(options.get()));

    // Options moved from have no C handle, hence no record: the code's description stands in.
    ua::Options taken = std::move(options);
    const ua::Error moved = THROWN([&] { options.org("o"); }, UA_INVALID_ARGUMENT);
    CHECK_STR(moved.message().c_str(), ua_error_describe(UA_INVALID_ARGUMENT));
    CHECK(taken.get() != nullptr);
}

// Neither a refused token nor an accepted one shows up in an error's text.
void option_errors_never_show_the_token() {
    const ua::Error refused =
        THROWN([] { ua::Options().token("xx-cpp secret-token"); }, UA_INVALID_ARGUMENT);
    CHECK(std::strstr(refused.what(), "secret-token") == nullptr);
    CHECK(!refused.message().empty());

    // The CA file is read when the client is built, with the token already set.
    ua::Options options;
    options.endpoint(emulator.endpoint).token("xx-cpp-secret-token").ca_file("/nonexistent/coveo-ua-ca.pem");
    const ua::Error unreadable = THROWN([&] { const ua::Client client(options); }, UA_INVALID_ARGUMENT);
    CHECK_CONTAINS(unreadable.what(), "/nonexistent/coveo-ua-ca.pem");
    CHECK(std::strstr(unreadable.what(), "secret") == nullptr);
}

// Wrapping ua_code_name and ua_error_describe needs no list of codes: the
// queue's codes, newer than the wrapper's first version, already have names.
void newer_codes_have_names() {
    for (ua_code code : {UA_QUEUE_FULL, UA_QUEUE_CLOSED, UA_SPOOL_FAILED}) {
        const ua::Error error(code, "m");
        CHECK(error.name() != "UA_UNKNOWN_CODE");
        CHECK(error.describe() != ua::describe(9999));
        CHECK_STR(error.what(), (std::string(error.name()) + ": m").c_str());
    }
    CHECK(ua::code_name(UA_SPOOL_FAILED) == "UA_SPOOL_FAILED");
}

// How many times `needle` occurs in the emulator's event log.
int logged_count(const char *needle) {
    static char log[65536];
    if (emu_request(emulator.endpoint, "GET", "events", nullptr, log, sizeof log) != 200) return -1;
    int count = 0;
    for (const char *at = std::strstr(log, needle); at != nullptr; at = std::strstr(at + 1, needle)) ++count;
    return count;
}

void search_batch_is_one_request() {
    reset_emulator();
    const ua::Client client(test_options());
    ua::Result result = client.send_search_batch(kBatchOfTwo);
    CHECK_CODE(result.code(), UA_OK);
    CHECK_INT(result.http_status(), 200);
    CHECK_INT(result.attempts(), 1);
    CHECK(!result.visitor_id().empty());
    CHECK(!result.body().empty() && result.body().front() == '[');
    CHECK_INT(emu_count_events(emulator.endpoint), 2);
    CHECK_INT(logged_count("/v15/analytics/searches\""), 2);  // both items came through /searches

    // The same through send() and the enum value.
    CHECK(client.send(ua::EventKind::SearchBatch, kBatchOfTwo).ok());
    CHECK_INT(emu_count_events(emulator.endpoint), 4);
}

void search_batch_refusals_throw() {
    reset_emulator();
    const ua::Client client(test_options());
    EXPECT_ERROR([&] { client.send_search_batch(kBatchWithBadSecond); }, UA_MISSING_PARAMETER, 0, "MissingParameter", 0);
    const ua::Error bad_item = THROWN([&] { client.send_search_batch(kBatchWithBadSecond); }, UA_MISSING_PARAMETER);
    CHECK_CONTAINS(bad_item.what(), "Item 1 of the search batch");
    CHECK_CONTAINS(bad_item.message().c_str(), "Item 1 of the search batch");
    EXPECT_ERROR([&] { client.send_search_batch("[]"); }, UA_INVALID_OBJECT, 0, "InvalidObject", 0);
    EXPECT_ERROR([&] { client.send_search_batch(kSearchEvent); }, UA_INVALID_OBJECT, 0, "InvalidObject", 0);
    CHECK_INT(emu_count_events(emulator.endpoint), 0);  // nothing was sent
}

constexpr const char *kCollectEvent = R"({"t":"event","ec":"case","ea":"open","svc_action":"ticket_create"})";

void collect_event_goes_to_collect() {
    reset_emulator();
    const ua::Client client(test_options());
    const ua::Result result = client.send_collect(kCollectEvent);
    CHECK_INT(result.http_status(), 200);
    CHECK(!result.visitor_id().empty());
    CHECK_INT(logged_count("/v15/analytics/collect\""), 1);
    CHECK_INT(logged_count("\"kind\":\"collect\""), 1);
    CHECK(client.send(ua::EventKind::Collect, "{}").ok());  // the service judges the fields
    // Only what is surely wrong is refused before sending.
    EXPECT_ERROR([&] { client.send_collect("[]"); }, UA_INVALID_OBJECT, 0, "InvalidObject", 0);
    EXPECT_ERROR([&] { client.send_collect("t=event"); }, UA_INVALID_JSON, 0, "InvalidJson", 0);
    CHECK_INT(emu_count_events(emulator.endpoint), 2);
}

void moves_transfer_ownership() {
    reset_emulator();
    ua::Options options = test_options();
    ua::Options moved_options = std::move(options);
    CHECK(options.get() == nullptr);
    CHECK(moved_options.get() != nullptr);

    ua::Client first(moved_options);
    const ua_client *handle = first.get();
    ua::Client second = std::move(first);
    CHECK(second.get() == handle);
    CHECK(first.get() == nullptr);
    // A moved-from client is harmless: it reports a NULL client.
    EXPECT_ERROR([&] { first.send(ua::EventKind::Custom, kCustomEvent); }, UA_INVALID_ARGUMENT, 0, nullptr, 0);

    ua::Result result = second.send(ua::EventKind::Custom, kCustomEvent);
    const std::string_view visitor = result.visitor_id();
    ua::Result kept = std::move(result);
    CHECK(kept.visitor_id().data() == visitor.data());  // same owned string, no copy
    CHECK(result.get() == nullptr);

    ua::Client third(test_options());
    third = std::move(second);  // frees third's own client, takes second's
    CHECK(third.get() == handle);
    CHECK(third.send(ua::EventKind::Custom, kCustomEvent).ok());
    CHECK_INT(emu_count_events(emulator.endpoint), 2);
}

void error_outlives_its_result() {
    const ua::Client client(test_options());
    std::vector<ua::Error> errors;
    for (int i = 0; i < 2; ++i) {
        try {
            client.send(ua::EventKind::View, R"({"title":"no location"})");
        } catch (const ua::Error &e) {
            errors.push_back(e);  // copies; the C result is long gone
        }
    }
    CHECK_INT(errors.size(), 2);
    for (const ua::Error &e : errors) {
        CHECK_CODE(e.code(), UA_MISSING_PARAMETER);
        CHECK(e.message().find("location") != std::string::npos);
    }
}

void threads_share_one_client() {
    reset_emulator();
    const ua::Client client(test_options(kToken, 2));
    std::vector<std::thread> threads;
    std::vector<int> accepted(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&client, &accepted, t] {
            for (int i = 0; i < 5; ++i) {
                try {
                    if (client.send(ua::EventKind::Custom, kCustomEvent).ok()) ++accepted[t];
                } catch (const ua::Error &) {
                }
            }
        });
    }
    for (std::thread &thread : threads) thread.join();
    CHECK_INT(accepted[0] + accepted[1] + accepted[2] + accepted[3], 20);
    CHECK_INT(emu_count_events(emulator.endpoint), 20);
}

}  // namespace

int main() {
    const char *const args[] = {"--org", kOrg, "--api-key", kToken, nullptr};
    if (emu_start(&emulator, args) != 0) {
        std::printf("FAIL could not start ua-emulator (see stderr)\n0 passed, 1 failed\n");
        return 1;
    }
    RUN_CPP(accepted_event_returns_result);
    RUN_CPP(every_kind_is_accepted);
    RUN_CPP(service_errors_throw);
    RUN_CPP(local_refusals_throw);
    RUN_CPP(transport_failures_throw);
    RUN_CPP(bad_options_throw);
    RUN_CPP(option_errors_carry_the_library_reason);
    RUN_CPP(option_errors_never_show_the_token);
    RUN_CPP(newer_codes_have_names);
    RUN_CPP(search_batch_is_one_request);
    RUN_CPP(search_batch_refusals_throw);
    RUN_CPP(collect_event_goes_to_collect);
    RUN_CPP(moves_transfer_ownership);
    RUN_CPP(error_outlives_its_result);
    RUN_CPP(threads_share_one_client);
    run_queue_tests();
    emu_stop(&emulator);
    return th_summary();
}
