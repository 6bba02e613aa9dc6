// coveo_ua.hpp: header-only C++17 wrapper over the coveo-ua C API (coveo_ua.h).
//
// Each class owns one C handle and frees it exactly once (std::unique_ptr with
// a deleter); all of them are move-only. Failures are reported by throwing
// coveo::ua::Error, which carries everything the C result had (for a refused
// option or client, the reason ua_options_last_error gave).
//
//     coveo::ua::Client client(coveo::ua::Options().token("xx...").org("myorg"));
//     auto result = client.send(coveo::ua::EventKind::Custom, R"({"eventType":...})");
//     std::cout << result.visitor_id() << "\n";
//
// A Queue delivers in the background instead (enqueue returns at once; see
// docs/queue.md); it shares the std::function callbacks set on its Options,
// which live as long as the Queue.
//
// Thread safety: a Client may be used by any number of threads at once (its
// send() is const and the C client is thread-safe); so may a Queue for
// enqueue, flush and the counters (close and destruction are for one thread,
// once the others are done). Options and Result belong to one thread at a
// time, like their C counterparts. Error is a plain value. A moved-from object
// may only be destroyed or assigned to.
#ifndef COVEO_UA_HPP
#define COVEO_UA_HPP

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

#include "coveo_ua.h"

namespace coveo::ua {

/// The kind of an event; selects the path /v15/analytics/{search,click,custom,view,collect}.
/// SearchBatch is a JSON array of search events sent in one request (/searches).
/// Collect is one object in the Measurement-Protocol form (Case Assist, older
/// commerce setups), checked only for being a JSON object.
enum class EventKind : std::int32_t {
    Search = UA_EVENT_SEARCH,
    Click = UA_EVENT_CLICK,
    Custom = UA_EVENT_CUSTOM,
    View = UA_EVENT_VIEW,
    SearchBatch = UA_EVENT_SEARCH_BATCH,
    Collect = UA_EVENT_COLLECT,
};

/// The severity of a queue's log message; a log callback hears its max level and below.
enum class LogLevel : std::int32_t {
    Error = UA_LOG_ERROR,
    Warn = UA_LOG_WARN,
    Info = UA_LOG_INFO,
    Debug = UA_LOG_DEBUG,
};

/// One of a queue's counters (docs/queue.md says what each counts).
enum class Counter : std::int32_t {
    Enqueued = UA_COUNTER_ENQUEUED,
    Delivered = UA_COUNTER_DELIVERED,
    Failed = UA_COUNTER_FAILED,
    Refused = UA_COUNTER_REFUSED,
    Pending = UA_COUNTER_PENDING,
    Attempts = UA_COUNTER_ATTEMPTS,
    Recovered = UA_COUNTER_RECOVERED,
    /// Worker threads running now (not part of the identity).
    Workers = UA_COUNTER_WORKERS,
};

/// The library's version, e.g. "0.1.0".
inline std::string_view version() noexcept { return ::ua_version(); }

/// The constant's name for `code` ("UA_INVALID_JSON"); "UA_UNKNOWN_CODE" if unknown.
inline std::string_view code_name(ua_code code) noexcept { return ::ua_code_name(code); }

/// What `code` means, its likely cause and what to do about it.
inline std::string_view describe(ua_code code) noexcept { return ::ua_error_describe(code); }

namespace detail {
struct OptionsDeleter {
    void operator()(ua_options *p) const noexcept { ::ua_options_free(p); }
};
struct ClientDeleter {
    void operator()(ua_client *p) const noexcept { ::ua_client_free(p); }
};
struct QueueDeleter {
    void operator()(ua_queue *p) const noexcept { ::ua_queue_free(p); }
};
struct ResultDeleter {
    void operator()(ua_result *p) const noexcept { ::ua_result_free(p); }
};

inline std::string copy_or_empty(const char *s) { return s != nullptr ? std::string(s) : std::string(); }

// The library's own account of the last failed call on `options`, copied at
// once because the C string dies with the next call. Options moved from (NULL)
// have no record: the code's description is then the best the library offers.
inline std::string options_failure(const ua_options *options, ua_code code) {
    const char *detail = ::ua_options_last_error(options);
    return detail != nullptr ? std::string(detail) : std::string(::ua_error_describe(code));
}

// C strings end at the first NUL; a string_view may hold one inside, which
// would silently cut the value. Returns false for such input.
inline bool has_no_nul(std::string_view s) noexcept { return s.find('\0') == std::string_view::npos; }
}  // namespace detail

/// A failed call: the code and, for a send, everything the result reported.
/// what() is "<code name>: <message>"; the message is the library's own text
/// (never the token), so it reads the same in every host.
class Error : public std::runtime_error {
public:
    /// An error raised before any result existed (a refused option, say);
    /// `message` is taken as is.
    Error(ua_code code, std::string message)
        : std::runtime_error(compose(code, message)), code_(code), message_(std::move(message)) {}

