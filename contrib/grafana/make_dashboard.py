#!/usr/bin/env python3
"""Write the Grafana dashboard of collectd-p2pool (p2pool-dashboard.json).

The dashboard reads Prometheus series as collectd's write_prometheus names
them: collectd_p2pool_<type>[_total]{p2pool="<wallet, observer or node>",
type="<type instance>", instance="<collectd host>"}. Edit the panel table
below and run this script; the JSON next to it is its output, and a test
checks that the two agree.

Usage: make_dashboard.py [OUTPUT]   (default: p2pool-dashboard.json here)
"""

import json
import os
import sys

DASHBOARD_UID = "collectd-p2pool"
OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "p2pool-dashboard.json")

# Label selectors of the template variables.
WALLET = 'p2pool=~"$wallet", instance=~"$instance"'
OBSERVER = 'p2pool=~"$observer", instance=~"$instance"'
NODE = 'p2pool=~"$node", instance=~"$instance"'
HOST = 'instance=~"$instance"'
ATOMIC_UNITS_PER_XMR = "1e12"


def target(expr, legend, ref):
    return {
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "expr": expr,
        "legendFormat": legend,
        "refId": ref,
    }


def panel(kind, title, description, targets, unit, width=8, height=8, **options):
    """Describe one panel: kind is timeseries, stat or table; targets a list
    of (expr, legend)."""
    return {
        "kind": kind,
        "title": title,
        "description": description,
        "targets": targets,
        "unit": unit,
        "width": width,
        "height": height,
        "options": options,
    }


