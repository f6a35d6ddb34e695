"""End-to-end tests of <Node> blocks: the real collectd reads a P2Pool
data API directory (or a loopback web server serving one) and the figures
are checked in write_prometheus's /metrics.

Files are written the way P2Pool writes them: one line, no trailing
newline, into a temporary name beside the target, then renamed over it.
"""

import contextlib
import grp
import http.server
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(REPO, "tests", "fixtures", "node")
COLLECTD = "/usr/sbin/collectd"
COLLECTD_PLUGINS = "/usr/lib/collectd"
STOCK_TYPES_DB = "/usr/share/collectd/types.db"

LAYOUT_FILES = {
    "current": ["local/stratum", "local/p2p", "local/miner", "local/console",
                "pool/stats", "pool/blocks", "network/stats"],
    "v3_0": ["local/stats", "pool/stats", "pool/blocks", "network/stats"],
}

_temporary_suffix = itertools.count(1)


def plugin_path():
    build = os.environ.get("P2POOL_BUILD_DIR", REPO)
    path = os.environ.get("P2POOL_PLUGIN_SO",
                          os.path.join(build, ".libs", "p2pool.so"))
    if not os.path.exists(path):
        pytest.skip(f"{path} is not built; run make first")
    return path


def write_api_file(root, relative, text, mode=None):
    """Writes relative under root as P2Pool does: a temporary file named
    after the target plus a counter, renamed over the target."""
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}{next(_temporary_suffix)}"
    with open(temporary, "w", encoding="ascii", newline="") as handle:
        handle.write(text)
    if mode is not None:
        os.chmod(temporary, mode)
    os.rename(temporary, path)


def fixture_text(layout, relative):
    with open(os.path.join(FIXTURES, layout, relative), encoding="ascii") as f:
        return f.read()


def write_layout(root, layout, only=None):
    for relative in LAYOUT_FILES[layout]:
        if only is None or relative.split("/")[0] in only:
            write_api_file(root, relative, fixture_text(layout, relative))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    metrics = {}
    for line in text.splitlines():
        match = METRIC_LINE.match(line)
        if not match or line.startswith("#"):
            continue
        labels = dict(LABEL.findall(match.group(3) or ""))
        labels.pop("instance", None)
        key = (match.group(1), tuple(sorted(labels.items())))
        metrics[key] = float(match.group(4))
    return metrics


def metric(metrics, name, node="home", type_instance=None):
    labels = {"p2pool": node}
    if type_instance is not None:
        labels["type"] = type_instance
    return metrics.get((name, tuple(sorted(labels.items()))))


