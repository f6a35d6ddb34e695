"""A small scripted HTTP server for the price provider and xmrvsbeast fakes.

Each response comes from the newest rule whose path matches an exact path or
a prefix ending in "*". A rule sets the status, body, extra headers and an
optional delay, and may expire after a number of uses. Every request is
recorded with its path, query parameters and lower-case headers. The server
listens on 127.0.0.1 on a port the OS picks.
"""

import http.server
import threading
import time
import urllib.parse
from dataclasses import dataclass, field


@dataclass
class Reply:
    """One scripted response."""

    pattern: str
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    times: int = None  # expires after this many uses; None: never
    query: dict = None  # parameters the request must carry with these values
    used: int = 0

    def matches(self, path, params):
        if self.pattern.endswith("*"):
            if not path.startswith(self.pattern[:-1]):
                return False
        elif path != self.pattern:
            return False
        for name, value in (self.query or {}).items():
            if value not in params.get(name, []):
                return False
        return True


@dataclass
class Request:
    path: str
    params: dict
    headers: dict
    time: float


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ScriptedHTTP/1.0"
    sys_version = ""
    timeout = 30

    def do_GET(self):
        self.server.owner._serve(self)

    def log_message(self, format, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


class ScriptedHTTPServer:
    """Serves GET requests from scripted replies, or 404 when none matches."""

    def __init__(self):
        self._lock = threading.Lock()
        self._replies = []
        self._requests = []
        self._server = None
        self._thread = None
        self.port = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="scripted-http", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self._server = None

    def reply(self, pattern, status=200, body=b"", content_type="application/json",
              headers=None, delay=0.0, times=None, query=None):
        """Script the response for a path (or a prefix ending in "*"). The
        newest matching reply wins. body may be str or bytes."""
        if isinstance(body, str):
            body = body.encode()
        rule = Reply(pattern=pattern, status=status, body=body,
                     content_type=content_type, headers=dict(headers or {}),
                     delay=delay, times=times, query=query)
        with self._lock:
            self._replies.append(rule)
        return rule

    def clear(self):
        with self._lock:
            self._replies.clear()

    @property
    def requests(self):
        with self._lock:
            return list(self._requests)

    def requests_to(self, pattern):
        """Recorded requests whose path matches pattern (exact, or a prefix
        ending in "*")."""
        probe = Reply(pattern=pattern)
        return [r for r in self.requests if probe.matches(r.path, {})]

    def wait_for_requests(self, pattern, count=1, timeout=10.0):
        """Wait until count requests matched pattern; return them."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.requests_to(pattern)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError("%d of %d requests to %s after %.0f s: %r"
                                     % (len(found), count, pattern, timeout,
                                        self.requests))
            time.sleep(0.1)

    def _find_reply(self, path, params):
        with self._lock:
            for rule in reversed(self._replies):
                if rule.times is not None and rule.used >= rule.times:
                    continue
                if rule.matches(path, params):
                    rule.used += 1
                    return rule
        return None

    def _serve(self, handler):
        parsed = urllib.parse.urlsplit(handler.path)
        params = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self._requests.append(Request(parsed.path, params, headers, time.monotonic()))

        rule = self._find_reply(parsed.path, params)
        if rule is None:
            rule = Reply(pattern=parsed.path, status=404, body=b"no reply scripted\n",
                         content_type="text/plain")
        if rule.delay:
            time.sleep(rule.delay)

        try:
            handler.send_response(rule.status)
            handler.send_header("Content-Type", rule.content_type)
            handler.send_header("Content-Length", str(len(rule.body)))
            for name, value in rule.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(rule.body)
        except OSError:
            pass
