"""End-to-end tests of the observer event stream (/api/events).

Each test runs the real collectd with the built p2pool.so and
write_prometheus, against a scripted fake observer on 127.0.0.1 that
serves the REST endpoints over HTTP and /api/events over a websocket, and
reads the figures back from /metrics.
"""

import asyncio
import http.server
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import websockets
import websockets.server

REPO = Path(__file__).resolve().parents[2]
BUILD_DIR = Path(os.environ.get("P2POOL_BUILD_DIR", REPO))
PLUGIN_SO = Path(os.environ.get("P2POOL_PLUGIN_SO",
                                BUILD_DIR / ".libs" / "p2pool.so"))
FIXTURES = REPO / "tests" / "fixtures" / "events"
COLLECTD = "/usr/sbin/collectd"
SYSTEM_PLUGIN_DIR = Path("/usr/lib/collectd")
SYSTEM_TYPES_DB = "/usr/share/collectd/types.db"

ADDRESSES = dict(
    line.split() for line in (FIXTURES / "addresses.txt").read_text().splitlines()
)
CONFIGURED = ADDRESSES["configured"]

# Pool figures the REST poll serves; the events carry other values, so a
# figure shows which source set it.
POOL_SIDE_DIFFICULTY = 1400000000
POOL_MAIN_DIFFICULTY = 600000000000


def fixture_text(name):
    return (FIXTURES / name).read_text()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pool_info():
    return {
        "sidechain": {
            "consensus": {"name": "mini", "block_time": 10, "uncle_penalty": 20},
            "last_block": {
                "side_height": 15020000,
                "difficulty": POOL_SIDE_DIFFICULTY,
                "window_depth": 2160,
            },
            "seconds_since_last_block": 3,
            "window": {"miners": 40, "blocks": 2000, "uncles": 100, "weight": 2900000000000},
            "miners": 900,
            "found": 12,
            "effort": {"current": 50.5, "average10": 90.0, "average": 99.0, "average200": 101.0},
        },
        "mainchain": {"height": 3712000, "difficulty": POOL_MAIN_DIFFICULTY, "reward": 600000000000},
    }


class FakeObserver:
    """Scriptable observer: REST over HTTP and /api/events over websocket
    (TLS when ssl_context is given)."""

    def __init__(self, ssl_context=None):
        self.ssl_context = ssl_context
        self.requests = []
        self.user_agents = []
        self.handshakes = 0
        self.accepted = 0
        self.reject_status = None
        self.found_blocks = "[\n\n]"
        self.connections = []
        self._lock = threading.Lock()
        self._connected = threading.Condition(self._lock)

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._http_handler())
        self.http_port = self.http.server_address[1]
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        threading.Thread(target=self._run_loop, daemon=True).start()
        self._ready.wait(5)

    # REST side.
    def _http_handler(self):
        observer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                observer.requests.append(self.path)
                status, body = observer.rest_response(self.path)
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def rest_response(self, path):
        if path.startswith("/api/pool_info"):
            return 200, json.dumps(pool_info()) + "\n"
        if path.startswith("/api/miner_info/"):
            return 200, json.dumps(
                {"id": 5150, "address": CONFIGURED, "last_share_height": 15019000,
                 "last_share_timestamp": 1782990000}) + "\n"
        if path.startswith("/api/side_blocks_in_window/") or path.startswith("/api/payouts/"):
            return 200, "[\n\n]"
        if path.startswith("/api/found_blocks"):
            return 200, self.found_blocks
        return 404, '{"error":"not_found"}'

    # Websocket side.
    def _run_loop(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start_ws())
        self._ready.set()
        self.loop.run_forever()

    async def _start_ws(self):
        self.ws_server = await websockets.serve(
            self._ws_handler, "127.0.0.1", 0, ssl=self.ssl_context,
            process_request=self._process_request, ping_interval=None)
        self.ws_port = self.ws_server.sockets[0].getsockname()[1]

    async def _process_request(self, path, headers):
        with self._lock:
            self.handshakes += 1
            self.user_agents.append(headers.get("User-Agent"))
            status = self.reject_status
        if status is not None:
            body = b"<html><body>Checking your browser</body></html>"
            headers = [("Content-Type", "text/html"), ("Content-Length", str(len(body)))]
            return http.HTTPStatus(status), headers, body
        return None

    async def _ws_handler(self, websocket, path=None):
        with self._connected:
            self.connections.append(websocket)
            self.accepted += 1
            self._connected.notify_all()
        try:
            await websocket.wait_closed()
        finally:
            with self._lock:
                if websocket in self.connections:
                    self.connections.remove(websocket)

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    def wait_connections(self, count, timeout=10):
        """Waits until count connections were accepted in total."""
        deadline = time.monotonic() + timeout
        with self._connected:
            while self.accepted < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{self.accepted} websocket connections, expected {count}")
                self._connected.wait(remaining)

    def reject(self, status):
        with self._lock:
            self.reject_status = status

    def accept(self):
        with self._lock:
            self.reject_status = None

    def current(self):
        with self._lock:
            assert self.connections, "no websocket connection"
            return self.connections[-1]

    def send(self, message):
        """Sends a text message, or a list of fragments, or bytes."""
        websocket = self.current()
        self._call(websocket.send(message))

    def drop(self):
        websocket = self.current()
        self._call(websocket.close(code=1001, reason="going away"))

    def close(self):
        self.http.shutdown()
        self.http.server_close()

        async def stop():
            self.ws_server.close()
            await self.ws_server.wait_closed()

        self._call(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)


