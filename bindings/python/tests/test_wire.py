"""What actually goes over the wire: bytes, headers, user agent, proxy.

A small recording HTTP server (real loopback sockets) stands where the service
would be, so the tests see exactly what the library sent for the binding.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import coveo_ua
from coveo_ua import Client
from support import TOKEN, Emulator, custom_event

IO_TIMEOUT_S = 10.0


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: List[Tuple[str, Dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        one = {"visitId": "v", "visitorId": "recorded-visitor", "clientId": "c"}
        # A batch is answered item by item, as the service does.
        items = len(json.loads(body)) if self.path.split("?")[0].endswith("/searches") else 0
        answer = json.dumps([dict(one, visitorId=f"visitor-{i}") for i in range(items)] if items else one).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output clean


@pytest.fixture
def recorder() -> Iterator[Tuple[str, List[Tuple[str, Dict[str, str], bytes]]]]:
    seen: List[Tuple[str, Dict[str, str], bytes]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/rest/ua", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(IO_TIMEOUT_S)


def test_a_mapping_travels_as_compact_json_with_the_contract_headers(recorder: Any) -> None:
    url, seen = recorder
    with Client(TOKEN, url, "my-org", user_agent="python-tests/2.0", max_retries=0) as client:
        result = client.send_custom({"eventType": "t", "eventValue": "é", "language": "en"})
    assert result.visitor_id == "recorded-visitor"
    [(path, headers, body)] = seen
    assert path == "/rest/ua/v15/analytics/custom?org=my-org"
    assert body == '{"eventType":"t","eventValue":"é","language":"en"}'.encode()
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "application/json"
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert int(headers["content-length"]) == len(body)
    user_agent = headers["user-agent"]
    assert user_agent.startswith(f"coveo-ua/{coveo_ua.library_version()}")
    assert "python-tests/2.0" in user_agent


def test_a_str_event_travels_unchanged(recorder: Any) -> None:
    url, seen = recorder
    text = '{ "eventType" : "t",\n  "eventValue": "v", "language": "en" }'
    with Client(TOKEN, url, max_retries=0) as client:
        client.send("custom", text)
    assert seen[0][2] == text.encode()


def test_a_search_batch_travels_as_one_compact_json_array(recorder: Any) -> None:
    url, seen = recorder
    batch = [{"queryText": "a", "n": 1}, {"queryText": "é"}]
    with Client(TOKEN, url, max_retries=0, local_checks=False) as client:
        result = client.send_search_batch(batch)
    [(path, headers, body)] = seen
    assert path == "/rest/ua/v15/analytics/searches"
    assert body == '[{"queryText":"a","n":1},{"queryText":"é"}]'.encode()
    assert result.visitor_id == "visitor-0"
    assert result.body is not None and len(json.loads(result.body)) == 2


def test_a_batch_as_text_travels_unchanged(recorder: Any) -> None:
    url, seen = recorder
    text = '[ {"queryText": "a"} ,\n {"queryText": "b"} ]'
    with Client(TOKEN, url, max_retries=0, local_checks=False) as client:
        client.send("search_batch", text)
        client.send_search_batch(text.encode())
    assert [body for _, _, body in seen] == [text.encode()] * 2


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while True:
            chunk = source.recv(65536)
            if not chunk:
                break
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _tunnel_proxy(listener: socket.socket, requests: List[str]) -> None:
    """A minimal HTTP CONNECT proxy serving one tunnel."""
    client, _ = listener.accept()
    client.settimeout(IO_TIMEOUT_S)
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        chunk = client.recv(4096)
        if not chunk:
            break
        head += chunk
    request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    requests.append(request_line)
    method, target = (request_line.split(" ") + ["", ""])[:2]
    if method != "CONNECT":
        client.sendall(b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        client.close()
        return
    host, port = target.rsplit(":", 1)
    upstream = socket.create_connection((host, int(port)), timeout=IO_TIMEOUT_S)
    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
    back.start()
    _pipe(client, upstream)
    back.join(IO_TIMEOUT_S)
    client.close()
    upstream.close()


def test_the_proxy_option_routes_the_request_through_the_proxy(emu: Emulator) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(IO_TIMEOUT_S)
    requests: List[str] = []
    proxy = threading.Thread(target=_tunnel_proxy, args=(listener, requests), daemon=True)
    proxy.start()
    try:
        proxy_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with Client(TOKEN, emu.url, proxy=proxy_url, max_retries=0, timeout=10) as client:
            result = client.send_custom(custom_event("via-proxy"))
    finally:
        proxy.join(IO_TIMEOUT_S)
        listener.close()
    emulator_host = emu.url.split("//", 1)[1].split("/", 1)[0]
    assert requests == [f"CONNECT {emulator_host} HTTP/1.1"]
    assert result.http_status == 200
    assert [e["body"]["eventValue"] for e in emu.events()] == ["via-proxy"]


@pytest.mark.parametrize("proxy", ["ftp://127.0.0.1:1", "not a url", "http://"])
def test_a_bad_proxy_is_an_invalid_argument(proxy: str) -> None:
    with pytest.raises(coveo_ua.InvalidArgumentError):
        Client(TOKEN, proxy=proxy)


def test_an_empty_proxy_means_no_proxy(emu: Emulator) -> None:
    with Client(TOKEN, emu.url, proxy="", max_retries=0) as client:
        assert client.send_custom(custom_event("direct")).http_status == 200
    assert [e["body"]["eventValue"] for e in emu.events()] == ["direct"]


@pytest.mark.parametrize("content", [None, "this is not a certificate\n"])
def test_an_unusable_ca_file_is_an_invalid_argument_naming_the_file(tmp_path: Any, content: Any) -> None:
    path = tmp_path / "roots.pem"
    if content is not None:
        path.write_text(content)
    with pytest.raises(coveo_ua.InvalidArgumentError) as caught:
        Client(TOKEN, ca_file=path)
    assert "roots.pem" in caught.value.message