class Collectd:
    """A collectd with the p2pool plugin and write_prometheus on loopback,
    in a directory of its own."""

    def __init__(self, node_block, run_as=None):
        self.base = tempfile.mkdtemp(prefix="p2pool-node-e2e-")
        os.chmod(self.base, 0o777)
        self.port = free_port()
        self.log_path = os.path.join(self.base, "collectd.log")
        self.process = None

        plugins = os.path.join(self.base, "plugins")
        os.mkdir(plugins)
        os.chmod(plugins, 0o755)
        shutil.copy(plugin_path(), os.path.join(plugins, "p2pool.so"))
        for name in ("write_prometheus.so", "logfile.so"):
            shutil.copy(os.path.join(COLLECTD_PLUGINS, name), plugins)
        types_db = os.path.join(self.base, "p2pool.types.db")
        shutil.copy(os.path.join(REPO, "p2pool.types.db"), types_db)
        for name in os.listdir(plugins):
            os.chmod(os.path.join(plugins, name), 0o755)
        os.chmod(types_db, 0o644)

        self.config_path = os.path.join(self.base, "collectd.conf")
        with open(self.config_path, "w", encoding="ascii") as config:
            config.write(f"""
BaseDir "{self.base}"
PIDFile "{self.base}/collectd.pid"
PluginDir "{plugins}"
TypesDB "{STOCK_TYPES_DB}" "{types_db}"
Interval 1
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "{self.log_path}"
  Timestamp true
</Plugin>
LoadPlugin write_prometheus
<Plugin write_prometheus>
  Host "127.0.0.1"
  Port "{self.port}"
</Plugin>
LoadPlugin p2pool
<Plugin p2pool>
  StateFile "{self.base}/p2pool.state"
{node_block}
</Plugin>
""")
        os.chmod(self.config_path, 0o644)
        self.prefix = []
        if run_as is not None:
            self.prefix = ["setpriv", f"--reuid={run_as}",
                           f"--regid={pwd.getpwnam(run_as).pw_gid}",
                           "--clear-groups", "--"]

    def start(self):
        self.process = subprocess.Popen(
            self.prefix + [COLLECTD, "-f", "-C", self.config_path],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return self

    def test_config(self):
        """Runs collectd -T: parse, init, one read each, exit."""
        result = subprocess.run(
            self.prefix + [COLLECTD, "-T", "-C", self.config_path],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30,
            check=False)
        return result.returncode, result.stdout.decode() + self.log()

    def scrape(self):
        url = f"http://127.0.0.1:{self.port}/metrics"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return parse_metrics(response.read().decode())
        except OSError:
            return {}

    def wait_for(self, predicate, timeout=15.0):
        """Scrapes until predicate(metrics) holds; returns the metrics."""
        deadline = time.monotonic() + timeout
        metrics = {}
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"collectd exited early:\n{self.log()}")
            metrics = self.scrape()
            if metrics and predicate(metrics):
                return metrics
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for figures; log:\n{self.log()}\n"
                    f"metrics: {sorted(k for k in metrics if 'p2pool' in k[0])}")

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def running_collectd(node_block, run_as=None):
    collectd = Collectd(node_block, run_as=run_as)
    try:
        yield collectd.start()
    finally:
        collectd.stop()


def node_block(data_api, name="home", extra=""):
    return f"""  <Node "{name}">
    DataAPI "{data_api}"
    Interval 1
{extra}
  </Node>"""


class DataApiServer:
    """Serves a data API directory under /api/ on 127.0.0.1, with a
    plain HTML 404 page as web servers send, and optional delays."""

    def __init__(self, root, delays=None):
        self.root = root
        self.delays = delays or {}
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                time.sleep(server.delays.get(self.path, 0))
                relative = self.path[len("/api/"):]
                path = os.path.join(server.root, relative)
                if (not self.path.startswith("/api/") or ".." in relative
                        or not os.path.isfile(path)):
                    body = b"<html><body>404 Not Found</body></html>"
                    self.send_response(404)
                    self.send_header("Content-Type", "text/html")
                else:
                    with open(path, "rb") as handle:
                        body = handle.read()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def data_api():
    root = tempfile.mkdtemp(prefix="p2pool-data-api-")
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def has(name, type_instance=None):
    return lambda m: metric(m, name, type_instance=type_instance) is not None


def all_of(*predicates):
    return lambda m: all(predicate(m) for predicate in predicates)


# ---- the two layouts, read from a directory ------------------------------

