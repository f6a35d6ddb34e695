"""Poll benchmark: collectd with the p2pool plugin, or with curl_json reading
the same endpoints, against the fake observer."""

import os
import time

import benchlib
import bodies

# Observer-level request: pool_info, once per cycle in both variants.
POOL_REQUESTS = 1
REQUESTS_PER_WALLET = 3

WALLET_ENDPOINTS = (
    ("/api/miner_info/%s?shareEstimates", (
        ("last_share_height", "last_share_height"),
        ("last_share_timestamp", "last_share_timestamp"),
        ("shares/1/shares", "shares"),
        ("shares/1/uncles", "uncles"))),
    # One value per row of the window, like a do-it-yourself setup that
    # graphs each share's difficulty.
    ("/api/side_blocks_in_window/%s?noMainStatus&noMiner", (
        ("*/difficulty", None),)),
    ("/api/payouts/%s?search_limit=0", (
        ("0/coinbase_reward", "last_payout"),
        ("0/timestamp", "last_payout_time"))),
)
POOL_KEYS = (
    ("sidechain/last_block/difficulty", "side_difficulty"),
    ("mainchain/difficulty", "main_difficulty"),
    ("sidechain/window/miners", "window_miners"),
    ("sidechain/window/weight", "window_weight"),
    ("sidechain/effort/current", "effort_current"),
    ("sidechain/effort/average", "effort_average"),
)


def wallet_name(index):
    return "w%05d" % index


def p2pool_config(url, wallets, interval, timeout, state_file):
    lines = ["LoadPlugin p2pool", "<Plugin p2pool>",
             '  StateFile "%s"' % state_file,
             '  <Observer "bench">',
             '    URL "%s"' % url,
             "    Interval %g" % interval,
             "    Timeout %g" % timeout,
             "  </Observer>"]
    for i in range(wallets):
        lines += ['  <Wallet "%s">' % wallet_name(i),
                  '    Address "%s"' % bodies.wallet_address(i),
                  '    Observer "bench"',
                  "  </Wallet>"]
    lines.append("</Plugin>")
    return "\n".join(lines)


def curl_json_block(url, instance, keys, timeout_ms):
    lines = ['  <URL "%s">' % url,
             '    Instance "%s"' % instance,
             "    Timeout %d" % timeout_ms]
    for path, key_instance in keys:
        lines += ['    <Key "%s">' % path, '      Type "gauge"']
        if key_instance is not None:
            lines.append('      Instance "%s"' % key_instance)
        lines.append("    </Key>")
    lines.append("  </URL>")
    return lines


def curl_json_config(url, wallets, timeout):
    timeout_ms = int(timeout * 1000)
    lines = ["LoadPlugin curl_json", "<Plugin curl_json>"]
    lines += curl_json_block(url + "/api/pool_info", "bench", POOL_KEYS,
                             timeout_ms)
    for i in range(wallets):
        address = bodies.wallet_address(i)
        for path, keys in WALLET_ENDPOINTS:
            lines += curl_json_block(url + path % address, wallet_name(i), keys,
                                     timeout_ms)
    lines.append("</Plugin>")
    return "\n".join(lines)


def run_baseline(paths, workdir, seconds):
    """Idle collectd with only logfile and unixsock: memory and CPU floor."""
    collectd = benchlib.Collectd(os.path.join(workdir, "collectd"),
                                 paths["plugin"], paths["types_db"], 5)
    collectd.start()
    try:
        time.sleep(1.0)
        cpu0 = benchlib.process_cpu(collectd.pid)
        time.sleep(seconds)
        cpu1 = benchlib.process_cpu(collectd.pid)
        memory = benchlib.memory_kib(collectd.pid)
    finally:
        collectd.stop()
    return {"cpu_per_s": (cpu1 - cpu0) / seconds, "vm_hwm_kib": memory["VmHWM"],
            "vm_rss_kib": memory["VmRSS"]}


