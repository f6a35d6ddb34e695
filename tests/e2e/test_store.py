"""Running totals across restarts of collectd and of Redis, end to end.

Each test runs the real collectd with the plugin, write_prometheus on a free
loopback port and a scripted observer, and for Redis a private redis-server.
Totals are read from the /metrics page and from the store itself (the state
file's JSON, or Redis values through redis-cli).
"""

import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COLLECTD = "/usr/sbin/collectd"
COLLECTD_PLUGINS = Path("/usr/lib/collectd")
STOCK_TYPES_DB = "/usr/share/collectd/types.db"
BUILD_DIR = Path(os.environ.get("P2POOL_BUILD_DIR", REPO))
PLUGIN_SO = Path(os.environ.get("P2POOL_PLUGIN_SO",
                                BUILD_DIR / ".libs" / "p2pool.so"))

ADDRESS = (
    "4MASi45ub7Qe4ZE36UT5G6cU4ud8Fhhe4deS4F3cw9KTAb8dLcukC7edhDQ7cn5d4gEYkbUrM"
    "WeWQLGsCmrG6dLaYyNoVKf"
)
HOSTNAME = "testhost"
WAIT_S = 20

pytestmark = pytest.mark.skipif(
    not (Path(COLLECTD).exists() and PLUGIN_SO.exists()),
    reason="needs /usr/sbin/collectd and a built .libs/p2pool.so",
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, what, timeout=WAIT_S):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def payout_row(n):
    """Payout number n of the scripted wallet: one Monero block apart each."""
    return {
        "miner": 7,
        "template_id": f"{n + 0x500:064x}",
        "side_height": 9000000 + 30 * n,
        "main_id": f"{n + 0xA00:064x}",
        "main_height": 3400000 + 5 * n,
        "timestamp": 1750000000 + 600 * n,
        "coinbase_id": f"{n + 0xC00:064x}",
        "coinbase_reward": 1000000000 + n,
        "coinbase_private_key": f"{n + 0xE00:064x}",
        "coinbase_output_index": 3,
        "global_output_index": 100000 + n,
        "including_height": 8999000 + 30 * n,
    }


def amount_of(count):
    return sum(1000000000 + n for n in range(count))


class FakeObserver:
    """A scripted P2Pool Observer REST API on 127.0.0.1."""

    def __init__(self, payouts=3):
        self.lock = threading.Lock()
        self.payouts = [payout_row(n) for n in range(payouts)]
        self.payout_queries = []
        self.ignore_from_height = False
        observer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                body = observer.respond(self.path)
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def add_payouts(self, number):
        with self.lock:
            start = len(self.payouts)
            self.payouts += [payout_row(n) for n in range(start, start + number)]

    def respond(self, path):
        parsed = urllib.parse.urlparse(path)
        query = urllib.parse.parse_qs(parsed.query)
        if parsed.path == "/api/pool_info":
            return POOL_INFO
        if parsed.path.startswith("/api/miner_info/"):
            return {"id": 7, "address": ADDRESS, "last_share_height": 9000100,
                    "last_share_timestamp": 1750003000}
        if parsed.path.startswith("/api/side_blocks_in_window/"):
            return []
        if parsed.path.startswith("/api/payouts/"):
            with self.lock:
                self.payout_queries.append(parsed.query)
                rows = list(reversed(self.payouts))
            from_height = int(query.get("from_height", ["0"])[0])
            if from_height > 0 and not self.ignore_from_height:
                rows = [r for r in rows if r["main_height"] >= from_height]
            return rows
        return {"error": "not_found"}

    def close(self):
        self.server.shutdown()
        self.server.server_close()


POOL_INFO = {
    "sidechain": {
        "consensus": {"name": "mini", "block_time": 10, "uncle_penalty": 20},
        "last_block": {"side_height": 9000200, "difficulty": 120000000,
                       "window_depth": 2160},
        "seconds_since_last_block": 3,
        "effort": {"current": 12.5, "average10": 90.0, "average": 101.0,
                   "average200": 99.0},
        "window": {"miners": 40, "blocks": 2160, "uncles": 30,
                   "weight": 250000000000},
        "found": 321,
        "miners": 5000,
    },
    "mainchain": {"height": 3400100, "difficulty": 300000000000,
                  "reward": 600000000000},
}


