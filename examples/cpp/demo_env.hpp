// demo_env.hpp: what the C++ demos share: the service the environment names
// (UA_ENDPOINT, UA_TOKEN, UA_ORG; `make demo` sets them for a local
// ua-emulator) and options aimed at it. Nothing here is specific to the
// emulator: a program for the real service would do the same.
#ifndef COVEO_UA_DEMO_ENV_HPP
#define COVEO_UA_DEMO_ENV_HPP

#include <coveo_ua.hpp>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

struct DemoEnv {
    std::string endpoint;
    std::string token;
    std::string org;  // empty when UA_ORG is not set: no org is sent

    // Options with the endpoint, the token and (when set) the org.
    coveo::ua::Options options() const {
        coveo::ua::Options options;
        options.endpoint(endpoint).token(token);
        if (!org.empty()) options.org(org);
        return options;
    }
};

// Reads the environment; std::nullopt, after a hint on stderr, when
// UA_ENDPOINT or UA_TOKEN is missing.
inline std::optional<DemoEnv> read_demo_env() {
    const auto get = [](const char *name) {
        const char *value = std::getenv(name);
        return std::string(value != nullptr ? value : "");
    };
    DemoEnv env{get("UA_ENDPOINT"), get("UA_TOKEN"), get("UA_ORG")};
    if (env.endpoint.empty() || env.token.empty()) {
        std::cerr << "set UA_ENDPOINT and UA_TOKEN (make demo does)\n";
        return std::nullopt;
    }
    return env;
}

#endif