class Collectd:
    """collectd in the foreground with p2pool.so and write_prometheus."""

    def __init__(self, tmp, observer_options, wallets=True):
        self.tmp = tmp
        self.port = free_port()
        self.log = tmp / "collectd.log"
        plugin_dir = tmp / "plugins"
        plugin_dir.mkdir(exist_ok=True)
        for name in ("write_prometheus.so", "logfile.so"):
            shutil.copy(SYSTEM_PLUGIN_DIR / name, plugin_dir / name)
        shutil.copy(PLUGIN_SO, plugin_dir / "p2pool.so")

        wallet_block = ""
        if wallets:
            wallet_block = f"""
  <Wallet "rig">
    Address "{CONFIGURED}"
    Observer "obs"
  </Wallet>"""
        config = f"""
Interval 1
BaseDir "{tmp}"
PIDFile "{tmp}/collectd.pid"
PluginDir "{plugin_dir}"
TypesDB "{SYSTEM_TYPES_DB}" "{REPO / 'p2pool.types.db'}"
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "{self.log}"
  Timestamp true
</Plugin>
LoadPlugin write_prometheus
<Plugin write_prometheus>
  Host "127.0.0.1"
  Port "{self.port}"
</Plugin>
LoadPlugin p2pool
<Plugin p2pool>
  StateFile "{tmp}/p2pool.state"
  <Observer "obs">
{observer_options}
  </Observer>{wallet_block}
</Plugin>
"""
        (tmp / "collectd.conf").write_text(config)
        self.process = subprocess.Popen(
            [COLLECTD, "-f", "-C", str(tmp / "collectd.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def metrics(self):
        url = f"http://127.0.0.1:{self.port}/metrics"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            return ""

    def value(self, name, **labels):
        """Returns the value of one series, or None when it is absent."""
        for line in self.metrics().splitlines():
            if not line.startswith(name + "{"):
                continue
            label_text = line[len(name) + 1:line.index("}")]
            found = dict(re.findall(r'(\w+)="([^"]*)"', label_text))
            if all(found.get(key) == value for key, value in labels.items()):
                return float(line[line.index("}") + 1:].split()[0])
        return None

    def wait_value(self, name, expected, timeout=10, **labels):
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.value(name, **labels)
            if value is not None and (expected(value) if callable(expected) else value == expected):
                return value
            time.sleep(0.1)
        raise AssertionError(f"{name}{labels} is {value}, expected {expected}\n{self.log_text()}")

    def log_text(self):
        return self.log.read_text() if self.log.exists() else ""

    def wait_log(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.log_text()):
                return
            time.sleep(0.1)
        raise AssertionError(f"no log line matching {pattern!r}\n{self.log_text()}")

    def stop(self):
        """Sends SIGTERM and returns the seconds collectd took to exit."""
        if self.process.poll() is not None:
            return 0.0
        start = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return time.monotonic() - start


@pytest.fixture
def observer():
    fake = FakeObserver()
    yield fake
    fake.close()


@pytest.fixture
def tmp_dir():
    path = Path(tempfile.mkdtemp(prefix="p2pool-events-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def start_collectd(tmp_dir):
    started = []

    def start(observer, event_timeout=300, interval=30, url=None, wallets=True, extra=""):
        options = f"""    URL "http://127.0.0.1:{observer.http_port}"
    Events true
    EventsURL "{url or f'ws://127.0.0.1:{observer.ws_port}/api/events'}"
    EventTimeout {event_timeout}
    Interval {interval}
    Timeout 2
{extra}"""
        daemon = Collectd(tmp_dir, options, wallets)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.stop()


def wait_first_poll(daemon):
    daemon.wait_value("collectd_p2pool_difficulty", POOL_SIDE_DIFFICULTY, p2pool="obs", type="side")


def test_events_reach_metrics(observer, start_collectd):
    daemon = start_collectd(observer)
    observer.wait_connections(1)
    daemon.wait_value("collectd_p2pool_websocket_connected", 1, p2pool="obs")
    wait_first_poll(daemon)
    daemon.wait_value("collectd_p2pool_payouts_total", 0, p2pool="rig")

    for name in ("side_block.json", "found_block.json", "orphaned_block.json",
                 "unknown_type.json", "side_block_no_main_difficulty.json"):
        observer.send(fixture_text(name))

    # Dispatched as the events arrive, well before the next poll (30 s).
    timeout = 3
    value = daemon.wait_value
    value("collectd_p2pool_blocks_total", 2, timeout, p2pool="obs", type="side")
    value("collectd_p2pool_blocks_total", 1, timeout, p2pool="obs", type="found")
    value("collectd_p2pool_blocks_total", 1, timeout, p2pool="obs", type="orphaned")
    value("collectd_p2pool_events_total", 2, timeout, p2pool="obs", type="side_block")
    value("collectd_p2pool_events_total", 1, timeout, p2pool="obs", type="found_block")
    value("collectd_p2pool_events_total", 1, timeout, p2pool="obs", type="orphaned_block")
    value("collectd_p2pool_events_total", 1, timeout, p2pool="obs", type="other")
    value("collectd_p2pool_events_total", 0, timeout, p2pool="obs", type="invalid")
    value("collectd_p2pool_age_seconds", lambda age: 0 <= age < 5, timeout, p2pool="obs", type="last_event")
    # The last side_block had no main_difficulty: the found block's stays.
    value("collectd_p2pool_difficulty", 1500123456, timeout, p2pool="obs", type="side")
    value("collectd_p2pool_difficulty", 630999888777, timeout, p2pool="obs", type="main")

    value("collectd_p2pool_window_shares", 1, timeout, p2pool="rig")
    value("collectd_p2pool_height", 15020450, timeout, p2pool="rig", type="last_share")
    value("collectd_p2pool_payouts_total", 1, timeout, p2pool="rig")
    value("collectd_p2pool_payout_atomic_units_total", 2718281828, timeout, p2pool="rig")
    value("collectd_p2pool_last_payout_atomic_units", 2718281828, timeout, p2pool="rig")
    assert daemon.value("collectd_p2pool_websocket_reconnects_total", p2pool="obs") == 0

    daemon.wait_log(r"pool found Monero block 3712002")
    daemon.wait_log(r"ignoring event of unknown type \"payout\"")
    daemon.wait_log(r"was orphaned; it was mined by a configured wallet")
    assert all(agent and agent.startswith("collectd-p2pool/") for agent in observer.user_agents)


def test_stream_figures_outlive_expiry(observer, start_collectd):
    # write_prometheus drops a series not updated for two of its intervals
    # (4 s here); the poll dispatches the stream's figures every interval.
    daemon = start_collectd(observer, interval=2)
    observer.wait_connections(1)
    daemon.wait_value("collectd_p2pool_websocket_connected", 1, p2pool="obs")
    observer.send(fixture_text("orphaned_block.json"))
    daemon.wait_value("collectd_p2pool_blocks_total", 1, 3, p2pool="obs", type="orphaned")

    time.sleep(7)
    assert daemon.value("collectd_p2pool_blocks_total", p2pool="obs", type="orphaned") == 1
    assert daemon.value("collectd_p2pool_events_total", p2pool="obs", type="orphaned_block") == 1
    assert daemon.value("collectd_p2pool_websocket_connected", p2pool="obs") == 1
    age = daemon.value("collectd_p2pool_age_seconds", p2pool="obs", type="last_event")
    assert age is not None and age >= 5


def test_repeated_event_counted_once(observer, start_collectd):
    daemon = start_collectd(observer)
    observer.wait_connections(1)
    daemon.wait_value("collectd_p2pool_websocket_connected", 1, p2pool="obs")

    for _ in range(3):
        observer.send(fixture_text("side_block.json"))
    observer.send(fixture_text("side_block_uncle.json"))

    daemon.wait_value("collectd_p2pool_events_total", 4, 3, p2pool="obs", type="side_block")
    daemon.wait_value("collectd_p2pool_blocks_total", 2, 3, p2pool="obs", type="side")


def test_dropped_connection_reconnects_and_backfills(observer, start_collectd):
    daemon = start_collectd(observer)
    observer.wait_connections(1)
    daemon.wait_value("collectd_p2pool_websocket_connected", 1, p2pool="obs")
    observer.send(fixture_text("found_block.json"))
    daemon.wait_value("collectd_p2pool_blocks_total", 1, 3, p2pool="obs", type="found")

    # Found while the stream is down: one newer block (counted), the block
    # the stream announced (a repeat), one from before the plugin started
    # and one Monero orphaned (reward 0).
    now = int(time.time())
    rows = [
        found_row("ab" * 32, 3712010, now, 600000000000),
        found_row("cd" * 32, 3712008, now, 0),
        json.loads(fixture_text("found_block.json"))["found_block"],
        found_row("ef" * 32, 3711000, now - 86400, 600000000000),
    ]
    observer.found_blocks = "[\n" + "\n,\n".join(json.dumps(row) for row in rows) + "\n\n]"
    polls_before = sum(path.startswith("/api/pool_info") for path in observer.requests)

    observer.drop()
    observer.wait_connections(2, timeout=10)
    daemon.wait_value("collectd_p2pool_websocket_connected", 1, p2pool="obs")
    daemon.wait_value("collectd_p2pool_websocket_reconnects_total", 1, p2pool="obs")
    daemon.wait_log(r"event stream ws://\S+: closed by the observer with status 1001: going away; "
                    r"reconnecting in")
    daemon.wait_value("collectd_p2pool_blocks_total", 2, 5, p2pool="obs", type="found")
    daemon.wait_log(r"counted Monero block 3712010 .*found while the event stream was down")
    assert any(path.startswith("/api/found_blocks?limit=") for path in observer.requests)
    # The reconnect asked for a poll at once instead of waiting 30 s.
    deadline = time.monotonic() + 5
    while sum(p.startswith("/api/pool_info") for p in observer.requests) <= polls_before:
        assert time.monotonic() < deadline, "no poll after the reconnect"
        time.sleep(0.1)

    observer.send(fixture_text("side_block.json"))
    daemon.wait_log(r"receives events again")
    time.sleep(0.5)
    assert daemon.value("collectd_p2pool_blocks_total", p2pool="obs", type="found") == 2


def found_row(main_id, height, timestamp, reward):
    return {
        "main_block": {"id": main_id, "height": height, "timestamp": timestamp, "reward": reward,
                       "difficulty": 630000000000, "side_template_id": main_id[::-1]},
        "side_height": 15030000, "difficulty": 1500000000, "miner_address": CONFIGURED,
    }


def test_silent_stream_reconnects(observer, start_collectd):
    daemon = start_collectd(observer, event_timeout=2)
    observer.wait_connections(1)
    start = time.monotonic()
    observer.wait_connections(2, timeout=10)
    assert time.monotonic() - start >= 1.5
    daemon.wait_log(r"no message for \d+\.\d s \(EventTimeout\); reconnecting in")


def test_refused_handshake_reconnects(observer, start_collectd):
    observer.reject(403)
    daemon = start_collectd(observer)
    daemon.wait_log(r"handshake blocked with HTTP 403 and an HTML page")
    daemon.wait_value("collectd_p2pool_websocket_blocked_total", lambda count: count >= 1, p2pool="obs")
    daemon.wait_value("collectd_p2pool_websocket_connected", 0, p2pool="obs")

    observer.accept()
    observer.wait_connections(1, timeout=10)
    daemon.wait_value("collectd_p2pool_websocket_connected", 1, p2pool="obs")
    observer.send(fixture_text("side_block.json"))
    daemon.wait_log(r"receives events again")


def test_fragments_garbage_and_binary(observer, start_collectd):
    daemon = start_collectd(observer)
    observer.wait_connections(1)
    daemon.wait_value("collectd_p2pool_websocket_connected", 1, p2pool="obs")

    message = fixture_text("side_block.json")
    observer.send([message[:10], message[10:500], message[500:]])
    observer.send('not json \x01 {"type":')
    observer.send(b"\x00\x01binary")
    observer.send('{"type":"side_block","side_block":{"main_id":5}}')
    observer.send(fixture_text("side_block_uncle.json"))

    daemon.wait_value("collectd_p2pool_blocks_total", 2, 3, p2pool="obs", type="side")
    daemon.wait_value("collectd_p2pool_events_total", 2, 3, p2pool="obs", type="invalid")
    daemon.wait_log(r'skipping invalid event message of 19 bytes \(.*\): "not json \\x01 \{"type":"')
    daemon.wait_log(r"side_block.template_id: missing")
    daemon.wait_log(r"ignoring a binary message of 8 bytes")
    assert daemon.value("collectd_p2pool_websocket_reconnects_total", p2pool="obs") == 0


def test_oversize_message_dropped(observer, start_collectd):
    daemon = start_collectd(observer)
    observer.wait_connections(1)
    daemon.wait_value("collectd_p2pool_websocket_connected", 1, p2pool="obs")

    huge = '{"type":"other","padding":"' + "x" * (4 * 1024 * 1024) + '"}'
    chunk = 256 * 1024
    observer.send([huge[i:i + chunk] for i in range(0, len(huge), chunk)])
    observer.send(fixture_text("side_block.json"))

    daemon.wait_value("collectd_p2pool_events_total", 1, 5, p2pool="obs", type="invalid")
    daemon.wait_value("collectd_p2pool_blocks_total", 1, 5, p2pool="obs", type="side")
    daemon.wait_log(rf"ignoring a message over the size limit of {len(huge)} bytes")


def test_stop_while_connected(observer, start_collectd):
    daemon = start_collectd(observer)
    observer.wait_connections(1)
    daemon.wait_value("collectd_p2pool_websocket_connected", 1, p2pool="obs")
    assert daemon.stop() < 5
    assert daemon.process.returncode == 0


def test_stop_while_connecting(observer, start_collectd):
    # A listener that accepts TCP connections and never responds to the
    # handshake keeps the client connecting.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        daemon = start_collectd(observer, url=f"ws://127.0.0.1:{port}/api/events")
        connection, _ = listener.accept()
        time.sleep(0.3)
        assert daemon.stop() < 5
        connection.close()
    assert daemon.process.returncode == 0


def test_stop_while_backing_off(observer, start_collectd):
    observer.reject(418)
    daemon = start_collectd(observer)
    daemon.wait_log(r"handshake blocked with HTTP 418")
    # After three refusals the next attempt is seconds away.
    deadline = time.monotonic() + 15
    while observer.handshakes < 3:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(0.3)
    assert daemon.stop() < 5
    assert daemon.process.returncode == 0


@pytest.fixture
def certificate(tmp_dir):
    """A self-signed certificate for 127.0.0.1: (certificate, key) paths."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert = tmp_dir / "cert.pem"
    key = tmp_dir / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_observer(certificate):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    fake = FakeObserver(context)
    yield fake
    fake.close()


def test_wss_with_ca_cert(tls_observer, certificate, start_collectd):
    url = f"wss://127.0.0.1:{tls_observer.ws_port}/api/events"
    daemon = start_collectd(tls_observer, url=url, extra=f'    CACert "{certificate[0]}"')
    tls_observer.wait_connections(1)
    daemon.wait_value("collectd_p2pool_websocket_connected", 1, p2pool="obs")
    tls_observer.send(fixture_text("side_block.json"))
    daemon.wait_value("collectd_p2pool_blocks_total", 1, 3, p2pool="obs", type="side")


def test_wss_unknown_certificate_rejected(tls_observer, start_collectd):
    url = f"wss://127.0.0.1:{tls_observer.ws_port}/api/events"
    daemon = start_collectd(tls_observer, url=url)
    daemon.wait_log(r"event stream wss://\S+: connection failed: .*; reconnecting in")
    daemon.wait_value("collectd_p2pool_websocket_reconnects_total", lambda count: count >= 1, p2pool="obs")
    assert tls_observer.accepted == 0
    assert daemon.value("collectd_p2pool_websocket_connected", p2pool="obs") == 0


def test_wss_verify_peer_false(tls_observer, start_collectd):
    url = f"wss://127.0.0.1:{tls_observer.ws_port}/api/events"
    daemon = start_collectd(tls_observer, url=url, extra="    VerifyPeer false\n    VerifyHost false")
    tls_observer.wait_connections(1)
    daemon.wait_value("collectd_p2pool_websocket_connected", 1, p2pool="obs")


def test_counters_saved_without_shutdown(observer, start_collectd):
    daemon = start_collectd(observer)
    observer.wait_connections(1)
    daemon.wait_value("collectd_p2pool_websocket_connected", 1, p2pool="obs")
    observer.send(fixture_text("found_block.json"))
    observer.send(fixture_text("orphaned_block.json"))
    daemon.wait_value("collectd_p2pool_blocks_total", 1, 3, p2pool="obs", type="orphaned")

    # The state is saved shortly after the events, not only at shutdown:
    # a killed collectd keeps the counts.
    time.sleep(2.5)
    daemon.process.kill()
    daemon.process.wait()

    restarted = start_collectd(observer)
    observer.wait_connections(2)
    restarted.wait_value("collectd_p2pool_blocks_total", 1, p2pool="obs", type="found")
    restarted.wait_value("collectd_p2pool_blocks_total", 1, p2pool="obs", type="orphaned")
    restarted.wait_value("collectd_p2pool_payouts_total", 1, p2pool="rig")

    # The same block sent again after the restart is not counted again.
    observer.send(fixture_text("found_block.json"))
    restarted.wait_value("collectd_p2pool_events_total", 1, 3, p2pool="obs", type="found_block")
    time.sleep(0.5)
    assert restarted.value("collectd_p2pool_blocks_total", p2pool="obs", type="found") == 1
    assert restarted.value("collectd_p2pool_payouts_total", p2pool="rig") == 1


def test_observer_without_wallets(observer, start_collectd):
    daemon = start_collectd(observer, wallets=False)
    observer.wait_connections(1)
    daemon.wait_value("collectd_p2pool_websocket_connected", 1, p2pool="obs")
    observer.send(fixture_text("side_block.json"))
    observer.send(fixture_text("found_block.json"))
    daemon.wait_value("collectd_p2pool_blocks_total", 1, 3, p2pool="obs", type="side")
    daemon.wait_value("collectd_p2pool_blocks_total", 1, 3, p2pool="obs", type="found")
