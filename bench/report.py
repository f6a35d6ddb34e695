"""Markdown report of a benchmark run (the JSON that bench/run writes)."""

# Targets the plugin is measured against.
TARGET_WALL_1000_S = 1.0
TARGET_WALL_10000_S = 60.0
TARGET_CONNECTIONS = 32
TARGET_EXTRA_RSS_MIB = 10.0
TARGET_CPU_RATIO = 0.2
TARGET_EVENTS_PER_S = 100000
TARGET_CPU_US_PER_EVENT = 10.0
TARGET_LATENCY_MS = 1.0
TARGET_REQUESTS_PER_WALLET_HOUR = 6.0
# The plugin's default observer Interval, used to project requests per hour.
DEFAULT_INTERVAL_S = 60.0


def fmt(value, digits=3):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return "%.*g" % (digits, value)
    return str(value)


def mib(kib):
    return kib / 1024.0


def poll_rows(results):
    return {(r["variant"], r["wallets"]): r for r in results.get("poll", [])}


def complete(r):
    """Tells whether every measured cycle made all its requests."""
    return all(n >= r["requests_expected_per_cycle"]
               for n in r["requests_per_cycle"])


def markdown(results):
    out = []
    machine = results["machine"]
    out += ["# Benchmark run %s" % results["date"], "",
            "- command: `%s`" % results["command"],
            "- tree: %s" % results["git"],
            "- machine: %d CPUs (%s), %d MiB memory, kernel %s, load "
            "average at start %s" % (
                machine["nproc"], machine["cpu_model"], machine["memory_mib"],
                machine["kernel"], machine.get("loadavg", "n/a")),
            "- duration: %s s" % results.get("duration_s"),
            "- bodies served (bytes): %s" % ", ".join(
                "%s %d" % item for item in
                results.get("body_sizes_bytes", {}).items()),
            ""]
    for failure in results.get("failed", []):
        out += ["**Failed part**: %s" % failure, ""]
    out += poll_section(results)
    out += server_section(results)
    out += events_section(results)
    out += store_section(results)
    out += targets_section(results)
    return "\n".join(out) + "\n"


