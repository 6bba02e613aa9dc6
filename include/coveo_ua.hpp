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
// Thread safety: a Client may be used by any number of threads at once (its
// send() is const and the C client is thread-safe). Options and Result belong
// to one thread at a time, like their C counterparts. Error is a plain value.
// A moved-from object may only be destroyed or assigned to.
#ifndef COVEO_UA_HPP
#define COVEO_UA_HPP

#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

#include "coveo_ua.h"

namespace coveo::ua {

/// The kind of an event; selects the path /v15/analytics/{search,click,custom,view}.
/// SearchBatch is a JSON array of search events sent in one request (/searches).
enum class EventKind : std::int32_t {
    Search = UA_EVENT_SEARCH,
    Click = UA_EVENT_CLICK,
    Custom = UA_EVENT_CUSTOM,
    View = UA_EVENT_VIEW,
    SearchBatch = UA_EVENT_SEARCH_BATCH,
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

/// Settings for a Client. Setters throw Error (UA_INVALID_ARGUMENT) on a refused
/// value, with the library's reason as its message, leaving the setting as it
/// was; they return *this, so they chain. A Client copies them: an Options object
/// can be changed or destroyed afterwards, or reused for another Client.
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

    /// The C handle, still owned by this object.
    ua_options *get() const noexcept { return handle_.get(); }

private:
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

    /// The C handle, still owned by this object.
    const ua_client *get() const noexcept { return handle_.get(); }

private:
    std::unique_ptr<ua_client, detail::ClientDeleter> handle_;
};

}  // namespace coveo::ua

#endif  // COVEO_UA_HPP
