"""Scriptable HTTP/1.1 server that responds like a P2Pool Observer's REST API.

Responses come from an ObserverData unless a test scripted a reply for
the path (and optionally the query). Every request is recorded with its path,
query and headers, and every accepted TCP connection is counted, so tests can
check what the plugin sent and whether it kept its connections alive.
"""

import fnmatch
import http.server
import socket
import struct
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from .data import ObserverData, read_fixture_bytes

HTML_CONTENT_TYPE = "text/html; charset=utf-8"

# Faults a scripted reply can have instead of a normal response.
FAULT_CLOSE = "close"  # close the connection without a response
FAULT_RESET = "reset"  # abort the connection with a TCP reset
FAULT_HANG = "hang"  # no response until the server stops or release()
FAULTS = (FAULT_CLOSE, FAULT_RESET, FAULT_HANG)


@dataclass
class Request:
    """One request as the server received it."""

    method: str
    path: str
    query: str
    params: dict
    headers: dict  # lower-case names
    connection: int  # number of the TCP connection, from 1
    time: float  # time.monotonic() when the request line arrived


@dataclass
class Rule:
    """A scripted reply. Unset fields fall back to the normal response."""

    pattern: str  # fnmatch pattern on the path, e.g. "/api/payouts/*" or "*"
    query: dict = None  # parameters that must all be present with these values
    status: int = None
    body: bytes = None
    content_type: str = None
    delay: float = 0.0  # seconds before the reply is sent
    fault: str = None
    times: int = None  # applies this many times, then expires
    used: int = field(default=0)

    def matches(self, path, params):
        if not fnmatch.fnmatchcase(path, self.pattern):
            return False
        for name, value in (self.query or {}).items():
            values = params.get(name)
            if values is None:
                return False
            if value is not None and str(value) not in values:
                return False
        return True


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeObserver/1.0"
    sys_version = ""
    # Idle keep-alive connections are closed after this many seconds.
    timeout = 30

    def setup(self):
        super().setup()
        self.connection_number = self.server.owner._connection_opened(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.owner._connection_closed(self.connection)

    def do_GET(self):
        self.server.owner._serve(self)

    def do_HEAD(self):
        self.server.owner._serve(self)

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class FakeObserverHTTP:
    """The REST half of the fake observer.

    data: the ObserverData served (default: the fixture data set).
    port: 0 lets the OS pick one; a stopped server restarts on the same port.
    """

    def __init__(self, data=None, host="127.0.0.1", port=0):
        self.data = data if data is not None else ObserverData.from_fixtures()
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._rules = []
        self._requests = []
        self._connections_total = 0
        self._open_sockets = set()
        self._stop_event = threading.Event()
        self._release_generation = 0
        self._server = None
        self._thread = None

    @property
    def url(self):
        """Base URL, e.g. http://127.0.0.1:40123 (no trailing slash)."""
        return "http://%s:%d" % (self.host, self.port)

    def start(self):
        """Listen and serve in a background thread."""
        self._stop_event.clear()
        self._server = _Server((self.host, self.port), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
            name="fake-observer-http", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop listening and close every open connection. New connections
        are then refused until start() is called again (same port)."""
        if self._server is None:
            return
        self._stop_event.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            sockets = list(self._open_sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(5)
        self._server = None

    @property
    def running(self):
        return self._server is not None

    # Scripting -----------------------------------------------------------

    def script(self, pattern, status=None, body=None, file=None, content_type=None,
               delay=0.0, fault=None, query=None, times=None):
        """Script the reply for paths matching pattern (fnmatch syntax; "*"
        matches every path). The newest rule that matches wins.

        body: bytes, str, or None for the normal body; file: a fixture name
        under tests/fixtures/observer used as the body. query: a dict of
        parameters the request must carry (value None: any value). fault:
        "close", "reset" or "hang". times: the rule expires after that many
        uses. Returns the Rule, which remove_rule() accepts.
        """
        if fault is not None and fault not in FAULTS:
            raise ValueError("unknown fault %r" % (fault,))
        if file is not None:
            body = read_fixture_bytes(file)
        if isinstance(body, str):
            body = body.encode()
        rule = Rule(pattern=pattern, query=query, status=status, body=body,
                    content_type=content_type, delay=delay, fault=fault, times=times)
        with self._lock:
            self._rules.append(rule)
        return rule

    def script_html(self, pattern="*", status=200):
        """Answer with the bot-challenge HTML page (status 200, 403, 418...)."""
        return self.script(pattern, status=status, file="challenge.html",
                           content_type=HTML_CONTENT_TYPE)

    def remove_rule(self, rule):
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear_script(self):
        """Drop every scripted rule and release hanging requests."""
        with self._lock:
            self._rules.clear()
        self.release()

    def release(self):
        """Let requests held by a "hang" fault or a delay finish now."""
        with self._lock:
            self._release_generation += 1

    # Observations --------------------------------------------------------

    @property
    def requests(self):
        """Every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, pattern):
        """Requests whose path matches an fnmatch pattern."""
        return [r for r in self.requests if fnmatch.fnmatchcase(r.path, pattern)]

    def clear_requests(self):
        with self._lock:
            self._requests.clear()

    @property
    def connections(self):
        """Number of TCP connections accepted since the server was made."""
        with self._lock:
            return self._connections_total

    @property
    def open_connections(self):
        with self._lock:
            return len(self._open_sockets)

    def wait_for_request(self, pattern, count=1, timeout=10.0, predicate=None):
        """Wait until at least count requests match pattern (and predicate,
        a function of a Request). Returns the matching requests or raises
        TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            matching = [r for r in self.requests_to(pattern)
                        if predicate is None or predicate(r)]
            if len(matching) >= count:
                return matching
            if time.monotonic() > deadline:
                raise TimeoutError("%d of %d requests to %s within %.1f s"
                                   % (len(matching), count, pattern, timeout))
            time.sleep(0.05)

    # Server internals ----------------------------------------------------

    def _connection_opened(self, sock):
        with self._lock:
            self._connections_total += 1
            self._open_sockets.add(sock)
            return self._connections_total

    def _connection_closed(self, sock):
        with self._lock:
            self._open_sockets.discard(sock)

    def _find_rule(self, path, params):
        with self._lock:
            for rule in reversed(self._rules):
                if rule.matches(path, params):
                    rule.used += 1
                    if rule.times is not None and rule.used >= rule.times:
                        self._rules.remove(rule)
                    return rule
        return None

    def _wait(self, seconds):
        """Sleep, but return early when the server stops or release() runs.
        Returns False when the request should be abandoned."""
        deadline = time.monotonic() + seconds
        with self._lock:
            generation = self._release_generation
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if self._stop_event.wait(min(remaining, 0.05)):
                return False
            with self._lock:
                if self._release_generation != generation:
                    return True

    def _serve(self, handler):
        split = urllib.parse.urlsplit(handler.path)
        params = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        request = Request(handler.command, split.path, split.query, params, headers,
                          handler.connection_number, time.monotonic())
        with self._lock:
            self._requests.append(request)

        rule = self._find_rule(split.path, params)
        status, content_type, body = self.data.respond(split.path, params)
        if rule is not None:
            if rule.fault == FAULT_HANG:
                self._wait(float("inf"))
                handler.close_connection = True
                return
            if rule.delay and not self._wait(rule.delay):
                handler.close_connection = True
                return
            if rule.fault == FAULT_CLOSE:
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                return
            if rule.fault == FAULT_RESET:
                handler.close_connection = True
                handler.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                handler.connection.close()
                return
            if rule.status is not None:
                status = rule.status
            if rule.body is not None:
                body = rule.body
            if rule.content_type is not None:
                content_type = rule.content_type

        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(body)
        except OSError:
            handler.close_connection = True