def poll_section(results):
    baseline = results.get("baseline", {})
    base_kib = baseline.get("vm_hwm_kib", 0)
    out = ["## Polling", "",
           "Idle collectd (logfile, unixsock): VmHWM %.1f MiB, %s CPU s/s."
           % (mib(base_kib), fmt(baseline.get("cpu_per_s"))), "",
           "| wallets | variant | interval s | cycle wall s (median/max) | "
           "wall with dispatch s (last cycle) | CPU ms/cycle | CPU us/wallet/cycle | "
           "requests/cycle | new TCP/cycle | connections used | VmHWM MiB | "
           "extra MiB | values cached | errors/warnings logged |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results.get("poll", []):
        out.append("| %d | %s | %g | %s/%s | %s | %.1f | %.0f | %s | %s | %s | "
                   "%.1f | %.1f | %d | %s |" % (
                       r["wallets"], r["variant"], r["interval_s"],
                       fmt(r["cycle_wall_median_s"]),
                       fmt(max(r["cycle_wall_s"])),
                       fmt(r["last_cycle_wall_with_dispatch_s"]),
                       r["cpu_per_cycle_s"] * 1e3,
                       r["cpu_per_wallet_cycle_us"],
                       "/".join(str(x) for x in r["requests_per_cycle"]),
                       "/".join(str(x) for x in
                                r["new_connections_per_cycle"]),
                       max(r["connections_used_per_cycle"]),
                       mib(r["vm_hwm_kib"]),
                       mib(r["vm_hwm_kib"] - base_kib),
                       r["values_in_cache"], "%d/%d" % (
                           r["collectd_errors"],
                           r.get("collectd_warnings", 0))))
    out.append("")

    rows = poll_rows(results)
    ratios = []
    for (variant, wallets), r in sorted(rows.items(), key=lambda x: x[0][1]):
        other = rows.get(("curl_json", wallets))
        if variant != "curl_json" and other is not None:
            ratios.append("| %d | %s | %.0f | %.0f | %.2f | %s |" % (
                wallets, variant, r["cpu_per_wallet_cycle_us"],
                other["cpu_per_wallet_cycle_us"],
                r["cpu_per_wallet_cycle_us"]
                / other["cpu_per_wallet_cycle_us"],
                "yes" if complete(r) and complete(other) else
                "**no**: requests timed out, the ratio is not comparable"))
    if ratios:
        out += ["CPU per wallet per cycle, same responses:", "",
                "| wallets | variant | variant us | curl_json us | ratio | "
                "every request made |",
                "|---|---|---|---|---|---|"] + ratios + [""]

    split = results.get("memory_split")
    small = rows.get(("p2pool", 1))
    full = rows.get(("p2pool", split["wallets"])) if split else None
    if split and small and full:
        wallets = split["wallets"]
        cache_kib = (full["vm_hwm_kib"] - split["vm_hwm_kib"]) / wallets
        plugin_kib = ((split["vm_hwm_kib"] - small["vm_hwm_kib"])
                      / (wallets - 1))
        out += ["Memory split at %d wallets: VmHWM %.1f MiB with collectd's "
                "value cache, %.1f MiB when values are dropped before it. Per "
                "wallet: %.1f KiB in the value cache (%d values), %.1f KiB "
                "in the plugin and the libraries it uses; fixed cost with "
                "one wallet %.1f MiB over idle collectd." % (
                    wallets, mib(full["vm_hwm_kib"]),
                    mib(split["vm_hwm_kib"]), cache_kib,
                    full["wallet_values_in_cache"] // wallets, plugin_kib,
                    mib(small["vm_hwm_kib"] - base_kib)), ""]

    out += ["Per-thread CPU per cycle (ms) and the plugin's own last request "
            "latencies:", ""]
    for r in results.get("poll", []):
        threads = ", ".join("%s %.2f" % (name, seconds * 1e3)
                            for name, seconds in r["threads_cpu_s"].items()
                            if seconds * 1e3 >= 0.05)
        latency = ", ".join("%s %s ms" % (k, fmt(v * 1e3 if v else None))
                            for k, v in r["plugin_latency_s"].items())
        out.append("- %s, %d wallets: %s%s; start to first request %.2f s, "
                   "stop %.2f s" % (
                       r["variant"], r["wallets"], threads,
                       "; latency " + latency if latency else "",
                       r["start_to_first_request_s"], r["stop_s"]))
    out.append("")
    return out


def server_section(results):
    limit = results.get("server_limit")
    if not limit:
        return []
    out = ["## Fake observer", ""]
    if "skipped" in limit:
        return out + ["Not measured: %s." % limit["skipped"], ""]
    for name, figures in limit.items():
        out.append("- %s: %s requests/s with wrk (1 thread, 32 connections), "
                   "%s us server CPU per request" % (
                       name, fmt(figures["requests_per_s"]),
                       fmt(figures["server_cpu_per_request_us"])))
    server_cpu = ["%s %d wallets %.1f ms" % (r["variant"], r["wallets"],
                                             r["server_cpu_per_cycle_s"] * 1e3)
                  for r in results.get("poll", [])]
    out += ["- server CPU per poll cycle: " + ", ".join(server_cpu), ""]
    return out


def events_section(results):
    events = results.get("events")
    if not events:
        return []
    out = ["## Events", "",
           "Mix: %s; %d distinct messages, %d bytes on average." % (
               events["message_mix"], events["messages_distinct"],
               events["mean_message_bytes"]), "",
           "| stage (one thread, no collectd) | messages/CPU s | CPU us/message "
           "| side_block us | found_block us | orphaned_block us |",
           "|---|---|---|---|---|---|"]
    for r in events["in_process"]:
        by_type = r["by_type"]
        out.append("| %s | %s | %.2f | %s | %s | %s |" % (
            r["stage"], fmt(r["messages_per_cpu_s"], 4),
            r["cpu_us_per_message"],
            fmt(by_type.get("side_block", {}).get("cpu_us_per_message")),
            fmt(by_type.get("found_block", {}).get("cpu_us_per_message")),
            fmt(by_type.get("orphaned_block", {}).get("cpu_us_per_message"))))
    out.append("")
    e2e = events.get("end_to_end", {})
    if "not_measured" in e2e:
        out += ["End to end over a loopback websocket: **not yet measured** "
                "(%s)." % e2e["not_measured"], ""]
        return out
    latency = e2e.get("latency", {})
    burst = e2e.get("burst", {})
    out += ["End to end (collectd, loopback websocket):", "",
            "- arrival to dispatch: median %s ms, p90 %s ms, max %s ms over "
            "%s events sent %s s apart (%s without a dispatch before the "
            "next event)" % (
                fmt(latency.get("latency_median_ms")),
                fmt(latency.get("latency_p90_ms")),
                fmt(latency.get("latency_max_ms")),
                latency.get("events_sent"), latency.get("spacing_s"),
                latency.get("events_without_dispatch_before_next")),
            "- CPU per event when each event is dispatched on its own (the "
            "latency run), by thread: %s us (writer threads include the "
            "network plugin that carries the timestamps); %s values of the "
            "observer per dispatch (median)" % (", ".join(
                "%s %s" % item for item in
                latency.get("threads_cpu_us_per_event", {}).items()),
                fmt(latency.get("observer_values_per_dispatch_median"))),
            "- burst of %s events: collectd CPU %s us per event (%s events "
            "per CPU s); the feeder sent %s events/s; by thread (ms): %s" % (
                burst.get("events_sent"), fmt(burst.get("cpu_us_per_event")),
                fmt(burst.get("events_per_cpu_s"), 4),
                fmt(burst.get("feeder_rate_per_s"), 4),
                ", ".join("%s %.1f" % (name, seconds * 1e3) for name, seconds
                          in burst.get("threads_cpu_s", {}).items())),
            ""]
    steady = e2e.get("steady_requests")
    if steady:
        out += ["REST requests while the stream delivers an event a second "
                "(%d wallets, Interval %g s, ReconcileInterval %g s, %.0f s "
                "measured): %d polls, %d of them reconcile polls every %s s "
                "with %.1f requests per wallet; %.0f wallet requests per "
                "wallet per hour at these settings, %.1f projected for the "
                "defaults (Interval 60 s, ReconcileInterval 1800 s, a "
                "reconcile every %d s). pool_info is requested once per "
                "Interval per observer on top." % (
                    steady["wallets"], steady["interval_s"],
                    steady["reconcile_interval_s"], steady["window_s"],
                    steady["polls"], steady["reconcile_polls"],
                    fmt(steady["reconcile_period_s"]),
                    steady["wallet_requests_per_wallet_per_reconcile_poll"],
                    steady["wallet_requests_per_wallet_hour"],
                    steady["projected_per_wallet_hour_at_default"],
                    steady["default_reconcile_period_s"]), ""]
    return out


def store_section(results):
    store = results.get("store")
    if not store:
        return []
    out = ["## State save", ""]
    if "not_measured" in store:
        return out + ["**Not yet measured**: %s." % store["not_measured"], ""]
    out += ["One save through the store backend, outside collectd (%s file "
            "system for the state file; Redis on 127.0.0.1 without "
            "persistence). A save after one wallet changed, the first save "
            "(every entry), and a refresh: Redis rewrites every entry, the "
            "file backend encodes the document and skips the write because "
            "nothing changed:"
            % store["filesystem"], "",
            "| backend | wallets | save wall ms | save CPU ms | first save "
            "wall ms | refresh wall ms | file bytes | failed saves |",
            "|---|---|---|---|---|---|---|---|"]
    for row in store["saves"]:
        out.append("| %s | %d | %.2f | %.2f | %.2f | %.2f | %s | %d |" % (
            row["backend"], row["wallets"], row["save_wall_ms"],
            row["save_cpu_ms"], row["first_save_wall_ms"],
            row["refresh_wall_ms"], fmt(row.get("file_bytes")),
            row["failed_saves"]))
    logs = ["- %s, %d wallets: `%s`" % (row["backend"], row["wallets"],
                                        row["log"])
            for row in store["saves"] if "log" in row]
    if logs:
        out += ["", "Logged by the backend:", ""] + logs
    if "redis" in store:
        out += ["", "Redis: %s." % store["redis"]]
    out.append("")
    return out


def targets_section(results):
    rows = poll_rows(results)
    out = ["## Targets", "", "| target | measured | met |", "|---|---|---|"]

    def line(target, measured, met):
        out.append("| %s | %s | %s |" % (
            target, measured, "n/a" if met is None else
            ("yes" if met else "**no**")))

    r = rows.get(("p2pool", 1000))
    if r:
        wall = max(r["cycle_wall_s"])
        line("1,000 wallets polled in < 1 s wall", "slowest cycle %.2f s%s" % (
            wall, "" if complete(r) else ", requests timed out"),
            wall < TARGET_WALL_1000_S and complete(r))
    r = rows.get(("p2pool", 10000))
    if r:
        wall = max(r["cycle_wall_s"])
        line("10,000 wallets within one 60 s interval",
             "slowest cycle %.1f s%s" % (
            wall, "" if complete(r) else ", requests timed out"),
            wall < TARGET_WALL_10000_S and complete(r))
    polls = [r for r in results.get("poll", []) if r["variant"] != "curl_json"]
    if polls:
        highest = max(max(r["connections_used_per_cycle"]) for r in polls)
        line("at most %d connections to the observer" % TARGET_CONNECTIONS,
             "%d" % highest, highest <= TARGET_CONNECTIONS)
    r = rows.get(("p2pool", 10000))
    base = results.get("baseline", {}).get("vm_hwm_kib")
    if r and base:
        extra = mib(r["vm_hwm_kib"] - base)
        line("< %g MiB extra RSS at 10,000 wallets" % TARGET_EXTRA_RSS_MIB,
             "%.1f MiB" % extra, extra < TARGET_EXTRA_RSS_MIB)
    for (variant, wallets), r in sorted(rows.items(), key=lambda x: x[0][1]):
        other = rows.get(("curl_json", wallets))
        if variant != "curl_json" and other is not None and wallets >= 100:
            ratio = (r["cpu_per_wallet_cycle_us"]
                     / other["cpu_per_wallet_cycle_us"])
            valid = complete(r) and complete(other)
            line("CPU/wallet/cycle <= %g x curl_json (%d wallets, %s)"
                 % (TARGET_CPU_RATIO, wallets, variant), "%.2f x%s" % (
                     ratio, "" if valid else ", not comparable: requests "
                     "timed out"), ratio <= TARGET_CPU_RATIO and valid)
    events = results.get("events", {})
    stages = events.get("in_process", [])
    burst = events.get("end_to_end", {}).get("burst")
    if burst:
        rate = burst["events_per_cpu_s"]
        line(">= %d events/s on one core (parse + state + dispatch)"
             % TARGET_EVENTS_PER_S, "%s events per CPU s end to end (burst)"
             % fmt(rate, 4), rate >= TARGET_EVENTS_PER_S)
        us = burst["cpu_us_per_event"]
        line("<= %g us CPU per event" % TARGET_CPU_US_PER_EVENT,
             "%.1f us end to end (burst)" % us, us <= TARGET_CPU_US_PER_EVENT)
    if stages:
        last = stages[-1]
        line("(in process, no collectd: %s)" % last["stage"],
             "%s messages per CPU s, %.1f us each" % (
                 fmt(last["messages_per_cpu_s"], 4),
                 last["cpu_us_per_message"]), None)
    latency = events.get("end_to_end", {}).get("latency")
    if latency:
        median = latency.get("latency_median_ms")
        line("median arrival-to-dispatch < %g ms" % TARGET_LATENCY_MS,
             fmt(median) + " ms", median is not None
             and median < TARGET_LATENCY_MS)
    steady = events.get("end_to_end", {}).get("steady_requests")
    if steady:
        projected = steady["projected_per_wallet_hour_at_default"]
        line("<= %g requests/wallet/hour while the stream is healthy"
             % TARGET_REQUESTS_PER_WALLET_HOUR,
             "%.1f/h projected for the defaults" % projected,
             projected <= TARGET_REQUESTS_PER_WALLET_HOUR + 1e-9)
    r = rows.get(("p2pool", 1000)) or (polls[-1] if polls else None)
    if r:
        per_cycle = (r["requests_expected_per_cycle"] - 1) / r["wallets"]
        line("(requests/wallet/hour without the stream)",
             "%.0f/h at Interval %g s" % (
                 per_cycle * 3600.0 / DEFAULT_INTERVAL_S,
                 DEFAULT_INTERVAL_S), None)
    out.append("")
    return out