    /// An error copied out of a failed send's result (the result may then be freed).
    explicit Error(const ua_result *result)
        : Error(::ua_result_code(result), detail::copy_or_empty(::ua_result_message(result))) {
        http_status_ = ::ua_result_http_status(result);
        attempts_ = ::ua_result_attempts(result);
        type_ = detail::copy_or_empty(::ua_result_error_type(result));
        body_ = detail::copy_or_empty(::ua_result_body(result));
    }

    /// The result code (one of the UA_* constants, or a number this header predates).
    ua_code code() const noexcept { return code_; }
    /// The code's constant name, e.g. "UA_INVALID_TOKEN".
    std::string_view name() const noexcept { return ::ua_code_name(code_); }
    /// The HTTP status of the last answer; 0 when none was received.
    std::uint16_t http_status() const noexcept { return http_status_; }
    /// The service's error type ("InvalidToken"...); empty when there was none.
    const std::string &type() const noexcept { return type_; }
    /// The service's message (token redacted) or the library's explanation.
    const std::string &message() const noexcept { return message_; }
    /// The raw body of the last answer; empty when there was none.
    const std::string &body() const noexcept { return body_; }
    /// Attempts made; 0 when the call stopped before sending.
    std::uint32_t attempts() const noexcept { return attempts_; }
    /// What the code means, its likely cause and what to do about it.
    std::string_view describe() const noexcept { return ::ua_error_describe(code_); }

private:
    static std::string compose(ua_code code, const std::string &message) {
        return std::string(::ua_code_name(code)) + ": " + message;
    }

    ua_code code_;
    std::string message_;
    std::string type_;
    std::string body_;
    std::uint16_t http_status_ = 0;
    std::uint32_t attempts_ = 0;
};

/// What one send did. Owns its C result; views it returns live as long as it.
class Result {
public:
    /// Takes ownership of `result` (which must not be NULL).
    explicit Result(ua_result *result) noexcept : handle_(result) {}

    /// The result code; UA_OK for an accepted event.
    ua_code code() const noexcept { return ::ua_result_code(handle_.get()); }
    /// True when the service accepted the event.
    bool ok() const noexcept { return code() == UA_OK; }
    /// The HTTP status of the last answer; 0 when none was received.
    std::uint16_t http_status() const noexcept { return ::ua_result_http_status(handle_.get()); }
    /// Attempts made, retries included; 0 when the call stopped before sending.
    std::uint32_t attempts() const noexcept { return ::ua_result_attempts(handle_.get()); }
    /// The service's error type; empty on success.
    std::string_view error_type() const noexcept { return view(::ua_result_error_type(handle_.get())); }
    /// The service's message or the library's explanation; never absent.
    std::string_view message() const noexcept { return view(::ua_result_message(handle_.get())); }
    /// The visitor id from an accepted event's answer; empty otherwise.
    std::string_view visitor_id() const noexcept { return view(::ua_result_visitor_id(handle_.get())); }
    /// The raw answer body; empty when there was none.
    std::string_view body() const noexcept { return view(::ua_result_body(handle_.get())); }
    /// The C handle, still owned by this object (for calling the C API directly).
    const ua_result *get() const noexcept { return handle_.get(); }

private:
    static std::string_view view(const char *s) noexcept { return s != nullptr ? std::string_view(s) : std::string_view(); }

