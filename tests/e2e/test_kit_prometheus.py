"""End-to-end tests of the Prometheus side of the operator kit: a real
Prometheus server scrapes the real collectd's write_prometheus, evaluates
contrib/prometheus/p2pool-alerts.yml, and runs the queries of the
Grafana dashboard in contrib/grafana. The alert rules are also checked with
promtool (syntax and the unit tests in tests/prometheus).
"""

import json
import os
import re
import subprocess
import sys
import time

import pytest
import yaml

from collectd_runner import VALGRIND, free_port, scaled
from p2pool_config import observer_block, wallet_block
from prometheus_runner import Prometheus
from required_tools import require_tool

E2E_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(E2E_DIR))
RULES = os.path.join(REPO_ROOT, "contrib", "prometheus", "p2pool-alerts.yml")
RULE_TESTS = os.path.join(REPO_ROOT, "tests", "prometheus", "p2pool-alerts.test.yml")
COMPAT_RULES = os.path.join(REPO_ROOT, "contrib", "prometheus", "p2pool-exporter-compat.yml")
COMPAT_TESTS = os.path.join(REPO_ROOT, "tests", "prometheus",
                            "p2pool-exporter-compat.test.yml")
GRAFANA_DIR = os.path.join(REPO_ROOT, "contrib", "grafana")
DASHBOARD = os.path.join(GRAFANA_DIR, "p2pool-dashboard.json")
TYPES_DB = os.path.join(REPO_ROOT, "p2pool.types.db")

INTERVAL = 2 if VALGRIND else 1

# Values the dashboard's template variables take in these tests.
TEMPLATE_VALUES = {
    "$wallet": ".*",
    "$observer": ".*",
    "$node": ".*",
    "$instance": ".*",
    "$currency": "eur",
    "$__rate_interval": "15s",
    "$__range": "30s",
}


@pytest.fixture(scope="module")
def promtool():
    return require_tool("promtool", "prometheus")


@pytest.fixture
def prometheus_factory(tmp_path):
    """Make started Prometheus servers: prometheus_factory(targets)."""
    binary = require_tool("prometheus", "prometheus")
    servers = []

    def make(targets, rule_files=(RULES, COMPAT_RULES)):
        workdir = tmp_path / ("prometheus-%d" % (len(servers) + 1))
        workdir.mkdir()
        server = Prometheus(binary, str(workdir), targets, rule_files)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


def load_rules():
    """Return {alert name: rule} from the rules file."""
    with open(RULES, encoding="utf-8") as f:
        document = yaml.safe_load(f)
    return {rule["alert"]: rule for group in document["groups"] for rule in group["rules"]}


def plugin_config(url, wallets, **options):
    text = observer_block("mini", url, Interval=INTERVAL, Timeout=INTERVAL, **options)
    for name, address in wallets:
        text += wallet_block(name, address, "mini")
    return text


def start_pair(fake_observer, collectd_factory, prometheus_factory):
    """Start collectd watching both fixture wallets as rig1 and rig2 and
    following the event stream, and Prometheus scraping it; wait until
    Prometheus has the wallet figures."""
    addresses = fake_observer.data.addresses()
    collectd = collectd_factory(plugin_config(
        fake_observer.url, [("rig1", addresses[0]), ("rig2", addresses[1])],
        Events=True, EventsURL=fake_observer.events_url)).start()
    collectd.wait_for("collectd_p2pool_payouts_total", {"p2pool": "rig1"}, lambda v: v > 0)
    prometheus = prometheus_factory(["127.0.0.1:%d" % collectd.port])
    prometheus.wait_for('collectd_p2pool_hashrate{type="window"}',
                        lambda result: len(result) == 2)
    return collectd, prometheus


# promtool -------------------------------------------------------------------