def check_current_figures(metrics):
    assert metric(metrics, "collectd_p2pool_hashrate",
                  type_instance="stratum_15m") == 61234
    assert metric(metrics, "collectd_p2pool_hashrate",
                  type_instance="stratum_24h") == 60412
    assert metric(metrics, "collectd_p2pool_stratum_hashes_total") == \
        5218765432
    assert metric(metrics, "collectd_p2pool_stratum_shares_total") == 18233
    assert metric(metrics, "collectd_p2pool_sidechain_shares_total",
                  type_instance="found") == 42
    assert metric(metrics, "collectd_p2pool_sidechain_shares_total",
                  type_instance="failed") == 1
    assert metric(metrics, "collectd_p2pool_share_effort_percent",
                  type_instance="current") == 27.604
    assert metric(metrics, "collectd_p2pool_stratum_connections",
                  type_instance="all") == 4
    assert metric(metrics, "collectd_p2pool_stratum_workers") == 4
    assert metric(metrics, "collectd_p2pool_reward_share_percent") == 0.418
    # two connections named rig-a, one over IPv6, one not logged in
    assert metric(metrics, "collectd_p2pool_worker_hashrate",
                  type_instance="rig-a") == 41216
    assert metric(metrics, "collectd_p2pool_worker_hashrate",
                  type_instance="rig-b") == 19968
    assert metric(metrics, "collectd_p2pool_worker_hashrate",
                  type_instance="not logged in") == 0

    assert metric(metrics, "collectd_p2pool_p2p_connections",
                  type_instance="incoming") == 3
    assert metric(metrics, "collectd_p2pool_p2p_peers") == 4
    assert metric(metrics, "collectd_p2pool_peer_list_size") == 874
    assert metric(metrics, "collectd_p2pool_uptime_seconds") == 91234
    assert metric(metrics, "collectd_p2pool_age_seconds",
                  type_instance="last_zmq_message") == 2

    assert metric(metrics, "collectd_p2pool_hashrate",
                  type_instance="miner") == 3820
    assert metric(metrics, "collectd_p2pool_miner_threads") == 6

    assert metric(metrics, "collectd_p2pool_hashrate",
                  type_instance="pool") == 17123456
    assert metric(metrics, "collectd_p2pool_miners",
                  type_instance="recent") == 1803
    assert metric(metrics, "collectd_p2pool_difficulty",
                  type_instance="side") == 171234560
    assert metric(metrics, "collectd_p2pool_height",
                  type_instance="side") == 15123456
    assert metric(metrics, "collectd_p2pool_window_blocks") == 2160
    assert metric(metrics, "collectd_p2pool_window_weight") == 341234567890
    assert metric(metrics, "collectd_p2pool_pool_blocks_found_total") == 93
    assert metric(metrics, "collectd_p2pool_difficulty",
                  type_instance="main") == 700000000000
    assert metric(metrics, "collectd_p2pool_height",
                  type_instance="main") == 3712400
    assert metric(metrics, "collectd_p2pool_reward_atomic_units",
                  type_instance="main") == 600123450000

    # (21345678901234567 - 21345000000000000) * 100 / 700e9, and the mean
    # of 100 % and 200 % over pool/blocks
    current = metric(metrics, "collectd_p2pool_effort_percent",
                     type_instance="current")
    assert current == pytest.approx(96.98589065242857, rel=1e-12)
    assert metric(metrics, "collectd_p2pool_effort_percent",
                  type_instance="average") == 150

    for label in ("local_stratum", "local_p2p", "local_miner", "pool_stats",
                  "pool_blocks", "network_stats"):
        age = metric(metrics, "collectd_p2pool_data_age_seconds",
                     type_instance=label)
        assert age is not None and 0 <= age < 120, label


def test_directory_current_layout(data_api):
    write_layout(data_api, "current")
    with running_collectd(node_block(data_api + "/")) as collectd:
        metrics = collectd.wait_for(all_of(
            has("collectd_p2pool_effort_percent", "current"),
            has("collectd_p2pool_worker_hashrate", "rig-a"),
            has("collectd_p2pool_miner_threads")))
        check_current_figures(metrics)
        assert metric(metrics, "collectd_p2pool_api_requests_total",
                      type_instance="pool_stats-ok") >= 1
        log = collectd.log()
    # the console cookie is never read, so never logged
    assert "NOT-A-REAL-COOKIE" not in log
    assert "not found" not in log


def test_directory_v3_0_layout(data_api):
    write_layout(data_api, "v3_0")
    with running_collectd(node_block(data_api)) as collectd:
        metrics = collectd.wait_for(all_of(
            has("collectd_p2pool_hashrate", "stratum_15m"),
            has("collectd_p2pool_effort_percent", "current")))
        assert metric(metrics, "collectd_p2pool_hashrate",
                      type_instance="stratum_15m") == 48000
        assert metric(metrics, "collectd_p2pool_stratum_hashes_total") == \
            3901234567
        assert metric(metrics, "collectd_p2pool_share_effort_percent",
                      type_instance="current") == 64.5
        assert metric(metrics, "collectd_p2pool_window_weight") == \
            123456789012
        # (987654321098765 - 987000000000000) * 100 / 360e9
        assert metric(metrics, "collectd_p2pool_effort_percent",
                      type_instance="current") == \
            pytest.approx(181.75586076805556, rel=1e-12)
        # fields and files of later versions are simply absent
        assert metric(metrics, "collectd_p2pool_stratum_workers") is None
        assert metric(metrics, "collectd_p2pool_window_blocks") is None
        assert metric(metrics, "collectd_p2pool_stratum_shares_total") is None
        assert metric(metrics, "collectd_p2pool_p2p_peers") is None
        log = collectd.log()
    assert "local/stats" not in log  # read without complaint
    assert log.count("local/p2p not found") == 1