    std::unique_ptr<ua_result, detail::ResultDeleter> handle_;
};

/// Hears of an event a queue gave up on for good: its kind, its JSON and why
/// (the failure as an Error, a value the callback may keep). Runs on one of the
/// queue's threads, possibly several at once: it must be thread-safe.
using FailureCallback = std::function<void(EventKind kind, std::string_view event_json, const Error &failure)>;

/// Receives a queue's log messages (never the token), on the queue's threads
/// or the one enqueuing; possibly several at once: it must be thread-safe.
using LogCallback = std::function<void(LogLevel level, std::string_view message)>;

namespace detail {
// What the C callbacks of one queue reach through their user_data: the
// Queue owns it and frees it only after ua_queue_free has returned, so it
// outlives every call. The functions are shared with the Options they came
// from (and any other queue built from them), never copied: a lambda's
// captured state stays one object.
struct QueueHooks {
    std::shared_ptr<const FailureCallback> on_failure;
    std::shared_ptr<const LogCallback> on_log;
    std::atomic<std::uint64_t> exceptions{0};

    // An exception must not unwind into the library's threads: it is counted
    // and, when the failure callback threw, told to the log callback.
    void caught(const char *callback, const char *what) noexcept {
        exceptions.fetch_add(1, std::memory_order_relaxed);
        if (!on_log || what == nullptr) return;
        try {
            (*on_log)(LogLevel::Error, std::string("coveo::ua::Queue: the ") + callback + " callback threw: " + what);
        } catch (...) {
            exceptions.fetch_add(1, std::memory_order_relaxed);
        }
    }
};

inline void failure_trampoline(void *user_data, ua_event_kind kind, const char *event_json,
                               const ua_result *result) noexcept {
    auto &hooks = *static_cast<QueueHooks *>(user_data);
    try {
        const Error failure(result);
        (*hooks.on_failure)(static_cast<EventKind>(kind), event_json != nullptr ? event_json : "", failure);
    } catch (const std::exception &e) {
        hooks.caught("failure", e.what());
    } catch (...) {
        hooks.caught("failure", "an exception that is not a std::exception");
    }
}

inline void log_trampoline(void *user_data, std::int32_t level, const char *message) noexcept {
    auto &hooks = *static_cast<QueueHooks *>(user_data);
    try {
        (*hooks.on_log)(static_cast<LogLevel>(level), message != nullptr ? message : "");
    } catch (...) {
        // Not told to the log callback: it is the one that threw.
        hooks.caught("log", nullptr);
    }
}
}  // namespace detail

/// Settings for a Client or a Queue. Setters throw Error (UA_INVALID_ARGUMENT) on a refused
/// value, with the library's reason as its message, leaving the setting as it
/// was; they return *this, so they chain. A Client or Queue copies them (a Queue
/// shares the callbacks): an Options object can be changed or destroyed
/// afterwards, or reused for another Client or Queue. A Client ignores the
/// queue settings.
class Options {
public:
    /// Default settings (no token yet). Throws std::bad_alloc if out of memory.
    Options() : handle_(::ua_options_new()) {
        if (!handle_) throw std::bad_alloc();
    }

    /// The access token (API key or search token) sent as "Authorization: Bearer".
    Options &token(std::string_view value) { return set_text(&::ua_options_set_token, value, "token"); }
    /// The base URL, ending in /rest/ua (https, or http on loopback only).
    Options &endpoint(std::string_view value) { return set_text(&::ua_options_set_endpoint, value, "endpoint"); }
    /// The organization id, sent as the "org" query parameter.
    Options &org(std::string_view value) { return set_text(&::ua_options_set_org, value, "org"); }
    /// A product token added to the User-Agent, e.g. "my-app/1.2".
    Options &user_agent(std::string_view value) { return set_text(&::ua_options_set_user_agent, value, "user_agent"); }
    /// A PEM file of extra trusted certificate authorities.
    Options &ca_file(std::string_view path) { return set_text(&::ua_options_set_ca_file, path, "ca_file"); }
    /// A proxy URL for every request.
    Options &proxy(std::string_view url) { return set_text(&::ua_options_set_proxy, url, "proxy"); }
    /// Time allowed for one attempt, in milliseconds.
    Options &timeout_ms(std::uint32_t ms) { return check(::ua_options_set_timeout_ms(get(), ms)); }
    /// Time allowed for the whole call, retries and waits included, in milliseconds.
    Options &deadline_ms(std::uint32_t ms) { return check(::ua_options_set_deadline_ms(get(), ms)); }
    /// Retries after a 5xx, 429, connection failure or timed-out attempt.
    Options &max_retries(std::uint32_t retries) { return check(::ua_options_set_max_retries(get(), retries)); }
    /// Backoff before retry n: uniform in [0, min(max_ms, base_ms * 2^n)].
    Options &retry_backoff_ms(std::uint32_t base_ms, std::uint32_t max_ms) {
        return check(::ua_options_set_retry_backoff_ms(get(), base_ms, max_ms));
    }
    /// Whether events are checked (JSON, required fields, types) before sending.
    Options &local_checks(bool enabled) { return check(::ua_options_set_local_checks(get(), enabled)); }

