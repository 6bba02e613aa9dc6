// tls_ca_file.cpp: Options::ca_file trusts the file's certificates instead of
// the operating system's store. A program of its own, run plain only (make
// test-cpp-tls): TLS under valgrind reports ring's constant-time assembly as
// reads of uninitialised memory, which it is not; the rest of the C++ suite
// runs under valgrind.
//
// The system store honours SSL_CERT_FILE on Linux, so a test CA put there
// plays a CA the machine trusts. The certificates are made with the openssl
// command, and `openssl s_server` is the TLS server: it completes the
// handshake with a localhost certificate from that CA, then holds a POST
// without answering. So a send that passed the handshake ends in UA_TIMEOUT
// (after a 1 s attempt timeout), and one whose certificate was refused in
// UA_CONNECTION_FAILED naming the certificate.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <coveo_ua.hpp>

#include "harness.h"

namespace ua = coveo::ua;

namespace {

struct TlsServer {
    std::string dir;
    pid_t pid = -1;
    int port = 0;
};

bool sh(const std::string &command) {
    return std::system(command.c_str()) == 0;
}

// Two CAs (system.pem, other.pem) and a localhost leaf signed by 'system', in dir.
bool make_certificates(const std::string &dir) {
    const std::string quiet = " >/dev/null 2>&1";
    const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    for (const char *ca : {"system", "other"}) {
        if (!sh("cd '" + dir + "' && openssl req -x509" + key + " -keyout " + ca + ".key -out " + ca +
                ".pem -days 2 -subj /CN=" + ca + " -addext basicConstraints=critical,CA:TRUE" +
                " -addext keyUsage=critical,keyCertSign" + quiet))
            return false;
    }
    return sh("cd '" + dir + "' && openssl req" + key + " -keyout leaf.key -out leaf.csr -subj /CN=localhost" + quiet +
              " && printf 'subjectAltName=DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > leaf.ext" +
              " && openssl x509 -req -in leaf.csr -CA system.pem -CAkey system.key -CAcreateserial" +
              " -out leaf.pem -days 2 -extfile leaf.ext" + quiet);
}

// Starts openssl s_server on a free loopback port; waits at most 10 s for its
// ACCEPT line. false (and nothing left running) on failure.
bool start_server(TlsServer &server) {
    const std::string out = server.dir + "/s_server.out";
    server.pid = fork();
    if (server.pid < 0) return false;
    if (server.pid == 0) {
        if (std::freopen(out.c_str(), "w", stdout) == nullptr) _exit(127);
        if (std::freopen("/dev/null", "w", stderr) == nullptr) _exit(127);
        const std::string cert = server.dir + "/leaf.pem", key = server.dir + "/leaf.key";
        execlp("openssl", "openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", cert.c_str(), "-key", key.c_str(),
               "-www", "-naccept", "3", static_cast<char *>(nullptr));
        _exit(127);
    }
    for (int waited_ms = 0; waited_ms < 10000; waited_ms += 20) {
        if (FILE *f = std::fopen(out.c_str(), "r")) {
            char line[256];
            while (std::fgets(line, sizeof line, f) != nullptr) {
                const char *at = std::strstr(line, "ACCEPT 127.0.0.1:");
                if (at != nullptr) server.port = std::atoi(at + std::strlen("ACCEPT 127.0.0.1:"));
            }
            std::fclose(f);
        }
        if (server.port > 0) return true;
        if (waitpid(server.pid, nullptr, WNOHANG) == server.pid) break;
        const struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, nullptr);
    }
    kill(server.pid, SIGKILL);
    waitpid(server.pid, nullptr, 0);
    server.pid = -1;
    return false;
}

void stop_server(TlsServer &server) {
    if (server.pid > 0) {
        kill(server.pid, SIGTERM);
        waitpid(server.pid, nullptr, 0);
    }
    sh("rm -rf '" + server.dir + "'");
}

// One custom event to the server with ca_file (empty: none set): the code.
ua_code send_with_ca_file(const TlsServer &server, const std::string &ca_file, std::string &message) {
    ua::Options options;
    options.token("xx-test-key")
        .endpoint("https://localhost:" + std::to_string(server.port) + "/rest/ua")
        .max_retries(0)
        .timeout_ms(1000)
        .deadline_ms(5000);
    if (!ca_file.empty()) options.ca_file(ca_file);
    const ua::Client client(options);
    try {
        client.send(ua::EventKind::Custom, R"({"eventType":"cpp","eventValue":"tls","language":"en"})");
        message = "accepted";
        return UA_OK;
    } catch (const ua::Error &e) {
        message = e.message();
        return e.code();
    }
}

void a_ca_file_replaces_the_system_store() {
    char dir_template[] = "/tmp/coveo-ua-cpp-tls.XXXXXX";
    TlsServer server;
    CHECK(mkdtemp(dir_template) != nullptr);
    server.dir = dir_template;
    CHECK(make_certificates(server.dir));
    CHECK(start_server(server));
    if (server.port > 0) {
        const char *previous = std::getenv("SSL_CERT_FILE");
        const std::string saved = previous != nullptr ? previous : "";
        setenv("SSL_CERT_FILE", (server.dir + "/system.pem").c_str(), 1);
        std::string message;
        // The system store trusts the server: the handshake passes.
        CHECK_CODE(send_with_ca_file(server, "", message), UA_TIMEOUT);
        // A CA file naming another CA: the system store is not consulted.
        CHECK_CODE(send_with_ca_file(server, server.dir + "/other.pem", message), UA_CONNECTION_FAILED);
        CHECK_CONTAINS(message.c_str(), "certificate");
        // A CA file naming the server's CA: trusted again.
        CHECK_CODE(send_with_ca_file(server, server.dir + "/system.pem", message), UA_TIMEOUT);
        if (previous != nullptr)
            setenv("SSL_CERT_FILE", saved.c_str(), 1);
        else
            unsetenv("SSL_CERT_FILE");
    }
    stop_server(server);
}

}  // namespace

int main() {
    th_run("a_ca_file_replaces_the_system_store", [] {
        try {
            a_ca_file_replaces_the_system_store();
        } catch (const std::exception &e) {
            th_fail(__FILE__, __LINE__, "uncaught exception: %s", e.what());
        }
    });
    return th_summary();
}