class Redis:
    """A private redis-server on a loopback port, restartable on that port."""

    def __init__(self, workdir, password=None):
        self.dir = workdir
        self.dir.mkdir(exist_ok=True)
        self.port = free_port()
        self.password = password
        self.proc = None

    def start(self):
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.dir), "--save", "", "--appendonly", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(lambda: self.cli("PING") == "PONG", "redis-server to start")

    def cli(self, *command):
        args = ["redis-cli", "-p", str(self.port), "--raw"]
        if self.password:
            args += ["--no-auth-warning", "-a", self.password]
        result = subprocess.run(args + list(command), capture_output=True,
                                text=True, timeout=10)
        return result.stdout.rstrip("\n")

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        """Stops Redis after writing its data to dump.rdb in its directory."""
        self.cli("SAVE")
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def value(self, key):
        text = self.cli("GET", key)
        return json.loads(text) if text else None


class Collectd:
    """collectd with logfile, write_prometheus and the p2pool plugin."""

    def __init__(self, workdir, observer, store_config):
        self.dir = workdir
        self.plugins = workdir / "plugins"
        self.plugins.mkdir(parents=True, exist_ok=True)
        for name in ("logfile.so", "write_prometheus.so"):
            shutil.copy(COLLECTD_PLUGINS / name, self.plugins / name)
        shutil.copy(PLUGIN_SO, self.plugins / "p2pool.so")
        self.log = workdir / "collectd.log"
        self.port = free_port()
        self.conf = workdir / "collectd.conf"
        self.conf.write_text(f"""
Hostname "{HOSTNAME}"
FQDNLookup false
BaseDir "{workdir}"
PIDFile "{workdir}/collectd.pid"
PluginDir "{self.plugins}"
TypesDB "{STOCK_TYPES_DB}" "{REPO / 'p2pool.types.db'}"
Interval 1
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "{self.log}"
  Timestamp true
  PrintSeverity true
</Plugin>
LoadPlugin write_prometheus
<Plugin write_prometheus>
  Host "127.0.0.1"
  Port "{self.port}"
</Plugin>
LoadPlugin p2pool
<Plugin p2pool>
{store_config}
  <Observer "mini">
    URL "{observer.url}"
    Events false
    Interval 1
    Timeout 1
  </Observer>
  <Wallet "rig1">
    Address "{ADDRESS}"
    Observer "mini"
  </Wallet>
</Plugin>
""")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([COLLECTD, "-f", "-C", str(self.conf)],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT)

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.proc = None

    def restart(self):
        self.stop()
        self.start()

    def metrics(self):
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/metrics", timeout=2) as r:
                text = r.read().decode()
        except OSError:
            return {}
        values = {}
        for line in text.splitlines():
            match = re.match(r'^(\w+)\{([^}]*)\} (\S+)', line)
            if match:
                labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2)))
                key = (match.group(1), labels.get("p2pool"), labels.get("type"))
                values[key] = float(match.group(3))
        return values

    def metric(self, name, instance="rig1", type_instance=None):
        return self.metrics().get((name, instance, type_instance))

    def wait_metric(self, name, expected, instance="rig1"):
        def reached():
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(
                    f"collectd exited with {self.proc.returncode}:\n"
                    + self.log_text()[-3000:])
            return self.metric(name, instance) == expected

        try:
            wait_for(reached, f"{name} == {expected}")
        except AssertionError as error:
            raise AssertionError(
                f"{error}; last value {self.metric(name, instance)}") from None

    def log_text(self):
        return self.log.read_text() if self.log.exists() else ""

    def assert_clean_log(self):
        log = self.log_text()
        for bad in ("UNKNOWN plugin", "Value too old", "Dataset not found"):
            assert bad not in log


@pytest.fixture
def observer():
    fake = FakeObserver()
    yield fake
    fake.close()


@pytest.fixture
def run(tmp_path, observer):
    started = []

    def make(store_config):
        daemon = Collectd(tmp_path, observer, store_config)
        started.append(daemon)
        return daemon

    yield make
    for daemon in started:
        daemon.stop()