    /// How much a queue holds in memory at most: `max_events` events and
    /// `max_bytes` bytes of JSON (with a spool, the rest waits on disk).
    Options &queue_capacity(std::uint32_t max_events, std::uint64_t max_bytes) {
        return check(::ua_options_set_queue_capacity(get(), max_events, max_bytes));
    }
    /// The most worker threads that deliver a queue's events (1 to 256,
    /// default 64); a queue runs as many as its backlog needs.
    Options &queue_workers(std::uint32_t workers) { return check(::ua_options_set_queue_workers(get(), workers)); }
    /// How long an event is tried again through an outage before it fails for good.
    Options &queue_max_age_ms(std::uint64_t ms) { return check(::ua_options_set_queue_max_age_ms(get(), ms)); }
    /// The whole queue's pause while the service throttles or fails: about
    /// `base_ms`, doubled by each failed probe up to `max_ms`.
    Options &queue_backoff_ms(std::uint32_t base_ms, std::uint32_t max_ms) {
        return check(::ua_options_set_queue_backoff_ms(get(), base_ms, max_ms));
    }
    /// A directory that makes queues durable; empty: no spool (the default).
    /// Checked when a Queue is built.
    Options &spool_dir(std::string_view path) { return set_text(&::ua_options_set_spool_dir, path, "spool_dir"); }
    /// How many bytes of events a queue's lane of the spool holds at most (each
    /// event takes its JSON and 21 bytes; default 256 MiB); with a spool,
    /// queue_capacity then bounds only what is held in memory.
    Options &spool_capacity(std::uint64_t max_bytes) { return check(::ua_options_set_spool_capacity(get(), max_bytes)); }
    /// How often the spool is synced to the disk (what a power loss may cost), in milliseconds.
    Options &spool_fsync_interval_ms(std::uint32_t ms) {
        return check(::ua_options_set_spool_fsync_interval_ms(get(), ms));
    }
    /// The function that hears of every event a queue gives up on for good;
    /// an empty function removes it. Each Queue built afterwards shares it
    /// (keeps it alive as long as the Queue), so this Options object may go
    /// first; queues built before keep the callback they had. If it throws,
    /// the exception is caught (see Queue::callback_exceptions).
    Options &on_failure(FailureCallback callback) {
        check(::ua_options_set_failure_callback(get(), nullptr, nullptr));  // refuses a moved-from object
        failure_callback_ = callback ? std::make_shared<const FailureCallback>(std::move(callback)) : nullptr;
        return *this;
    }
    /// The function that receives a queue's log messages at `max_level` and
    /// below; an empty function removes it. Shared like on_failure's, and an
    /// exception it throws is caught the same way. A level the library does not
    /// know is refused.
    Options &on_log(LogCallback callback, LogLevel max_level) {
        auto kept = callback ? std::make_shared<const LogCallback>(std::move(callback)) : nullptr;
        // The library checks the level; its hook is set only while a Queue is built.
        check(::ua_options_set_log_callback(get(), nullptr, nullptr, static_cast<std::int32_t>(max_level)));
        log_callback_ = std::move(kept);
        log_level_ = max_level;
        return *this;
    }