def run_poll(variant, wallets, paths, workdir, interval, timeout, cycles,
             idle_cpu_per_s, cache=True):
    """Run collectd with variant and wallets wallets for warm-up cycles and
    then cycles measured cycles. Variants: "p2pool"; "p2pool_events", the
    plugin following an event stream that delivers an event a second, so
    that it polls wallets only once per ReconcileInterval; "curl_json".
    Without cache, values are dropped before collectd's value cache, which
    leaves the plugin's own memory."""
    server = benchlib.FakeObserver(paths["fake_observer"], paths["bodies"],
                                   os.path.join(workdir, "server"))
    server.start()
    per_cycle = POOL_REQUESTS + REQUESTS_PER_WALLET * wallets
    warm_up = 1
    collectd = benchlib.Collectd(os.path.join(workdir, "collectd"),
                                 paths["plugin"], paths["types_db"], interval)
    collectd.drop_before_cache = not cache
    feeder = None
    if variant in ("p2pool", "p2pool_events"):
        collectd.body = p2pool_config(
            server.url, wallets, interval, timeout,
            os.path.join(collectd.base_dir, "p2pool.state"))
    else:
        collectd.body = curl_json_config(server.url, wallets, timeout)
    if variant == "p2pool_events":
        import events_bench
        messages_path = os.path.join(workdir, "messages.jsonl")
        with open(messages_path, "w") as f:
            f.write("\n".join(bodies.event_messages(2000, wallets)) + "\n")
        feeder, ws_port, _ = events_bench.start_feeder(
            os.path.join(workdir, "feeder"), messages_path, "latency",
            100000, 1.0)
        collectd.body = collectd.body.replace(
            "    Interval %g\n" % interval,
            "    Interval %g\n    Events true\n"
            '    EventsURL "ws://127.0.0.1:%d/api/events"\n'
            % (interval, ws_port))
        # The poll at start and the one the stream's connection requests
        # read every wallet; after them only pool_info is due each cycle.
        per_cycle = POOL_REQUESTS
        warm_up = 2

    result = {"variant": variant, "wallets": wallets, "interval_s": interval,
              "timeout_s": timeout, "value_cache": cache}
    try:
        spawn = time.time()
        collectd.start(plugins=("p2pool" if feeder else variant,))
        gap = interval / 2.0
        start_route = None if variant == "curl_json" else "P"
        budget = interval + timeout + 60
        # Warm-up: the plugin reads each payout history in full.
        server.wait_for_cycles(warm_up, per_cycle, gap, budget * warm_up,
                               start_route)
        result["start_to_first_request_s"] = server.read_log()[0][0][0] - spawn
        benchlib.wait_settled(collectd.pid)
        t0 = time.time()
        cpu0 = benchlib.process_cpu(collectd.pid)
        server_cpu0 = server.cpu()
        threads0 = benchlib.thread_cpu(collectd.pid)

        server.wait_for_cycles(cycles, per_cycle, gap, budget * cycles,
                               start_route, after=t0)
        benchlib.wait_settled(collectd.pid)
        t1 = time.time()
        cpu1 = benchlib.process_cpu(collectd.pid)
        server_cpu1 = server.cpu()
        threads1 = benchlib.thread_cpu(collectd.pid)
        memory = benchlib.memory_kib(collectd.pid)
        stats = server.stats()
        values = collectd.list_values()
        latencies = (_plugin_latencies(collectd) if variant != "curl_json"
                     else {})
        result["stop_s"] = collectd.stop()
    finally:
        collectd.stop()
        server.stop()
        if feeder is not None:
            feeder.terminate()
            feeder.wait()

    requests, accepts = server.read_log()
    all_cycles = [benchlib.cycle_figures(c, accepts)
                  for c in benchlib.split_cycles(requests, gap, start_route)]
    measured = [c for c in all_cycles if t0 <= c["begin"] <= t1]
    if not measured:
        raise benchlib.BenchError("%s, %d wallets: no cycle between the two "
                                  "readings" % (variant, wallets))

    elapsed = t1 - t0
    cpu = (cpu1 - cpu0) - idle_cpu_per_s * elapsed
    last = measured[-1]
    own_values = [t for identifier, t in values.items()
                  if identifier.startswith("%s/%s-w" % (
                      benchlib.HOSTNAME, variant.split("_events")[0]))]
    dispatch_end = max((t for t in own_values if t >= last["begin"] - 1),
                       default=None)

    result.update({
        "cycles_measured": len(measured),
        "cycle_wall_s": [c["wall_s"] for c in measured],
        "cycle_wall_median_s": benchlib.median([c["wall_s"] for c in measured]),
        "last_cycle_wall_with_dispatch_s": (dispatch_end - last["begin"]
                                            if dispatch_end else None),
        "cpu_per_cycle_s": cpu / len(measured),
        "cpu_per_wallet_cycle_us": cpu / len(measured) / wallets * 1e6,
        "requests_per_cycle": [c["requests"] for c in measured],
        "requests_expected_per_cycle": per_cycle,
        "new_connections_per_cycle": [c["new_connections"] for c in measured],
        "connections_used_per_cycle": [c["connections_used"] for c in measured],
        "connections_open_max": stats["open_max"],
        "connections_accepted_total": stats["accepted"],
        "requests_by_route_last_cycle": last["routes"],
        "vm_hwm_kib": memory["VmHWM"],
        "vm_rss_kib": memory["VmRSS"],
        "values_in_cache": len(values),
        "wallet_values_in_cache": len(own_values),
        "server_cpu_per_cycle_s": (server_cpu1 - server_cpu0) / len(measured),
        "threads_cpu_s": thread_deltas(threads0, threads1, len(measured)),
        "plugin_latency_s": latencies,
        "collectd_errors": len(collectd.log_lines("[error]")),
        "collectd_warnings": len(collectd.log_lines("[warning]")),
    })
    return result


def _plugin_latencies(collectd):
    latencies = {}
    for endpoint in ("pool_info", "miner_info", "side_blocks_in_window",
                     "payouts"):
        identifier = "%s/p2pool-bench/latency_seconds-%s" % (
            benchlib.HOSTNAME, endpoint)
        try:
            latencies[endpoint] = collectd.get_value(identifier)
        except benchlib.BenchError:
            latencies[endpoint] = None
    return latencies


def thread_deltas(before, after, cycles):
    """CPU seconds per cycle by thread name, summed over threads of the same
    name."""
    totals = {}
    for tid, (name, seconds) in after.items():
        start = before.get(tid, (name, 0.0))[1]
        totals[name] = totals.get(name, 0.0) + (seconds - start) / cycles
    return {name: round(value, 6) for name, value in sorted(totals.items())
            if value > 0}