@pytest.fixture
def redis(tmp_path):
    servers = []

    def make(password=None):
        server = Redis(tmp_path / f"redis{len(servers)}", password)
        servers.append(server)
        return server

    yield make
    for server in servers:
        if server.proc is not None and server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()


def observer_entry(side, found, orphaned):
    return {
        "name": "mini", "side_blocks": side, "found_blocks": found,
        "orphaned_blocks": orphaned,
        "recent": [{"kind": "side", "template_id": f"{0xBEEF:064x}",
                    "main_id": f"{0xF00D:064x}"}],
    }


def redis_config(server, extra=""):
    return f"""  <Redis>
    Host "127.0.0.1"
    Port {server.port}
    Timeout 1
{extra}  </Redis>"""


WALLET_KEY = f"p2pool:wallet:{ADDRESS}:mini"
OBSERVER_KEY = f"p2pool:observer:{HOSTNAME}:mini"


# ---- state file ------------------------------------------------------------


def test_file_totals_continue_across_restart(tmp_path, run, observer):
    state_file = tmp_path / "totals.state"
    # Event counters saved by an earlier run: nothing changes them here, so
    # they must come back unchanged after every restart.
    state_file.write_text(json.dumps({
        "format": "collectd-p2pool state", "version": 1, "saved_at": 1,
        "wallets": [], "observers": [observer_entry(1200, 3, 1)]}))
    daemon = run(f'  StateFile "{state_file}"')

    daemon.start()
    daemon.wait_metric("collectd_p2pool_payouts_total", 3)
    observer.add_payouts(2)  # two Monero blocks between two polls
    daemon.wait_metric("collectd_p2pool_payouts_total", 5)
    daemon.wait_metric("collectd_p2pool_payout_atomic_units_total",
                       amount_of(5))
    daemon.stop()

    saved = json.loads(state_file.read_text())
    assert saved["version"] == 1
    assert saved["wallets"][0]["payouts"]["count"] == 5
    assert saved["wallets"][0]["payouts"]["amount"] == amount_of(5)
    assert saved["observers"][0]["side_blocks"] == 1200
    assert saved["observers"][0]["found_blocks"] == 3
    assert saved["observers"][0]["orphaned_blocks"] == 1

    # After the restart the first poll requests payouts from the saved
    # cursor. The payout at the cursor comes back and must not be counted
    # again.
    queries_before = len(observer.payout_queries)
    daemon.start()
    daemon.wait_metric("collectd_p2pool_payouts_total", 5)
    wait_for(lambda: len(observer.payout_queries) >= queries_before + 3,
             "three polls after the restart")
    assert all("from_height=" in q
               for q in observer.payout_queries[queries_before:])
    assert daemon.metric("collectd_p2pool_payouts_total") == 5
    assert daemon.metric("collectd_p2pool_payout_atomic_units_total") == \
        amount_of(5)

    observer.add_payouts(1)
    daemon.wait_metric("collectd_p2pool_payouts_total", 6)
    daemon.stop()

    saved = json.loads(state_file.read_text())
    assert saved["wallets"][0]["payouts"]["count"] == 6
    assert saved["observers"][0]["side_blocks"] == 1200
    assert "does not exist yet" not in daemon.log_text()
    daemon.assert_clean_log()


def test_file_replayed_history_counted_once(tmp_path, run, observer):
    state_file = tmp_path / "totals.state"
    daemon = run(f'  StateFile "{state_file}"')
    daemon.start()
    daemon.wait_metric("collectd_p2pool_payouts_total", 3)
    daemon.stop()

    # An observer that ignores from_height sends the whole history again.
    observer.ignore_from_height = True
    queries_before = len(observer.payout_queries)
    daemon.start()
    wait_for(lambda: len(observer.payout_queries) >= queries_before + 3,
             "three polls after the restart")
    assert daemon.metric("collectd_p2pool_payouts_total") == 3
    observer.add_payouts(1)
    daemon.wait_metric("collectd_p2pool_payouts_total", 4)
    daemon.wait_metric("collectd_p2pool_payout_atomic_units_total",
                       amount_of(4))


