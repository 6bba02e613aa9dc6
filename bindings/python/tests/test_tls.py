"""ca_file: the file's certificates are trusted instead of the system store.

The system store is the operating system's, which on Linux honours
SSL_CERT_FILE: pointing it at a test CA makes a local TLS server trusted
without touching the machine. The certificates are made with the openssl
command; the server is Python's ssl module on a real loopback socket, and
answers one request as the service would.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Tuple

import pytest

import coveo_ua
from coveo_ua import Client
from support import TOKEN

IO_TIMEOUT_S = 10.0


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _make_ca(folder: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN=coveo-ua {name} CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
             cwd=folder)


@pytest.fixture
def pki(tmp_path: Path) -> Dict[str, Path]:
    """Two CAs, 'system' and 'other', and a leaf for localhost signed by 'system'."""
    _make_ca(tmp_path, "system")
    _make_ca(tmp_path, "other")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost", cwd=tmp_path)
    (tmp_path / "leaf.ext").write_text("subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "leaf.csr", "-CA", "system.pem", "-CAkey", "system.key", "-CAcreateserial",
             "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext", cwd=tmp_path)
    return {"system": tmp_path / "system.pem", "other": tmp_path / "other.pem",
            "leaf": tmp_path / "leaf.pem", "key": tmp_path / "leaf.key"}


class _OneRequestServer:
    """A TLS server on loopback that answers one request with a service-like 200."""

    def __init__(self, leaf: Path, key: Path) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(leaf, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(IO_TIMEOUT_S)
        self.port = self.listener.getsockname()[1]
        self.served = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            raw, _ = self.listener.accept()
            raw.settimeout(IO_TIMEOUT_S)
            with self.context.wrap_socket(raw, server_side=True) as tls:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = tls.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                # Read the whole body: closing with bytes unread would reset
                # the connection before the client reads the answer.
                head, _, body = request.partition(b"\r\n\r\n")
                length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                while len(body) < length:
                    chunk = tls.recv(4096)
                    if not chunk:
                        return
                    body += chunk
                answer = json.dumps({"visitId": "a", "visitorId": "tls-visitor", "clientId": "c"}).encode()
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                            + f"Content-Length: {len(answer)}\r\n\r\n".encode() + answer)
                self.served = True
        except (OSError, ssl.SSLError):
            pass  # a refused handshake: served stays False

    def finish(self) -> bool:
        self.thread.join(IO_TIMEOUT_S)
        self.listener.close()
        assert not self.thread.is_alive(), "the TLS server thread did not end"
        return self.served


@pytest.fixture
def system_trusts(pki: Dict[str, Path], monkeypatch: Any) -> Iterator[Dict[str, Path]]:
    """The 'system' CA as the operating system's store, for this test only."""
    monkeypatch.setenv("SSL_CERT_FILE", str(pki["system"]))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    yield pki


def _send(ca_file: Optional[Path], pki: Dict[str, Path]) -> Tuple[Any, bool]:
    """One view event to a server with the leaf: (the result or the UAError
    raised, whether the server read the request and answered)."""
    server = _OneRequestServer(pki["leaf"], pki["key"])
    outcome: Any
    try:
        with Client(TOKEN, f"https://localhost:{server.port}/rest/ua", ca_file=ca_file, max_retries=0,
                    timeout=IO_TIMEOUT_S) as client:
            outcome = client.send_view({"location": "https://example.com/"})
    except coveo_ua.UAError as error:
        outcome = error
    return outcome, server.finish()


def test_the_system_store_is_used_without_a_ca_file(system_trusts: Dict[str, Path]) -> None:
    result, served = _send(None, system_trusts)
    assert served and result.visitor_id == "tls-visitor", result


def test_a_ca_file_naming_the_servers_ca_is_trusted(system_trusts: Dict[str, Path]) -> None:
    result, served = _send(system_trusts["system"], system_trusts)
    assert served and result.visitor_id == "tls-visitor", result


def test_a_ca_file_replaces_the_system_store(system_trusts: Dict[str, Path]) -> None:
    # The server's CA is in the system store, but the CA file names another
    # one: the system store is not consulted, so the certificate is refused
    # and the request never reaches the server.
    error, served = _send(system_trusts["other"], system_trusts)
    assert isinstance(error, coveo_ua.ConnectionFailedError), error
    assert "certificate" in error.message.lower(), error.message
    assert error.http_status == 0 and not served
