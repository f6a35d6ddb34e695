"""Scaling out: two collectd hosts each watch their own wallets and forward
every figure with collectd's network plugin to a third collectd, whose
write_prometheus shows them all, distinguished by the instance label (the
sending host's Hostname). Running totals of both hosts can live in one
shared Redis.
"""

import os
import socket
import time

import pytest

from collectd_runner import VALGRIND, Collectd, scaled, select
from p2pool_config import observer_block, wallet_block

E2E_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(E2E_DIR))
INTERVAL = 2 if VALGRIND else 1
STOCK_TYPES_DB = "/usr/share/collectd/types.db"


def free_udp_port():
    """Return a UDP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def store_is_placeholder():
    with open(os.path.join(REPO_ROOT, "src", "store.c"), encoding="utf-8") as f:
        return "placeholder" in f.read()


class NamedCollectd(Collectd):
    """A collectd with its own Hostname. With load_p2pool false it only
    receives figures: no p2pool plugin, and TypesDB as given."""

    def __init__(self, *args, hostname, load_p2pool=True, types_db=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.hostname = hostname
        self.load_p2pool = load_p2pool
        self.types_db = types_db

    def config_text(self):
        lines = super().config_text().splitlines()
        result = []
        for line in lines:
            if line.startswith("Hostname "):
                line = 'Hostname "%s"' % self.hostname
            elif line.startswith("TypesDB ") and self.types_db is not None:
                line = "TypesDB " + " ".join('"%s"' % path for path in self.types_db)
            elif line == "LoadPlugin p2pool" and not self.load_p2pool:
                break  # the plugin block follows; leave both out
            result.append(line)
        return "\n".join(result) + "\n"


@pytest.fixture
def named_collectd(tmp_path, build_dir, repo_root):
    """Make NamedCollectd runners; stop them after the test."""
    runners = []

    def make(name, plugin_config="", **options):
        workdir = tmp_path / name
        workdir.mkdir()
        runner = NamedCollectd(str(workdir), build_dir, repo_root, plugin_config,
                               hostname=name, **options)
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.stop()


def network_server(port):
    return ('LoadPlugin network\n<Plugin network>\n  Server "127.0.0.1" "%d"\n</Plugin>\n'
            % port)


def network_listen(port):
    return ('LoadPlugin network\n<Plugin network>\n  Listen "127.0.0.1" "%d"\n</Plugin>\n'
            % port)


def collector_config(fake, wallets, store):
    text = store
    text += observer_block("mini", fake.url, Interval=INTERVAL, Timeout=INTERVAL)
    for name, address in wallets:
        text += wallet_block(name, address, "mini")
    return text


def start_collectors(fake, named_collectd, port, stores):
    """Start collector-a watching the first fixture wallet as rig1 and
    collector-b watching the second as rig2, both forwarding to port."""
    addresses = fake.data.addresses()
    collectors = []
    for name, wallet, address, store in [
            ("collector-a", "rig1", addresses[0], stores[0]),
            ("collector-b", "rig2", addresses[1], stores[1])]:
        collectors.append(named_collectd(
            name, collector_config(fake, [(wallet, address)], store),
            extra_config=network_server(port), extra_plugins=("network",)).start())
    return collectors


def wait_for_all(aggregator):
    for host, wallet in [("collector-a", "rig1"), ("collector-b", "rig2")]:
        aggregator.wait_for("collectd_p2pool_hashrate",
                            {"instance": host, "p2pool": wallet, "type": "window"})
        aggregator.wait_for("collectd_p2pool_payouts_total", {"instance": host, "p2pool": wallet})
        aggregator.wait_for("collectd_p2pool_difficulty",
                            {"instance": host, "p2pool": "mini", "type": "side"})


def test_aggregator_shows_both_hosts(fake_observer, named_collectd, tmp_path):
    port = free_udp_port()
    aggregator = named_collectd("aggregator", load_p2pool=False,
                                extra_config=network_listen(port),
                                extra_plugins=("network",)).start()
    collectors = start_collectors(
        fake_observer, named_collectd, port,
        ['  StateFile "%s"\n' % (tmp_path / "a.state"),
         '  StateFile "%s"\n' % (tmp_path / "b.state")])
    wait_for_all(aggregator)

    # The aggregator's figures equal each sender's own.
    samples = aggregator.scrape()
    for collector, wallet in zip(collectors, ["rig1", "rig2"]):
        own = collector.value("collectd_p2pool_payouts_total", {"p2pool": wallet})
        forwarded = select(samples, "collectd_p2pool_payouts_total",
                           {"instance": collector.hostname, "p2pool": wallet})
        assert list(forwarded.values()) == [own]

    # Each host reports only its own wallet.
    hosts_of = {}
    for labels in select(samples, "collectd_p2pool_hashrate", {"type": "window"}):
        labels = dict(labels)
        hosts_of.setdefault(labels["p2pool"], set()).add(labels["instance"])
    assert hosts_of == {"rig1": {"collector-a"}, "rig2": {"collector-b"}}
    assert aggregator.log_lines("Value too old") == []


def test_aggregator_needs_types_db(fake_observer, named_collectd, tmp_path):
    """A receiver whose TypesDB lacks p2pool.types.db drops every figure."""
    port = free_udp_port()
    aggregator = named_collectd("aggregator", load_p2pool=False,
                                extra_config=network_listen(port),
                                extra_plugins=("network",),
                                types_db=[STOCK_TYPES_DB]).start()
    collectors = start_collectors(
        fake_observer, named_collectd, port,
        ['  StateFile "%s"\n' % (tmp_path / "a.state"),
         '  StateFile "%s"\n' % (tmp_path / "b.state")])
    collectors[0].wait_for("collectd_p2pool_hashrate", {"p2pool": "rig1", "type": "window"})
    aggregator.wait_for_log("Dataset not found: hashrate", timeout=15)
    assert not any(name.startswith("collectd_p2pool_") for name, _ in aggregator.scrape())


def test_shared_redis_state(fake_observer, named_collectd, redis_server):
    if store_is_placeholder():
        pytest.skip("the <Redis> store is not in this build yet (src/store.c is a placeholder)")
    port = free_udp_port()
    aggregator = named_collectd("aggregator", load_p2pool=False,
                                extra_config=network_listen(port),
                                extra_plugins=("network",)).start()
    redis = '  <Redis>\n    Host "127.0.0.1"\n    Port %d\n  </Redis>\n' % redis_server.port
    collectors = start_collectors(fake_observer, named_collectd, port, [redis, redis])
    wait_for_all(aggregator)

    addresses = fake_observer.data.addresses()
    wanted = [addresses[0], addresses[1], "collector-a", "collector-b"]
    deadline = time.monotonic() + scaled(15)
    keys = []
    while time.monotonic() < deadline:
        keys = [key.decode() if isinstance(key, bytes) else key for key in redis_server.keys()]
        if all(any(word in key for key in keys) for word in wanted):
            break
        time.sleep(0.2)
    for word in wanted:
        assert any(word in key for key in keys), "%s not in the Redis keys %s" % (word, keys)

    # A restarted collector continues from the totals in Redis.
    total = collectors[0].value("collectd_p2pool_payouts_total", {"p2pool": "rig1"})
    collectors[0].restart()
    assert collectors[0].wait_for("collectd_p2pool_payouts_total",
                                  {"p2pool": "rig1"}) == total