# ---- URL mode ------------------------------------------------------------

@pytest.mark.parametrize("layout,served,other", [
    ("current", "/api/local/stratum", "/api/local/stats"),
    ("v3_0", "/api/local/stats", "/api/local/stratum"),
])
def test_url_mode(data_api, layout, served, other):
    write_layout(data_api, layout)
    with DataApiServer(data_api) as server, \
            running_collectd(node_block(server.url + "/")) as collectd:
        metrics = collectd.wait_for(all_of(
            has("collectd_p2pool_hashrate", "stratum_15m"),
            has("collectd_p2pool_effort_percent", "current")))
        time.sleep(2.5)  # a few more reads
        if layout == "current":
            check_current_figures(collectd.scrape())
        else:
            assert metric(metrics, "collectd_p2pool_hashrate",
                          type_instance="stratum_15m") == 48000
        requests = list(server.requests)

    assert requests.count(served) >= 3
    # the other name of the stratum file is asked for once at most
    assert requests.count(other) <= 1
    assert all(path.startswith("/api/") for path in requests)


def test_url_mode_timeout_spares_other_files(data_api):
    write_layout(data_api, "current")
    extra = "    Timeout 0.5"
    with DataApiServer(data_api, delays={"/api/local/p2p": 3}) as server, \
            running_collectd(node_block(server.url, extra=extra)) as collectd:
        metrics = collectd.wait_for(all_of(
            has("collectd_p2pool_hashrate", "pool"),
            lambda m: (metric(m, "collectd_p2pool_api_requests_total",
                              type_instance="local_p2p-timeout") or 0) >= 1))
        assert metric(metrics, "collectd_p2pool_p2p_peers") is None
        assert metric(metrics, "collectd_p2pool_hashrate",
                      type_instance="stratum_15m") == 61234
        log = collectd.log()
    assert "timeout" in log
    assert "Timeout 0.5" not in log


def test_url_mode_unreachable_server(data_api):
    port = free_port()  # nothing listens there
    with running_collectd(
            node_block(f"http://127.0.0.1:{port}/api")) as collectd:
        collectd.wait_for(
            lambda m: (metric(m, "collectd_p2pool_api_requests_total",
                              type_instance="pool_stats-unreachable") or 0)
            >= 2)
        log = collectd.log()
    # one line per node, not one per file, and repeats are thinned out
    assert 1 <= log.count("requests to http://127.0.0.1") <= 2
    assert "7 of 7 requests" in log


# ---- quirks --------------------------------------------------------------

def test_missing_files_logged_once(data_api):
    # a node without --local-api, and no built-in miner
    write_layout(data_api, "current", only={"pool", "network"})
    with running_collectd(node_block(data_api)) as collectd:
        collectd.wait_for(has("collectd_p2pool_hashrate", "pool"))
        collectd.wait_for(
            lambda m: (metric(m, "collectd_p2pool_api_requests_total",
                              type_instance="local_stratum-not_found") or 0)
            >= 4)
        metrics = collectd.scrape()
        assert metric(metrics, "collectd_p2pool_hashrate",
                      type_instance="stratum_15m") is None

        # the file appears later and is read
        write_api_file(data_api, "local/stratum",
                       fixture_text("current", "local/stratum"))
        collectd.wait_for(has("collectd_p2pool_hashrate", "stratum_15m"))
        log = collectd.log()

    assert log.count("local/stratum not found") == 1
    assert "--local-api" in log
    assert log.count("local/p2p not found") == 1
    assert log.count("local/miner not found") == 1
    assert "local/stratum appeared" in log


