"""Fixtures for the end-to-end tests: the real collectd with the plugin, a
fake P2Pool Observer (REST and websocket) and a private redis-server, all on
127.0.0.1 with ports the OS picks.

Environment:
  P2POOL_BUILD_DIR      directory holding .libs/p2pool.so (default: the
                        repository root, i.e. an in-tree build)
  P2POOL_E2E_VALGRIND   1 runs collectd under valgrind's memcheck. A test
                        fails when valgrind reports an error or a definite
                        leak in p2pool.so. Timeouts are then multiplied by
                        P2POOL_E2E_TIME_SCALE (default 8).
"""

import os
import re
import sys

import pytest

E2E_DIR = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.dirname(E2E_DIR)
REPO_ROOT = os.path.dirname(TESTS_DIR)
sys.path.insert(0, TESTS_DIR)

from collectd_runner import VALGRIND, Collectd, scaled  # noqa: E402
from fake_observer import FakeObserver, ObserverData  # noqa: E402
from redis_runner import RedisServer  # noqa: E402


def _package_version():
    with open(os.path.join(REPO_ROOT, "configure.ac"), encoding="utf-8") as f:
        match = re.search(r"AC_INIT\(\[[^]]*\],\s*\[([^]]+)\]", f.read())
    return match.group(1)


PACKAGE_VERSION = _package_version()
USER_AGENT = "collectd-p2pool/" + PACKAGE_VERSION


@pytest.fixture(scope="session")
def repo_root():
    """Path of the repository, which contains p2pool.types.db and the fixtures."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def build_dir():
    """Directory of the build whose .libs/p2pool.so the tests load:
    $P2POOL_BUILD_DIR, or the repository root for an in-tree build."""
    path = os.path.abspath(os.environ.get("P2POOL_BUILD_DIR", REPO_ROOT))
    if not os.path.isfile(os.path.join(path, ".libs", "p2pool.so")):
        pytest.fail("%s/.libs/p2pool.so not found: run make, or set "
                    "P2POOL_BUILD_DIR to the build directory" % path)
    return path


@pytest.fixture(scope="session")
def user_agent():
    """The User-Agent the plugin sends by default: collectd-p2pool/<version>
    with the version from configure.ac."""
    return USER_AGENT


@pytest.fixture
def observer_data():
    """A fresh ObserverData from the fixture files: pool_info.json, a wallet
    with a window and three payouts (miner_info.json) and a wallet with a
    window and no payouts (miner_info_second.json). Change it to change what
    the fake observer serves."""
    return ObserverData.from_fixtures()


@pytest.fixture
def fake_observer(observer_data):
    """A started FakeObserver serving observer_data.

    fake_observer.url is the REST base URL, fake_observer.events_url the
    websocket URL. fake_observer.http scripts replies (script(), script_html(),
    release(), clear_script()) and records requests (requests, requests_to(),
    wait_for_request(), connections). fake_observer.events sends text,
    fragments, binary and malformed frames, drops connections, rejects
    handshakes (reject_next) and stalls; it counts connections and handshakes.
    Both servers are stopped after the test.
    """
    fake = FakeObserver(data=observer_data).start()
    yield fake
    fake.stop()


@pytest.fixture
def collectd_factory(tmp_path, build_dir, repo_root):
    """Make Collectd runners: collectd_factory(plugin_config, **options).

    plugin_config is the text inside <Plugin p2pool>. Options: extra_config
    (configuration before LoadPlugin p2pool), extra_plugins (stock plugin
    names copied into the private PluginDir), global_config, log_level.
    Each runner has its own directory under tmp_path. Call .start() on it.
    Its methods: scrape(), value(), wait_for(), log(), log_lines(),
    wait_for_log(), assert_no_read_suspend(), assert_clean_log() (also fails
    on "Value too old", "UNKNOWN plugin" or "Dataset not found"), stop()
    (returns the seconds SIGTERM took) and restart() (same BaseDir and port). Runners still running after the test
    are stopped, and under P2POOL_E2E_VALGRIND=1 their memory check applies.
    """
    runners = []

    def make(plugin_config="", **options):
        workdir = tmp_path / ("collectd-%d" % (len(runners) + 1))
        workdir.mkdir()
        runner = Collectd(str(workdir), build_dir, repo_root, plugin_config, **options)
        runners.append(runner)
        return runner

    yield make
    failures = []
    for runner in runners:
        try:
            runner.stop()
        except AssertionError as exc:
            failures.append(str(exc))
    if failures:
        pytest.fail("\n\n".join(failures))


@pytest.fixture
def redis_factory(tmp_path):
    """Make RedisServer runners: redis_factory(password=None). Each is
    started, listens on 127.0.0.1 on a free port, keeps nothing on disk, and
    is stopped after the test. Methods: stop(), start() (same port),
    restart(), pause()/resume() (SIGSTOP/SIGCONT), command(*args), keys()."""
    servers = []

    def make(password=None):
        server = RedisServer(str(tmp_path / ("redis-%d" % (len(servers) + 1))), password=password)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def redis_server(redis_factory):
    """A started redis-server without a password (see redis_factory)."""
    return redis_factory()


@pytest.fixture(scope="session")
def time_scale():
    """Factor applied to timeouts: scaled(seconds) under valgrind."""
    return scaled(1.0)


def pytest_report_header(config):
    mode = "collectd under valgrind memcheck" if VALGRIND else "collectd without valgrind"
    return "p2pool e2e: %s, User-Agent %s" % (mode, USER_AGENT)