ROWS = [
    ("Wallets", [
        panel("timeseries", "Wallet hashrate",
              "Estimated from the wallet's weight in the PPLNS window, divided by the "
              "window's duration, as P2Pool weighs shares (uncle penalty, includer bonus).",
              [("collectd_p2pool_hashrate{type=\"window\", %s}" % WALLET, "{{p2pool}}"),
               ("collectd_p2pool_hashrate{type=~\"raffle_.*\", %s}" % WALLET,
                "{{p2pool}} {{type}}")],
              "si:H/s", width=12),
        panel("timeseries", "Shares in the PPLNS window",
              "Shares and uncles of each wallet in the current PPLNS window.",
              [("collectd_p2pool_window_shares{%s}" % WALLET, "{{p2pool}} shares"),
               ("collectd_p2pool_window_uncles{%s}" % WALLET, "{{p2pool}} uncles")],
              "short", width=6),
        panel("timeseries", "Share of the window",
              "Fraction of the PPLNS window's weight that belongs to the wallet: its "
              "part of the next block reward.",
              [("collectd_p2pool_share_fraction{%s}" % WALLET, "{{p2pool}}")],
              "percentunit", width=6),
        panel("stat", "Time since the last share",
              "Age of the wallet's newest share on the side chain. Compare it with the "
              "expected time between shares next to it.",
              [("collectd_p2pool_age_seconds{type=\"last_share\", %s}" % WALLET, "{{p2pool}}")],
              "s", width=6),
        panel("stat", "Expected time between shares",
              "Side chain difficulty divided by the wallet's hashrate.",
              [("collectd_p2pool_share_interval_seconds{type=\"expected\", %s}" % WALLET,
                "{{p2pool}}")],
              "s", width=6),
        panel("timeseries", "Share drought ratio",
              "Time since the last share divided by the expected time between shares. "
              "The alert P2PoolShareDrought fires above 6.",
              [("collectd_p2pool_age_seconds{type=\"last_share\", %s}"
                " / on(instance, p2pool) collectd_p2pool_share_interval_seconds{type=\"expected\", %s}"
                % (WALLET, WALLET), "{{p2pool}}")],
              "short", width=12, thresholds=[6]),
        panel("stat", "Payouts in range (XMR)",
              "Sum of the payouts received during the dashboard's time range.",
              [("sum(increase(collectd_p2pool_payout_atomic_units_total{%s}[$__range])) / %s"
                % (WALLET, ATOMIC_UNITS_PER_XMR), "XMR")],
              "none", width=6, decimals=6),
        panel("stat", "Payouts received (lifetime)",
              "Lifetime payout count and amount (XMR) per wallet; the whole history is "
              "read once at the first start.",
              [("collectd_p2pool_payouts_total{%s}" % WALLET, "{{p2pool}} payouts"),
               ("collectd_p2pool_payout_atomic_units_total{%s} / %s"
                % (WALLET, ATOMIC_UNITS_PER_XMR), "{{p2pool}} XMR")],
              "none", width=6, decimals=6),
        panel("timeseries", "Payout value",
              "Lifetime payouts in the chosen currency at the current price.",
              [("collectd_p2pool_payout_atomic_units_total{%s} / %s"
                " * scalar(max(collectd_p2pool_price{type=\"$currency\", %s}))"
                % (WALLET, ATOMIC_UNITS_PER_XMR, HOST), "{{p2pool}}")],
              "none", width=6, decimals=2),
        panel("table", "Last payout",
              "Amount (XMR) and time of each wallet's newest payout.",
              [("collectd_p2pool_last_payout_atomic_units{%s} / %s"
                % (WALLET, ATOMIC_UNITS_PER_XMR), "{{p2pool}} amount"),
               ("collectd_p2pool_timestamp_seconds{type=\"last_payout\", %s} * 1000"
                % WALLET, "{{p2pool}} time")],
              "none", width=6),
    ]),
    ("Pool", [
        panel("timeseries", "Pool hashrate",
              "Side chain difficulty divided by its block time, per observer.",
              [("collectd_p2pool_hashrate{type=\"pool\", %s}" % OBSERVER, "{{p2pool}}")],
              "si:H/s"),
        panel("timeseries", "Difficulty",
              "Monero (main) and side chain difficulty.",
              [("collectd_p2pool_difficulty{%s}" % OBSERVER, "{{p2pool}} {{type}}")],
              "short"),
        panel("timeseries", "Miners",
              "Miners with a share in the PPLNS window, and all miners the observer "
              "has seen.",
              [("collectd_p2pool_miners{%s}" % OBSERVER, "{{p2pool}} {{type}}")],
              "short"),
        panel("timeseries", "Effort",
              "Current effort of the pool's round and its averages, in percent.",
              [("collectd_p2pool_effort_percent{%s}" % OBSERVER, "{{p2pool}} {{type}}")],
              "percent", width=12),
        panel("stat", "Blocks found in range",
              "Monero blocks the pool found during the time range, from the event "
              "stream.",
              [("sum by (p2pool) (increase(collectd_p2pool_blocks_total{type=\"found\", %s}"
                "[$__range]))" % OBSERVER, "{{p2pool}}")],
              "none", width=6, decimals=0),
        panel("stat", "Orphaned blocks in range",
              "Found blocks orphaned on Monero during the time range.",
              [("sum by (p2pool) (increase(collectd_p2pool_blocks_total{type=\"orphaned\", %s}"
                "[$__range]))" % OBSERVER, "{{p2pool}}")],
              "none", width=6, decimals=0),
        panel("timeseries", "Side blocks per minute",
              "Side chain blocks seen on the event stream.",
              [("rate(collectd_p2pool_blocks_total{type=\"side\", %s}[$__rate_interval]) * 60"
                % OBSERVER, "{{p2pool}}")],
              "short", width=12),
        panel("timeseries", "Time since the last block",
              "Seconds since the side chain's last block (pool_info) and since the last "
              "event on the stream.",
              [("collectd_p2pool_age_seconds{type=~\"last_block|last_event\", %s}" % OBSERVER,
                "{{p2pool}} {{type}}")],
              "s", width=12),
    ]),
    ("Plugin health", [
        panel("stat", "Event stream",
              "1 while the websocket to the observer's /api/events is connected.",
              [("collectd_p2pool_websocket_connected{%s}" % OBSERVER, "{{p2pool}}")],
              "none", width=6, mappings={"0": "down", "1": "up"}),
        panel("timeseries", "Event stream reconnects",
              "Reconnects and handshakes blocked by a bot filter, per hour.",
              [("increase(collectd_p2pool_websocket_reconnects_total{%s}[1h])" % OBSERVER,
                "{{p2pool}} reconnects"),
               ("increase(collectd_p2pool_websocket_blocked_total{%s}[1h])" % OBSERVER,
                "{{p2pool}} blocked")],
              "short", width=6),
        panel("timeseries", "Requests by endpoint and outcome",
              "Requests per minute of each source, labelled <endpoint>-<outcome>: ok, "
              "not_found, http_error, bad_body, timeout, blocked, unreachable.",
              [("sum by (p2pool, type) (rate(collectd_p2pool_api_requests_total{%s}"
                "[$__rate_interval])) * 60 > 0" % HOST, "{{p2pool}} {{type}}")],
              "short", width=12),
        panel("timeseries", "Request latency",
              "Duration of each endpoint's last request.",
              [("collectd_p2pool_latency_seconds{%s}" % HOST, "{{p2pool}} {{type}}")],
              "s", width=12),
        panel("timeseries", "Events received",
              "Events per minute on each observer's stream, by event type.",
              [("rate(collectd_p2pool_events_total{%s}[$__rate_interval]) * 60" % OBSERVER,
                "{{p2pool}} {{type}}")],
              "short", width=12),
    ]),
    ("Node", [
        panel("timeseries", "Stratum hashrate",
              "Hashrate of the miners connected to the node, over 15 min, 1 h and 24 h.",
              [("collectd_p2pool_hashrate{type=~\"stratum_.*|miner\", %s}" % NODE,
                "{{p2pool}} {{type}}")],
              "si:H/s", width=12),
        panel("timeseries", "Side chain shares",
              "Shares found and failed by the node, per hour.",
              [("increase(collectd_p2pool_sidechain_shares_total{%s}[1h])" % NODE,
                "{{p2pool}} {{type}}")],
              "short", width=6),
        panel("timeseries", "Share effort",
              "Current and average effort of the node's shares, in percent.",
              [("collectd_p2pool_share_effort_percent{%s}" % NODE, "{{p2pool}} {{type}}")],
              "percent", width=6),
        panel("timeseries", "Connections",
              "Stratum clients, workers, P2P connections and the peer list.",
              [("collectd_p2pool_stratum_connections{%s}" % NODE, "{{p2pool}} stratum {{type}}"),
               ("collectd_p2pool_stratum_workers{%s}" % NODE, "{{p2pool}} workers"),
               ("collectd_p2pool_p2p_connections{%s}" % NODE, "{{p2pool}} p2p {{type}}"),
               ("collectd_p2pool_peer_list_size{%s}" % NODE, "{{p2pool}} peer list")],
              "short", width=12),
        panel("timeseries", "Data API freshness",
              "Seconds since each data API file last changed, and since monerod's last "
              "ZMQ message.",
              [("collectd_p2pool_data_age_seconds{%s}" % NODE, "{{p2pool}} {{type}}"),
               ("collectd_p2pool_age_seconds{type=\"last_zmq_message\", %s}" % NODE,
                "{{p2pool}} zmq")],
              "s", width=12),
        panel("stat", "Node uptime",
              "Seconds since P2Pool started.",
              [("collectd_p2pool_uptime_seconds{%s}" % NODE, "{{p2pool}}")],
              "s", width=6),
        panel("stat", "Block reward share",
              "The node's wallet's part of the current block template's reward.",
              [("collectd_p2pool_reward_share_percent{%s}" % NODE, "{{p2pool}}")],
              "percent", width=6, decimals=3),
    ]),
    ("Price", [
        panel("timeseries", "XMR price",
              "Exchange rate of XMR in each configured currency.",
              [("collectd_p2pool_price{%s}" % HOST, "{{type}}")],
              "none", width=24, height=6, decimals=2),
    ]),
]