    /// The C handle, still owned by this object. The queue callbacks are not
    /// registered on it (only while a Queue is being built), so a queue made
    /// from it with the C API directly has none.
    ua_options *get() const noexcept { return handle_.get(); }

private:
    friend class Queue;
    Options &check(ua_code code) {
        if (code != UA_OK) throw Error(code, detail::options_failure(get(), code));
        return *this;
    }
    // `what` names the setter only for the one refusal the C boundary cannot
    // report: a NUL inside the view, which would cut the C string short.
    Options &set_text(ua_code (*setter)(ua_options *, const char *), std::string_view value, const char *what) {
        if (!detail::has_no_nul(value))
            throw Error(UA_INVALID_ARGUMENT, std::string("coveo::ua::Options::") + what +
                                                 ": the string_view holds a NUL byte, which a C string cannot carry");
        return check(setter(get(), std::string(value).c_str()));
    }

    std::unique_ptr<ua_options, detail::OptionsDeleter> handle_;
    std::shared_ptr<const FailureCallback> failure_callback_;
    std::shared_ptr<const LogCallback> log_callback_;
    LogLevel log_level_ = LogLevel::Error;
};

/// Sends events. Thread-safe: share one Client between threads.
class Client {
public:
    /// Builds a client from a copy of `options`; throws Error (UA_INVALID_ARGUMENT,
    /// e.g. no token set) with the library's reason as its message.
    explicit Client(const Options &options) {
        ua_client *client = nullptr;
        const ua_code code = ::ua_client_new(options.get(), &client);
        if (code != UA_OK) throw Error(code, detail::options_failure(options.get(), code));
        handle_.reset(client);
    }

    /// Sends one event (a JSON object; for SearchBatch a JSON array) and blocks until it is accepted or has
    /// failed for good. Returns the result on success; throws Error otherwise.
    Result send(EventKind kind, std::string_view event_json) const {
        if (!detail::has_no_nul(event_json))
            throw Error(UA_INVALID_ARGUMENT,
                        "coveo::ua::Client::send: the string_view holds a NUL byte, which a C string cannot carry");
        ua_result *raw = nullptr;
        ::ua_send_event(handle_.get(), static_cast<ua_event_kind>(kind), std::string(event_json).c_str(), &raw);
        if (raw == nullptr) throw std::bad_alloc();
        Result result(raw);
        if (!result.ok()) throw Error(result.get());
        return result;
    }

    /// Sends a JSON array of search events in one request: send() with
    /// EventKind::SearchBatch (UA_EVENT_SEARCH_BATCH in coveo_ua.h says how the
    /// items are checked and what the result holds).
    Result send_search_batch(std::string_view search_events_json) const {
        return send(EventKind::SearchBatch, search_events_json);
    }

    /// Sends a collect event (POST /v15/analytics/collect): send() with
    /// EventKind::Collect. The result's visitor_id() is the answer's visitorId.
    Result send_collect(std::string_view collect_event_json) const {
        return send(EventKind::Collect, collect_event_json);
    }

    /// The C handle, still owned by this object.
    const ua_client *get() const noexcept { return handle_.get(); }

private:
    std::unique_ptr<ua_client, detail::ClientDeleter> handle_;
};

/// Every counter of a queue, each read on its own: while events are moving the
/// values may be from slightly different moments, so the identity
/// Read together by counters(), so enqueued + recovered == delivered + failed
/// + pending holds exactly, even while events move.
struct QueueCounters {
    std::uint64_t enqueued = 0;
    std::uint64_t delivered = 0;
    std::uint64_t failed = 0;
    std::uint64_t refused = 0;
    std::uint64_t pending = 0;
    std::uint64_t attempts = 0;
    std::uint64_t recovered = 0;
    /// Worker threads running now (not part of the identity).
    std::uint64_t workers = 0;
};

/// A delivery queue: hands events to worker threads that deliver them with the
/// client's rules and reports every failure to the failure callback.
/// docs/queue.md says what it guarantees. enqueue, try_enqueue, flush and the
/// counters may be called from any number of threads at once.
///
/// The destructor frees the queue; one not closed yet is first closed with the
/// library's grace (2 s), so it may block that long. After it (or a move
/// assignment over this queue) returns, no callback of the queue runs any more.
///
/// After fork() the Queue keeps working in the child: the child's first call
/// starts its own queue in the library from the same options (its own
/// workers, spool lane and counters), sharing the parent's callbacks as they
/// were at the fork. The child's destructor frees only the child's queue.
class Queue {
public:
    /// Builds a queue from a copy of `options` (sharing their callbacks) and
    /// starts its workers. Throws Error with the library's reason:
    /// UA_INVALID_ARGUMENT (e.g. no token set) or UA_SPOOL_FAILED (the spool
    /// directory cannot be created, written or read; any number of live
    /// queues may share one).
    explicit Queue(const Options &options) : hooks_(std::make_unique<detail::QueueHooks>()) {
        hooks_->on_failure = options.failure_callback_;
        hooks_->on_log = options.log_callback_;
        ua_queue *queue = nullptr;
        ua_code code = UA_OK;
        std::string failure;
        {
            const Registration registration(options, *hooks_);
            code = ::ua_queue_new(options.get(), &queue);
            if (code != UA_OK) failure = detail::options_failure(options.get(), code);
        }
        if (code != UA_OK) throw Error(code, std::move(failure));
        handle_.reset(queue);
    }

