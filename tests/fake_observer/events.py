"""Scriptable websocket server that plays the observer's /api/events stream.

The server runs python3-websockets (10.4, legacy asyncio API) on its own
event loop in a background thread. Methods are called from test threads and
run on that loop. Like the real observer it sends no pings and ignores what
clients send.
"""

import asyncio
import http
import threading
import time

import websockets

EVENTS_PATH = "/api/events"
CALL_TIMEOUT_SECONDS = 10.0

# A frame with the reserved opcode 0x3: clients must fail the connection.
GARBAGE_FRAME = b"\x83\x05hello"


class FakeEventStream:
    """The websocket half of the fake observer.

    Counts TCP handshakes (every upgrade request, accepted or rejected) and
    connections (upgrades that succeeded), records each handshake's path and
    headers, and can send text, fragmented, binary or malformed frames, drop
    connections, reject handshakes and stall.
    """

    def __init__(self, host="127.0.0.1", port=0, path=EVENTS_PATH):
        self.host = host
        self.port = port
        self.path = path
        self._lock = threading.Lock()
        self._loop = None
        self._thread = None
        self._server = None
        self._clients = set()
        self._handshakes = []
        self._connections_total = 0
        self._rejections = []  # (status, body) for the next handshakes
        self._stalled = False

    @property
    def url(self):
        """ws:// URL of the stream, e.g. ws://127.0.0.1:40125/api/events."""
        return "ws://%s:%d%s" % (self.host, self.port, self.path)

    def start(self):
        """Listen and serve in a background thread."""
        started = threading.Event()
        failure = []

        def run():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            try:
                self._server = self._loop.run_until_complete(websockets.serve(
                    self._handle, self.host, self.port,
                    process_request=self._process_request,
                    ping_interval=None, compression=None, max_size=2 ** 20))
            except Exception as exc:  # reported to the caller of start()
                failure.append(exc)
                started.set()
                return
            self.port = self._server.sockets[0].getsockname()[1]
            started.set()
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=run, name="fake-observer-ws", daemon=True)
        self._thread.start()
        started.wait(CALL_TIMEOUT_SECONDS)
        if failure:
            raise failure[0]
        return self

    def stop(self):
        """Close every connection and stop listening."""
        if self._loop is None:
            return

        async def shutdown():
            self._server.close()
            for ws in list(self._clients):
                ws.transport.abort()
            await self._server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(CALL_TIMEOUT_SECONDS)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(CALL_TIMEOUT_SECONDS)
            self._loop = None

    # Observations --------------------------------------------------------

    @property
    def handshakes(self):
        """Number of upgrade requests received (accepted or rejected)."""
        with self._lock:
            return len(self._handshakes)

    @property
    def handshake_requests(self):
        """(path, headers) of every upgrade request; header names lower-case."""
        with self._lock:
            return list(self._handshakes)

    @property
    def connections(self):
        """Number of websocket connections opened so far."""
        with self._lock:
            return self._connections_total

    @property
    def open_connections(self):
        with self._lock:
            return len(self._clients)

    def wait_for_connections(self, count, timeout=10.0):
        """Wait until count connections were opened in total, and at least
        one is open. Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while self.connections < count or self.open_connections == 0:
            if time.monotonic() > deadline:
                raise TimeoutError("%d of %d websocket connections within %.1f s"
                                   % (self.connections, count, timeout))
            time.sleep(0.05)

    def wait_for_handshakes(self, count, timeout=10.0):
        deadline = time.monotonic() + timeout
        while self.handshakes < count:
            if time.monotonic() > deadline:
                raise TimeoutError("%d of %d websocket handshakes within %.1f s"
                                   % (self.handshakes, count, timeout))
            time.sleep(0.05)

    # Actions -------------------------------------------------------------

    def send_text(self, message):
        """Send one text message to every open connection. Returns the
        number of connections it went to."""
        return self._each_client(lambda ws: ws.send(message))

    def send_fragments(self, fragments):
        """Send one text (str parts) or binary (bytes parts) message split
        into one frame per part."""
        parts = list(fragments)
        return self._each_client(lambda ws: ws.send(parts))

    def send_binary(self, data):
        """Send one binary message."""
        return self._each_client(lambda ws: ws.send(bytes(data)))

    def send_raw(self, data):
        """Write bytes to each connection's socket as they are, bypassing the
        websocket framing (for malformed frames)."""

        async def write(ws):
            ws.transport.write(bytes(data))

        return self._each_client(write)

    def send_garbage(self):
        """Send a frame with a reserved opcode."""
        return self.send_raw(GARBAGE_FRAME)

    def drop(self, clean=False):
        """Drop every connection: a close frame (1001) when clean, else a
        TCP abort with no close frame."""

        async def close(ws):
            if clean:
                await ws.close(code=1001, reason="going away")
            else:
                ws.transport.abort()

        return self._each_client(close)

    def reject_next(self, status=403, body=None, count=1):
        """Answer the next count upgrade requests with an HTTP status and an
        HTML page instead of switching protocols."""
        if body is None:
            body = ("<!DOCTYPE html><html><head><title>%d</title></head>"
                    "<body><h1>Request blocked</h1></body></html>\n" % status)
        if isinstance(body, str):
            body = body.encode()
        with self._lock:
            self._rejections.extend([(status, body)] * count)

    def stall(self):
        """Stop sending and stop reading on every connection, present and
        future: pings and close frames from clients go unanswered."""
        with self._lock:
            self._stalled = True
            clients = list(self._clients)
        for ws in clients:
            self._loop.call_soon_threadsafe(ws.transport.pause_reading)

    def resume(self):
        """Undo stall()."""
        with self._lock:
            self._stalled = False
            clients = list(self._clients)
        for ws in clients:
            self._loop.call_soon_threadsafe(ws.transport.resume_reading)

    @property
    def stalled(self):
        with self._lock:
            return self._stalled

    # Server internals ----------------------------------------------------

    def _each_client(self, action):
        async def run():
            clients = list(self._clients)
            for ws in clients:
                try:
                    await action(ws)
                except websockets.ConnectionClosed:
                    pass
            return len(clients)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(CALL_TIMEOUT_SECONDS)

    async def _process_request(self, path, request_headers):
        headers = {k.lower(): v for k, v in request_headers.raw_items()}
        with self._lock:
            self._handshakes.append((path, headers))
            rejection = self._rejections.pop(0) if self._rejections else None
        if rejection is not None:
            status, body = rejection
            return (http.HTTPStatus(status),
                    [("Content-Type", "text/html; charset=utf-8"), ("Connection", "close")],
                    body)
        if path.split("?")[0] != self.path:
            return (http.HTTPStatus.NOT_FOUND,
                    [("Content-Type", "text/plain; charset=utf-8")],
                    b"404 page not found\n")
        return None

    async def _handle(self, ws):
        with self._lock:
            self._clients.add(ws)
            self._connections_total += 1
            stalled = self._stalled
        if stalled:
            ws.transport.pause_reading()
        try:
            async for _ in ws:
                pass
        except websockets.ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._clients.discard(ws)