def variable(name, label, query, include_all=True):
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "definition": query,
        "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "refresh": 2,
        "includeAll": include_all,
        "multi": include_all,
        "allValue": ".*" if include_all else None,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]} if include_all else {},
        "sort": 1,
    }


def templating():
    return {"list": [
        {
            "name": "datasource",
            "label": "Prometheus",
            "type": "datasource",
            "query": "prometheus",
            "current": {},
            "refresh": 1,
        },
        variable("instance", "collectd host",
                 "label_values(collectd_p2pool_api_requests_total, instance)"),
        variable("wallet", "Wallet",
                 'label_values(collectd_p2pool_hashrate{type="window", instance=~"$instance"}, p2pool)'),
        variable("observer", "Observer",
                 'label_values(collectd_p2pool_miners{type="window", instance=~"$instance"}, p2pool)'),
        variable("node", "Node",
                 'label_values(collectd_p2pool_data_age_seconds{instance=~"$instance"}, p2pool)'),
        variable("currency", "Currency",
                 'label_values(collectd_p2pool_price{instance=~"$instance"}, type)',
                 include_all=False),
    ]}


def field_config(spec):
    options = spec["options"]
    defaults = {"unit": spec["unit"]}
    if "decimals" in options:
        defaults["decimals"] = options["decimals"]
    if "thresholds" in options:
        steps = [{"color": "green", "value": None}]
        steps += [{"color": "red", "value": value} for value in options["thresholds"]]
        defaults["thresholds"] = {"mode": "absolute", "steps": steps}
    if "mappings" in options:
        defaults["mappings"] = [{
            "type": "value",
            "options": {key: {"text": text, "index": index}
                        for index, (key, text) in enumerate(options["mappings"].items())},
        }]
    return {"defaults": defaults, "overrides": []}


