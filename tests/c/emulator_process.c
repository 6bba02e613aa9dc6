/* emulator_process.c: see emulator_process.h. */
#define _POSIX_C_SOURCE 200809L

#include "emulator_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EMU_MAX_ARGS 32

static void sleep_ms(long ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* Looks for "http://..." in the emulator's stdout file; 1 when found. */
static int read_endpoint(emu_process *emu)
{
    char line[512];
    FILE *f = fopen(emu->stdout_path, "r");
    int found = 0;

    if (f == NULL)
        return 0;
    if (fgets(line, sizeof line, f) != NULL) {
        char *url = strstr(line, "http://");
        if (url != NULL && strchr(url, '\n') != NULL) {
            url[strcspn(url, " \r\n")] = '\0';
            if (strlen(url) < sizeof emu->endpoint) {
                strcpy(emu->endpoint, url);
                found = 1;
            }
        }
    }
    fclose(f);
    return found;
}

int emu_start(emu_process *emu, const char *const *args)
{
    const char *bin = getenv("UA_EMULATOR_BIN");
    const char *argv[EMU_MAX_ARGS + 4];
    size_t n = 0;
    int out_fd, waited_ms;
    pid_t parent;

    memset(emu, 0, sizeof *emu);
    if (bin == NULL || bin[0] == '\0')
        bin = "target/release/ua-emulator";
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "emulator: %s is missing or not executable (run 'make build')\n", bin);
        return -1;
    }
    argv[n++] = bin;
    argv[n++] = "--listen";
    argv[n++] = "127.0.0.1:0";
    while (args != NULL && args[n - 3] != NULL && n < EMU_MAX_ARGS + 3) {
        argv[n] = args[n - 3];
        n++;
    }
    argv[n] = NULL;

    strcpy(emu->stdout_path, "/tmp/coveo-ua-c-test-XXXXXX");
    out_fd = mkstemp(emu->stdout_path);
    if (out_fd < 0) {
        perror("emulator: mkstemp");
        return -1;
    }
    fflush(NULL);
    parent = getpid();
    emu->pid = fork();
    if (emu->pid < 0) {
        perror("emulator: fork");
        close(out_fd);
        return -1;
    }
    if (emu->pid == 0) {
        /* If the test dies (a crash in the library, say), the emulator goes too. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        /* A file, not a pipe: the emulator can never block on a full pipe. */
        dup2(out_fd, STDOUT_FILENO);
        close(out_fd);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(out_fd);

    for (waited_ms = 0; waited_ms < 10000; waited_ms += 20) {
        int status;
        if (read_endpoint(emu))
            return 0;
        if (waitpid(emu->pid, &status, WNOHANG) == emu->pid) {
            fprintf(stderr, "emulator: %s exited before listening (status %d)\n", bin, status);
            emu->pid = 0;
            unlink(emu->stdout_path);
            return -1;
        }
        sleep_ms(20);
    }
    fprintf(stderr, "emulator: no 'listening on' line within 10 s\n");
    emu_stop(emu);
    return -1;
}

void emu_stop(emu_process *emu)
{
    int waited_ms, status;

    if (emu->pid <= 0)
        return;
    kill(emu->pid, SIGTERM);
    for (waited_ms = 0; waited_ms < 5000; waited_ms += 20) {
        if (waitpid(emu->pid, &status, WNOHANG) == emu->pid)
            break;
        sleep_ms(20);
    }
    if (waited_ms >= 5000) {
        fprintf(stderr, "emulator: did not stop on SIGTERM; killing it\n");
        kill(emu->pid, SIGKILL);
        waitpid(emu->pid, &status, 0);
    }
    emu->pid = 0;
    unlink(emu->stdout_path);
}