def test_file_missing_is_first_start(tmp_path, run, observer):
    daemon = run("")  # default: p2pool.state in BaseDir
    daemon.start()
    daemon.wait_metric("collectd_p2pool_payouts_total", 3)
    daemon.stop()

    log = daemon.log_text()
    assert re.search(r"\[info\] p2pool plugin: State file .*p2pool\.state\" "
                     r"does not exist yet", log)
    saved = json.loads((tmp_path / "p2pool.state").read_text())
    assert saved["wallets"][0]["address"] == ADDRESS
    assert saved["wallets"][0]["payouts"]["count"] == 3
    assert list(tmp_path.glob("p2pool.state.tmp-*")) == []


def test_file_corrupt_moved_aside(tmp_path, run, observer):
    state_file = tmp_path / "totals.state"
    fixture = REPO / "tests" / "fixtures" / "store" / "state_corrupt.json"
    state_file.write_bytes(fixture.read_bytes())
    daemon = run(f'  StateFile "{state_file}"')

    daemon.start()
    daemon.wait_metric("collectd_p2pool_payouts_total", 3)
    daemon.stop()

    aside = list(tmp_path.glob("totals.state.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == fixture.read_bytes()
    assert "is unusable" in daemon.log_text()
    assert json.loads(state_file.read_text())["wallets"][0]["payouts"][
        "count"] == 3


def test_file_newer_version_left_unchanged(tmp_path, run, observer):
    state_file = tmp_path / "totals.state"
    fixture = REPO / "tests" / "fixtures" / "store" / "state_newer.json"
    state_file.write_bytes(fixture.read_bytes())
    daemon = run(f'  StateFile "{state_file}"')

    daemon.start()
    daemon.wait_metric("collectd_p2pool_payouts_total", 3)
    daemon.stop()

    assert state_file.read_bytes() == fixture.read_bytes()
    assert "written by a newer version" in daemon.log_text()
    assert list(tmp_path.glob("totals.state.corrupt-*")) == []


# ---- Redis -----------------------------------------------------------------


def test_redis_totals_continue_across_restart(run, observer, redis):
    server = redis()
    server.start()
    server.cli("SET", OBSERVER_KEY,
               json.dumps({"version": 1,
                           "observer": observer_entry(1200, 3, 1)}))
    daemon = run(redis_config(server))

    daemon.start()
    daemon.wait_metric("collectd_p2pool_payouts_total", 3)
    observer.add_payouts(2)
    daemon.wait_metric("collectd_p2pool_payouts_total", 5)
    daemon.stop()

    wallet = server.value(WALLET_KEY)
    assert wallet["version"] == 1
    assert wallet["wallet"]["payouts"]["count"] == 5
    assert wallet["wallet"]["payouts"]["amount"] == amount_of(5)
    assert server.value(OBSERVER_KEY)["observer"]["side_blocks"] == 1200
    # Totals never expire.
    assert server.cli("TTL", WALLET_KEY) == "-1"
    assert server.cli("TTL", OBSERVER_KEY) == "-1"

    queries_before = len(observer.payout_queries)
    daemon.start()
    wait_for(lambda: len(observer.payout_queries) >= queries_before + 3,
             "three polls after the restart")
    assert all("from_height=" in q
               for q in observer.payout_queries[queries_before:])
    assert daemon.metric("collectd_p2pool_payouts_total") == 5
    observer.add_payouts(1)
    daemon.wait_metric("collectd_p2pool_payouts_total", 6)
    wait_for(lambda: server.value(WALLET_KEY)["wallet"]["payouts"]["count"]
             == 6, "count 6 in Redis")
    daemon.stop()
    assert server.value(OBSERVER_KEY)["observer"]["side_blocks"] == 1200
    daemon.assert_clean_log()


def test_redis_killed_and_restarted_midrun(run, observer, redis):
    server = redis()
    server.start()
    daemon = run(redis_config(server))
    daemon.start()
    daemon.wait_metric("collectd_p2pool_payouts_total", 3)
    wait_for(lambda: server.value(WALLET_KEY), "the wallet key in Redis")

    # Redis dies without saving: its data is gone when it comes back.
    server.kill()
    observer.add_payouts(1)
    daemon.wait_metric("collectd_p2pool_payouts_total", 4)
    time.sleep(3)  # a few failed saves, each within the timeout
    assert daemon.metric("collectd_p2pool_payouts_total") == 4

    server.start()
    wait_for(lambda: (server.value(WALLET_KEY) or {}).get("wallet", {})
             .get("payouts", {}).get("count") == 4,
             "count 4 written again to the restarted Redis")
    assert server.value(OBSERVER_KEY) is not None

    observer.add_payouts(1)
    daemon.wait_metric("collectd_p2pool_payouts_total", 5)
    daemon.restart()
    queries_before = len(observer.payout_queries)
    wait_for(lambda: len(observer.payout_queries) >= queries_before + 3,
             "three polls after the restart")
    assert daemon.metric("collectd_p2pool_payouts_total") == 5
    daemon.stop()

    log = daemon.log_text()
    assert len(re.findall(r"Redis at \S+ is unavailable:", log)) == 1
    assert "is available again" in log


def test_redis_down_at_start_merges_once_back(run, observer, redis):
    server = redis()
    server.start()
    # Totals saved by an earlier run: three payouts, and event counters.
    daemon = run(redis_config(server))
    daemon.start()
    daemon.wait_metric("collectd_p2pool_payouts_total", 3)
    daemon.stop()
    assert server.value(WALLET_KEY)["wallet"]["payouts"]["count"] == 3
    server.cli("SET", OBSERVER_KEY,
               json.dumps({"version": 1,
                           "observer": observer_entry(1200, 3, 1)}))
    server.stop()

    # collectd starts while Redis is down, reads the whole history (now four
    # payouts) into memory, and merges when Redis is back.
    observer.add_payouts(1)
    daemon.start()
    daemon.wait_metric("collectd_p2pool_payouts_total", 4)
    server.start()  # loads dump.rdb with the saved keys
    wait_for(lambda: server.value(WALLET_KEY)["wallet"]["payouts"]["count"]
             == 4, "the merged count in Redis")
    assert server.value(WALLET_KEY)["wallet"]["payouts"]["amount"] == \
        amount_of(4)
    assert server.value(OBSERVER_KEY)["observer"]["side_blocks"] == 1200
    assert server.value(OBSERVER_KEY)["observer"]["found_blocks"] == 3

    observer.add_payouts(1)
    daemon.wait_metric("collectd_p2pool_payouts_total", 5)
    daemon.stop()
    assert server.value(WALLET_KEY)["wallet"]["payouts"]["count"] == 5
    log = daemon.log_text()
    assert re.search(r"Redis at \S+ is unavailable: connect failed", log)
    assert "Merged the saved totals" in log


def test_redis_with_password(run, observer, redis):
    server = redis(password="s3cret-Pa55")
    server.start()
    daemon = run(redis_config(server, '    Password "s3cret-Pa55"\n'
                                      '    Database 3\n'))
    daemon.start()
    daemon.wait_metric("collectd_p2pool_payouts_total", 3)
    wait_for(lambda: server.cli("-n", "3", "EXISTS", WALLET_KEY) == "1",
             "the wallet key in database 3")
    daemon.stop()
    assert server.cli("EXISTS", WALLET_KEY) == "0"  # not in database 0
    assert "s3cret-Pa55" not in daemon.log_text()


def test_redis_wrong_password(run, observer, redis):
    server = redis(password="s3cret-Pa55")
    server.start()
    daemon = run(redis_config(server, '    Password "not-the-password"\n'))
    daemon.start()
    # Redis refuses, the plugin counts from memory and keeps running.
    daemon.wait_metric("collectd_p2pool_payouts_total", 3)
    time.sleep(2)
    assert daemon.proc.poll() is None
    daemon.stop()

    log = daemon.log_text()
    assert re.search(r"p2pool plugin: Redis at 127\.0\.0\.1:\d+ is "
                     r"unavailable: AUTH failed: WRONGPASS", log)
    assert len(re.findall(r"Redis at \S+ is unavailable:", log)) == 1
    assert "not-the-password" not in log
    assert server.cli("EXISTS", WALLET_KEY) == "0"