def test_missing_directory(data_api):
    missing = os.path.join(data_api, "nowhere")
    with running_collectd(node_block(missing)) as collectd:
        time.sleep(3)
        assert collectd.process.poll() is None
        log = collectd.log()
    assert f"DataAPI directory {missing} is not usable" in log
    assert "--data-api" in log
    assert log.count("is not usable") <= 3


STRATUM_WITH = ('{{"hashrate_15m":{rate},"hashrate_1h":59876,'
                '"hashrate_24h":60412,"total_hashes":5218765432,'
                '"total_stratum_shares":18233,"last_share_found_time":0,'
                '"shares_found":42,"shares_failed":1,"average_effort":{avg},'
                '"current_effort":{cur},"connections":4,'
                '"incoming_connections":4,"block_reward_share_percent":{rs},'
                '"wallet":"4x","workers":[]}}')


def test_non_finite_and_cut_numbers(data_api):
    write_layout(data_api, "current")
    with running_collectd(node_block(data_api)) as collectd:
        collectd.wait_for(has("collectd_p2pool_share_effort_percent",
                              "current"))

        # P2Pool before v4.17 with inf, -nan and a double cut to "14 digits."
        write_api_file(data_api, "local/stratum", STRATUM_WITH.format(
            rate=70000, avg="12345678901234.", cur="inf", rs="-nan"))
        metrics = collectd.wait_for(
            lambda m: metric(m, "collectd_p2pool_hashrate",
                             type_instance="stratum_15m") == 70000)

        # rejected fields keep their last good values
        assert metric(metrics, "collectd_p2pool_share_effort_percent",
                      type_instance="current") == 27.604
        assert metric(metrics, "collectd_p2pool_reward_share_percent") == \
            0.418
        # the trailing '.' is unambiguous
        assert metric(metrics, "collectd_p2pool_share_effort_percent",
                      type_instance="average") == 12345678901234

        # a 15-digit integer in a double field may have lost digits
        write_api_file(data_api, "local/stratum", STRATUM_WITH.format(
            rate=80000, avg="123456789012345", cur="50.125", rs="0.5"))
        metrics = collectd.wait_for(
            lambda m: metric(m, "collectd_p2pool_hashrate",
                             type_instance="stratum_15m") == 80000)
        assert metric(metrics, "collectd_p2pool_share_effort_percent",
                      type_instance="average") == 12345678901234
        assert metric(metrics, "collectd_p2pool_share_effort_percent",
                      type_instance="current") == 50.125
        log = collectd.log()

    assert "current_effort is not a finite number (inf)" in log
    assert "block_reward_share_percent is not a finite number (-nan)" in log
    assert "average_effort has 15 or more digits" in log


def test_invalid_document_keeps_figures(data_api):
    write_layout(data_api, "current")
    with running_collectd(node_block(data_api)) as collectd:
        collectd.wait_for(has("collectd_p2pool_hashrate", "pool"))
        write_api_file(data_api, "pool/stats", '{"pool_statistics":{"hash')
        collectd.wait_for(
            lambda m: (metric(m, "collectd_p2pool_api_requests_total",
                              type_instance="pool_stats-bad_body") or 0) >= 6,
            timeout=20)
        metrics = collectd.scrape()
        assert metric(metrics, "collectd_p2pool_hashrate",
                      type_instance="pool") == 17123456
        log = collectd.log()
    # c_complain doubles the wait between repeats: 0, 1, 3, 7 s
    repeats = log.count("pool/stats is not a valid data API document")
    assert 1 <= repeats <= 3


def test_stale_file_shows_its_age(data_api):
    write_layout(data_api, "current")
    stale = time.time() - 600
    os.utime(os.path.join(data_api, "pool", "stats"), (stale, stale))
    with running_collectd(node_block(data_api)) as collectd:
        metrics = collectd.wait_for(has("collectd_p2pool_data_age_seconds",
                                        "pool_stats"))
        age = metric(metrics, "collectd_p2pool_data_age_seconds",
                     type_instance="pool_stats")
        assert 600 <= age < 660
        assert metric(metrics, "collectd_p2pool_data_age_seconds",
                      type_instance="network_stats") < 60


