#!/usr/bin/env python3
"""Starts ua-emulator processes for test programs that cannot start a Linux
process themselves: a Windows test program under Wine (a Windows process can
start neither a Linux program nor read its output).

It listens on loopback and prints ``emulator-launcher listening on
127.0.0.1:PORT`` as its first line. Each connection sends the emulator's
arguments, one per line, then an empty line; the launcher starts
``$UA_EMULATOR_BIN --listen 127.0.0.1:0 ARGS...``, answers with the
emulator's first stdout line (``ua-emulator listening on http://...``), and
stops that emulator when the connection closes, so a test's emulator never
outlives the test's connection. scripts/with-emulator-launcher.sh runs a
command beside one launcher (exporting UA_EMULATOR_LAUNCHER=127.0.0.1:PORT).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

#: A test waits for its emulator this long at most.
START_SECONDS = 15


def serve(conn: socket.socket, emulator: str) -> None:
    with conn:
        conn.settimeout(START_SECONDS)
        reader = conn.makefile("r", encoding="utf-8", newline="\n")
        args = []
        for line in reader:
            line = line.rstrip("\r\n")
            if not line:
                break
            args.append(line)
        process = subprocess.Popen(
            [emulator, "--listen", "127.0.0.1:0", *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        try:
            first = process.stdout.readline() if process.stdout else b""
            conn.sendall(first or b"ua-emulator exited before listening\n")
            conn.settimeout(None)
            while conn.recv(4096):  # until the test closes its side
                pass
        except OSError:
            pass
        finally:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main() -> int:
    emulator = os.environ.get("UA_EMULATOR_BIN", "")
    if not os.path.isfile(emulator):
        print(f"emulator-launcher: UA_EMULATOR_BIN={emulator!r} is not a file", file=sys.stderr)
        return 1
    listener = socket.create_server(("127.0.0.1", 0))
    print(f"emulator-launcher listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, emulator), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