    Queue(Queue &&) noexcept = default;
    /// Frees this queue (as the destructor does), then takes `other`'s.
    Queue &operator=(Queue &&other) noexcept {
        if (this != &other) {
            handle_ = std::move(other.handle_);  // the old queue is freed while its hooks still live
            hooks_ = std::move(other.hooks_);
        }
        return *this;
    }
    ~Queue() { handle_.reset(); }  // before hooks_: callbacks may run until ua_queue_free returns

    /// Hands an event to the queue (a JSON object; for SearchBatch a JSON
    /// array) and returns without waiting for the network. Throws Error when
    /// the event is not taken, with the library's reason: a failed local check
    /// (its code and the type the service would have answered), UA_QUEUE_FULL,
    /// UA_QUEUE_CLOSED, UA_SPOOL_FAILED or UA_INVALID_ARGUMENT.
    void enqueue(EventKind kind, std::string_view event_json) {
        const std::string json = c_string(event_json, "enqueue");
        ua_result *refusal = nullptr;
        const ua_code code = ::ua_queue_enqueue_with_result(handle_.get(), static_cast<ua_event_kind>(kind),
                                                            json.c_str(), &refusal);
        if (code == UA_OK) return;
        if (refusal == nullptr) throw Error(code, std::string(::ua_error_describe(code)));
        const std::unique_ptr<ua_result, detail::ResultDeleter> owned(refusal);
        throw Error(owned.get());
    }

    /// enqueue() without the exception: returns UA_OK when the event was taken,
    /// else the code enqueue() would have thrown, with no reason (cheaper on a
    /// path that expects refusals, such as a full queue during an outage).
    /// Throws only std::bad_alloc. A NUL byte in the view gives
    /// UA_INVALID_ARGUMENT before the library sees it (not counted as refused).
    ua_code try_enqueue(EventKind kind, std::string_view event_json) {
        if (!detail::has_no_nul(event_json)) return UA_INVALID_ARGUMENT;
        return ::ua_queue_enqueue(handle_.get(), static_cast<ua_event_kind>(kind), std::string(event_json).c_str());
    }

    /// enqueue() with EventKind::SearchBatch: a JSON array of search events
    /// delivered in one request.
    void enqueue_search_batch(std::string_view search_events_json) {
        enqueue(EventKind::SearchBatch, search_events_json);
    }

    /// enqueue() with EventKind::Collect: one collect event.
    void enqueue_collect(std::string_view collect_event_json) { enqueue(EventKind::Collect, collect_event_json); }

    /// Waits until every event taken before the call is delivered or failed
    /// (and its failure callback returned): true, or false when `timeout`
    /// passes first. Throws Error UA_QUEUE_CLOSED on a closed queue with events
    /// left, UA_INVALID_ARGUMENT for a negative timeout. Timeouts past
    /// 2^32-1 ms (49 days) wait that long. Never from the queue's own callbacks.
    bool flush(std::chrono::milliseconds timeout) {
        return finished(::ua_queue_flush(handle_.get(), timeout_ms(timeout, "flush")));
    }