def panel_json(spec, panel_id, x, y):
    refs = "ABCDEFGHIJ"
    result = {
        "id": panel_id,
        "type": spec["kind"],
        "title": spec["title"],
        "description": spec["description"],
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": x, "y": y, "w": spec["width"], "h": spec["height"]},
        "targets": [target(expr, legend, refs[i])
                    for i, (expr, legend) in enumerate(spec["targets"])],
        "fieldConfig": field_config(spec),
    }
    if spec["kind"] == "stat":
        result["options"] = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "none",
            "textMode": "value_and_name",
        }
    elif spec["kind"] == "table":
        for item in result["targets"]:
            item["instant"] = True
            item["format"] = "table"
    return result


def layout():
    """Place rows and panels on Grafana's 24-column grid."""
    panels = []
    panel_id = 1
    y = 0
    for row_title, specs in ROWS:
        panels.append({"id": panel_id, "type": "row", "title": row_title, "collapsed": False,
                       "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "panels": []})
        panel_id += 1
        y += 1
        x = 0
        row_height = 0
        for spec in specs:
            if x + spec["width"] > 24:
                x = 0
                y += row_height
                row_height = 0
            panels.append(panel_json(spec, panel_id, x, y))
            panel_id += 1
            x += spec["width"]
            row_height = max(row_height, spec["height"])
        y += row_height
    return panels


def dashboard():
    return {
        "uid": DASHBOARD_UID,
        "title": "P2Pool (collectd)",
        "description": "Monero P2Pool wallets, pool, node and price figures from the "
                       "collectd p2pool plugin, through write_prometheus.",
        "tags": ["p2pool", "monero", "collectd"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "1m",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-24h", "to": "now"},
        "templating": templating(),
        "annotations": {"list": [{
            "name": "Blocks found",
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "enable": True,
            "iconColor": "green",
            "expr": 'increase(collectd_p2pool_blocks_total{type="found", %s}[2m]) > 0' % OBSERVER,
            "step": "1m",
            "titleFormat": "Block found ({{p2pool}})",
        }]},
        "panels": layout(),
    }


def render():
    return json.dumps(dashboard(), indent=2, sort_keys=True) + "\n"


def main(argv):
    path = argv[1] if len(argv) > 1 else OUTPUT
    with open(path, "w", encoding="utf-8") as f:
        f.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