@pytest.mark.parametrize("path", [RULES, COMPAT_RULES], ids=os.path.basename)
def test_rules_check(promtool, path):
    result = subprocess.run([promtool, "check", "rules", path],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize("path", [RULE_TESTS, COMPAT_TESTS], ids=os.path.basename)
def test_rules_unit_tests(promtool, path):
    result = subprocess.run([promtool, "test", "rules", path],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_unit_tested():
    with open(RULE_TESTS, encoding="utf-8") as f:
        tests = yaml.safe_load(f)["tests"]
    tested = {case["alertname"] for test in tests for case in test.get("alert_rule_test", [])
              if case.get("exp_alerts")}
    assert sorted(set(load_rules()) - tested) == []


# Names ----------------------------------------------------------------------


def types_db():
    """Return {type: data source type} from p2pool.types.db."""
    types = {}
    with open(TYPES_DB, encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if fields and not fields[0].startswith("#"):
                types[fields[0]] = fields[1].split(":")[1]
    return types


# Families of sources whose code may still be a placeholder in this tree
# (src/<source>.c contains the word "placeholder"). Once a source's code is there, its
# families must be in p2pool.types.db like every other.
PENDING_FAMILIES = {
    "events": {"collectd_p2pool_blocks_total", "collectd_p2pool_events_total",
               "collectd_p2pool_websocket_connected",
               "collectd_p2pool_websocket_reconnects_total",
               "collectd_p2pool_websocket_blocked_total"},
    "node": {"collectd_p2pool_data_age_seconds", "collectd_p2pool_sidechain_shares_total",
             "collectd_p2pool_share_effort_percent", "collectd_p2pool_stratum_connections",
             "collectd_p2pool_stratum_workers", "collectd_p2pool_p2p_connections",
             "collectd_p2pool_peer_list_size", "collectd_p2pool_uptime_seconds",
             "collectd_p2pool_reward_share_percent"},
    "prices": {"collectd_p2pool_price"},
}


def source_is_placeholder(source):
    with open(os.path.join(REPO_ROOT, "src", source + ".c"), encoding="utf-8") as f:
        return "placeholder" in f.read()


def allowed_unknown_families():
    return set().union(*(families for source, families in PENDING_FAMILIES.items()
                         if source_is_placeholder(source)))


def families(expr):
    return set(re.findall(r"\bcollectd_p2pool_[a-z0-9_]+", expr))


def family_type(family, types):
    """Return the type a write_prometheus family comes from, or None."""
    name = family[len("collectd_p2pool_"):]
    if name.endswith("_total") and types.get(name[:-len("_total")]) in ("DERIVE", "COUNTER"):
        return name[:-len("_total")]
    if types.get(name) == "GAUGE":
        return name
    return None


def dashboard():
    with open(DASHBOARD, encoding="utf-8") as f:
        return json.load(f)


def dashboard_targets():
    """Return (panel title, expr) of every query in the dashboard."""
    return [(panel["title"], target["expr"])
            for panel in dashboard()["panels"] for target in panel.get("targets", [])]


@pytest.mark.parametrize("path", [RULES, COMPAT_RULES], ids=os.path.basename)
def test_rule_families_known(path):
    """Every series the rules read is a type of p2pool.types.db, with
    _total exactly for the DERIVE types."""
    types = types_db()
    pending = allowed_unknown_families()
    with open(path, encoding="utf-8") as f:
        rules = [rule for group in yaml.safe_load(f)["groups"] for rule in group["rules"]]
    for rule in rules:
        name = rule.get("alert") or rule.get("record")
        for family in families(rule["expr"]) - pending:
            assert family_type(family, types) is not None, "%s reads %s" % (name, family)


def test_dashboard_families_known():
    types = types_db()
    pending = allowed_unknown_families()
    for title, expr in dashboard_targets():
        for family in families(expr) - pending:
            assert family_type(family, types) is not None, "%s reads %s" % (title, family)


def test_dashboard_matches_generator():
    sys.path.insert(0, GRAFANA_DIR)
    try:
        import make_dashboard
    finally:
        sys.path.remove(GRAFANA_DIR)
    with open(DASHBOARD, encoding="utf-8") as f:
        assert f.read() == make_dashboard.render(), \
            "p2pool-dashboard.json is stale: run contrib/grafana/make_dashboard.py"


def test_dashboard_layout():
    panels = dashboard()["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    cells = set()
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, "%s overlaps another panel" % panel["title"]
                cells.add((x, y))


# A real Prometheus ----------------------------------------------------------


def test_prometheus_reads_figures(fake_observer, collectd_factory, prometheus_factory):
    collectd, prometheus = start_pair(fake_observer, collectd_factory, prometheus_factory)

    for family, labels in [
            ("collectd_p2pool_hashrate", {"p2pool": "rig1", "type": "window"}),
            ("collectd_p2pool_payouts_total", {"p2pool": "rig1"}),
            ("collectd_p2pool_payout_atomic_units_total", {"p2pool": "rig1"}),
            ("collectd_p2pool_difficulty", {"p2pool": "mini", "type": "side"}),
            ("collectd_p2pool_share_interval_seconds", {"p2pool": "rig2", "type": "expected"})]:
        expected = collectd.value(family, labels)
        selector = ", ".join('%s="%s"' % item for item in sorted(labels.items()))
        result = prometheus.query("%s{%s}" % (family, selector))
        assert len(result) == 1, family
        assert result[0][0]["instance"] == "127.0.0.1:%d" % collectd.port
        assert result[0][1] == pytest.approx(expected, rel=1e-9), family


def test_rules_evaluate_without_errors(fake_observer, collectd_factory, prometheus_factory):
    _, prometheus = start_pair(fake_observer, collectd_factory, prometheus_factory)
    time.sleep(scaled(3))

    groups = prometheus.rule_groups()
    names = {rule["name"] for group in groups for rule in group["rules"]
             if rule["type"] == "alerting"}
    assert names == set(load_rules())
    for group in groups:
        for rule in group["rules"]:
            assert rule["health"] == "ok", "%s: %s" % (rule["name"], rule.get("lastError"))


def test_exporter_compat_series(fake_observer, collectd_factory, prometheus_factory):
    collectd, prometheus = start_pair(fake_observer, collectd_factory, prometheus_factory)

    hashrate = collectd.value("collectd_p2pool_hashrate", {"p2pool": "rig1", "type": "window"})
    result = prometheus.wait_for(
        'p2pool_exporter_miner_performance{miner="rig1", metric="hashrate"}')
    assert [value for _, value in result] == [pytest.approx(hashrate, rel=1e-9)]

    payouts = collectd.value("collectd_p2pool_payout_atomic_units_total", {"p2pool": "rig1"})
    result = prometheus.wait_for('p2pool_exporter_miner_rewards{miner="rig1", metric="payouts"}')
    assert [value for _, value in result] == [payouts]

    result = prometheus.wait_for(
        'p2pool_exporter_query_counter{p2pool="mini", endpoint="pool_info", status="success"}')
    assert result[0][1] >= 1
    result = prometheus.wait_for('p2pool_exporter_difficulty')
    assert sorted(labels["pool"] for labels, _ in result) == ["main", "side"]


def test_drought_alert_pending(fake_observer, collectd_factory, prometheus_factory):
    """The fixture's shares are months old, so both wallets are in a drought:
    the expression matches them at once and the alert waits for its 5 min."""
    _, prometheus = start_pair(fake_observer, collectd_factory, prometheus_factory)
    expr = load_rules()["P2PoolShareDrought"]["expr"]

    result = prometheus.wait_for(expr, lambda r: len(r) == 2)
    assert sorted(labels["p2pool"] for labels, _ in result) == ["rig1", "rig2"]
    alerts = prometheus.wait_for('ALERTS{alertname="P2PoolShareDrought"}',
                                 lambda r: len(r) == 2)
    assert {labels["alertstate"] for labels, _ in alerts} == {"pending"}


def test_drought_alert_clears(fake_observer, collectd_factory, prometheus_factory):
    data = fake_observer.data
    address = data.addresses()[0]
    _, prometheus = start_pair(fake_observer, collectd_factory, prometheus_factory)
    expr = load_rules()["P2PoolShareDrought"]["expr"]
    prometheus.wait_for(expr, lambda r: len(r) == 2)

    info = data.miner_info(address)
    info["last_share_height"] += 1
    info["last_share_timestamp"] = int(time.time()) - 5
    data.add_miner(info, data.window(address), data.payouts(address))

    result = prometheus.wait_for(expr, lambda r: len(r) == 1)
    assert result[0][0]["p2pool"] == "rig2"


def test_blocked_alert_expression(fake_observer, collectd_factory, prometheus_factory):
    fake_observer.http.script_html("*", status=418)
    addresses = fake_observer.data.addresses()
    collectd = collectd_factory(plugin_config(fake_observer.url, [("rig1", addresses[0])])).start()
    prometheus = prometheus_factory(["127.0.0.1:%d" % collectd.port])

    result = prometheus.wait_for(load_rules()["P2PoolObserverBlocked"]["expr"])
    assert [labels["p2pool"] for labels, _ in result] == ["mini"]
    assert prometheus.query(load_rules()["P2PoolObserverUnreachable"]["expr"]) == []


def test_unreachable_alert_expression(collectd_factory, prometheus_factory):
    closed_port = free_port()
    address = "4" + "7Xq2" * 23 + "aa"
    collectd = collectd_factory(plugin_config("http://127.0.0.1:%d" % closed_port,
                                              [("rig1", address)])).start()
    prometheus = prometheus_factory(["127.0.0.1:%d" % collectd.port])

    result = prometheus.wait_for(load_rules()["P2PoolObserverUnreachable"]["expr"])
    assert [labels["p2pool"] for labels, _ in result] == ["mini"]
    assert prometheus.query(load_rules()["P2PoolObserverBlocked"]["expr"]) == []


def substitute(expr):
    for variable, value in TEMPLATE_VALUES.items():
        expr = expr.replace(variable, value)
    return expr


def test_dashboard_queries_return_data(fake_observer, collectd_factory, prometheus_factory):
    """A dashboard query returns data whenever each series selector in it
    does on its own. Selectors of sources this test does not configure
    (node, prices, raffle) return nothing and exempt their query."""
    _, prometheus = start_pair(fake_observer, collectd_factory, prometheus_factory)
    time.sleep(scaled(20))  # enough samples for rate() over 15 s and increase() over 30 s

    checked = []
    empty = []
    for title, expr in dashboard_targets():
        query = substitute(expr)
        selectors = re.findall(r"\bcollectd_p2pool_[a-z0-9_]+(?:\{[^}]*\})?", query)
        if not all(prometheus.query(selector) for selector in selectors):
            continue
        checked.append(title)
        if not prometheus.query(query):
            empty.append("%s: %s" % (title, query))
    assert empty == []
    assert len(checked) >= 22, checked


def test_dashboard_variables(fake_observer, collectd_factory, prometheus_factory):
    _, prometheus = start_pair(fake_observer, collectd_factory, prometheus_factory)
    variables = {var["name"]: var for var in dashboard()["templating"]["list"]}

    def values(name):
        match = re.fullmatch(r"label_values\((.*), (\w+)\)", variables[name]["definition"])
        return prometheus.label_values(match.group(2), substitute(match.group(1)))

    assert values("wallet") == ["rig1", "rig2"]
    assert values("observer") == ["mini"]
    prometheus.wait_for("collectd_p2pool_websocket_connected == 1")
    assert len(values("instance")) == 1