@pytest.mark.parametrize("group", ["daemon", "root"])
def test_permission_denied_names_the_fix(data_api, group):
    """P2Pool v4.8+ makes local/ 0750 and its files 0640."""
    if os.geteuid() != 0:
        pytest.skip("needs root to give local/ to another group and to run "
                    "collectd as an unprivileged user")
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to run collectd as an unprivileged user")

    write_layout(data_api, "current")
    local = os.path.join(data_api, "local")
    gid = grp.getgrnam(group).gr_gid
    for relative in ("local/stratum", "local/p2p", "local/miner",
                     "local/console"):
        os.chown(os.path.join(data_api, relative), 0, gid)
        os.chmod(os.path.join(data_api, relative), 0o640)
    os.chown(local, 0, gid)
    os.chmod(local, 0o750)

    # root reads any file, so collectd runs as nobody, who is in neither group
    with running_collectd(node_block(data_api), run_as="nobody") as collectd:
        metrics = collectd.wait_for(all_of(
            has("collectd_p2pool_hashrate", "pool"),
            lambda m: (metric(m, "collectd_p2pool_api_requests_total",
                              type_instance="local_stratum-blocked") or 0)
            >= 2))
        assert metric(metrics, "collectd_p2pool_hashrate",
                      type_instance="stratum_15m") is None
        log = collectd.log()

    # one line for the directory, not one per file
    assert f"cannot read {local}: permission denied" in log
    assert "local/stratum: permission denied" not in log
    if group == "root":
        # joining group root would be bad advice
        assert 'Grant collectd\'s user "nobody" read access with an ACL' in log
        assert "usermod" not in log
    else:
        assert 'Add collectd\'s user "nobody" to group "daemon"' in log
        assert "usermod -aG daemon nobody" in log
    # rate-limited: not once per interval
    assert log.count("permission denied") <= 3


def test_permission_denied_as_test_user(data_api):
    if os.geteuid() == 0:
        pytest.skip("root reads any file; test_permission_denied_names_the_fix "
                    "drops privileges instead")
    write_layout(data_api, "current")
    local = os.path.join(data_api, "local")
    os.chmod(local, 0o000)  # a mode the test user cannot read
    try:
        with running_collectd(node_block(data_api)) as collectd:
            collectd.wait_for(all_of(
                has("collectd_p2pool_hashrate", "pool"),
                lambda m: (metric(m, "collectd_p2pool_api_requests_total",
                                  type_instance="local_stratum-blocked") or 0)
                >= 2))
            log = collectd.log()
    finally:
        os.chmod(local, 0o755)
    user = pwd.getpwuid(os.geteuid()).pw_name
    assert f"cannot read {local}: permission denied" in log
    assert f'collectd\'s user "{user}"' in log


# ---- configuration -------------------------------------------------------

@pytest.mark.parametrize("block,message", [
    (node_block("relative/dir"),
     'DataAPI "relative/dir" is neither an absolute directory path'),
    (node_block("ftp://127.0.0.1/api"), "is not a valid URL"),
    (node_block("/tmp", extra="    MaxWorkers 1.5"), "MaxWorkers 1.5 is invalid"),
    (node_block("/tmp", extra="    MaxWorkers 5000"),
     "MaxWorkers 5000 is invalid"),
    (node_block("/tmp", extra="    Colour \"blue\""),
     'unknown option "Colour"'),
    (node_block("http://127.0.0.1:1/api", extra="    Timeout 5"),
     "Timeout 5 s is longer than Interval 1 s"),
    ('  <Node "home">\n    Interval 5\n  </Node>', "DataAPI is missing"),
    (node_block("/tmp") + "\n" + node_block("/tmp"),
     "the name is already used"),
])
def test_invalid_configuration_rejected(block, message):
    collectd = Collectd(block)
    try:
        status, output = collectd.test_config()
    finally:
        collectd.stop()
    assert status != 0
    assert message in output


def test_directory_ignores_http_options(data_api):
    write_layout(data_api, "current", only={"pool", "network"})
    block = node_block(data_api, extra='    UserAgent "x"')
    with running_collectd(block) as collectd:
        collectd.wait_for(has("collectd_p2pool_hashrate", "pool"))
        log = collectd.log()
    assert "UserAgent has no effect" in log