    /// Stops taking events and delivers for at most `timeout`, then stops the
    /// workers: true when nothing was left, false otherwise (without a spool,
    /// each left event then reaches the failure callback with UA_QUEUE_CLOSED).
    /// A second close returns at once. Throws like flush for a negative
    /// timeout. For one thread, once the others are done; never from a callback.
    bool close(std::chrono::milliseconds timeout) {
        return finished(::ua_queue_close(handle_.get(), timeout_ms(timeout, "close")));
    }

    /// One counter's value now; 0 for a moved-from queue.
    std::uint64_t counter(Counter which) const noexcept {
        return ::ua_queue_counter(handle_.get(), static_cast<ua_counter>(which));
    }

    /// Every counter, read at one moment; all 0 for a moved-from queue.
    QueueCounters counters() const noexcept {
        std::uint64_t v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        ::ua_queue_counters(handle_.get(), v, 8);
        auto at = [&v](Counter which) { return v[static_cast<int>(which) - 1]; };
        QueueCounters c;
        c.enqueued = at(Counter::Enqueued);
        c.recovered = at(Counter::Recovered);
        c.refused = at(Counter::Refused);
        c.delivered = at(Counter::Delivered);
        c.failed = at(Counter::Failed);
        c.pending = at(Counter::Pending);
        c.attempts = at(Counter::Attempts);
        c.workers = at(Counter::Workers);
        return c;
    }

    /// How many exceptions this queue's callbacks threw. Each was caught at the
    /// boundary (none reaches the library's threads); one from the failure
    /// callback is also told to the log callback, at LogLevel::Error.
    std::uint64_t callback_exceptions() const noexcept {
        return hooks_ ? hooks_->exceptions.load(std::memory_order_relaxed) : 0;
    }

    /// The C handle, still owned by this object.
    ua_queue *get() const noexcept { return handle_.get(); }

private:
    // The C options hold the trampolines only while ua_queue_new copies them,
    // so the C handle never points at memory a Queue owns; removed on every
    // way out, exceptions included.
    // Neither setter can fail here: the options are live and the level was
    // checked by Options::on_log.
    class Registration {
    public:
        Registration(const Options &options, detail::QueueHooks &hooks)
            : raw_(options.get()), hooks_(hooks), level_(static_cast<std::int32_t>(options.log_level_)) {
            if (raw_ == nullptr) return;
            if (hooks_.on_failure) ::ua_options_set_failure_callback(raw_, &detail::failure_trampoline, &hooks_);
            if (hooks_.on_log) ::ua_options_set_log_callback(raw_, &detail::log_trampoline, &hooks_, level_);
        }
        ~Registration() {
            if (raw_ == nullptr) return;
            if (hooks_.on_failure) ::ua_options_set_failure_callback(raw_, nullptr, nullptr);
            if (hooks_.on_log) ::ua_options_set_log_callback(raw_, nullptr, nullptr, level_);
        }
        Registration(const Registration &) = delete;
        Registration &operator=(const Registration &) = delete;

    private:
        ua_options *raw_;
        detail::QueueHooks &hooks_;
        std::int32_t level_;
    };

    static std::string c_string(std::string_view value, const char *method) {
        if (!detail::has_no_nul(value))
            throw Error(UA_INVALID_ARGUMENT, std::string("coveo::ua::Queue::") + method +
                                                 ": the string_view holds a NUL byte, which a C string cannot carry");
        return std::string(value);
    }

    static std::uint32_t timeout_ms(std::chrono::milliseconds timeout, const char *method) {
        if (timeout.count() < 0)
            throw Error(UA_INVALID_ARGUMENT, std::string("coveo::ua::Queue::") + method + ": the timeout is negative");
        constexpr auto longest = std::numeric_limits<std::uint32_t>::max();
        return timeout.count() > longest ? longest : static_cast<std::uint32_t>(timeout.count());
    }

    static bool finished(ua_code code) {
        if (code == UA_OK) return true;
        if (code == UA_TIMEOUT) return false;
        throw Error(code, std::string(::ua_error_describe(code)));
    }

    std::unique_ptr<detail::QueueHooks> hooks_;
    std::unique_ptr<ua_queue, detail::QueueDeleter> handle_;
};

}  // namespace coveo::ua

#endif  // COVEO_UA_HPP
