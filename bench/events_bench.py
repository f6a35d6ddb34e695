"""Event benchmark: CPU per message in the plugin's event code (event_bench.c)
and, when the tree has the event stream client, end to end through collectd
over a loopback websocket (ws_feeder.py)."""

import json
import os
import subprocess
import sys
import time

import benchlib
import bodies
import polling

MESSAGES = 2000        # distinct messages, more than the recent-block memory
WATCHED_WALLETS = 100  # wallets the in-process observer watches
TARGET_CPU_S = 2.0     # rough CPU time of the in-process run
E2E_WALLETS = 10
LATENCY_EVENTS = 200
LATENCY_SPACING_S = 0.02
BURST_EVENTS = 20000
# Steady-state request rate with a healthy stream: short intervals so that
# several reconcile periods fit in the run.
STEADY_INTERVAL_S = 2
STEADY_RECONCILE_S = 12
STEADY_EVENTS = 40
STEADY_EVENT_SPACING_S = 1.0
STEADY_SKIP_S = 5.0
DEFAULT_RECONCILE_S = 1800
DEFAULT_INTERVAL_S = 60
# Debian's interpreter, which has python3-websockets.
FEEDER_PYTHON = ("/usr/bin/python3" if os.path.exists("/usr/bin/python3")
                 else sys.executable)


def run(paths, workdir, repo_root):
    events_dir = os.path.join(workdir, "events")
    os.makedirs(events_dir, exist_ok=True)
    messages_path = os.path.join(events_dir, "messages.jsonl")
    addresses_path = os.path.join(events_dir, "addresses")
    with open(messages_path, "w") as f:
        f.write("\n".join(bodies.event_messages(MESSAGES, WATCHED_WALLETS)))
        f.write("\n")
    with open(addresses_path, "w") as f:
        f.write("\n".join(bodies.wallet_address(i)
                          for i in range(WATCHED_WALLETS)) + "\n")

    result = {"message_mix": "per 200: 186 side_block (1 in 10 with an "
                             "uncle), 10 uncle side_block, 2 found_block "
                             "with 61 coinbase outputs, 2 orphaned_block",
              "messages_distinct": MESSAGES,
              "mean_message_bytes": round(
                  os.path.getsize(messages_path) / MESSAGES)}
    result["in_process"] = []
    for stage in available_stages(paths, repo_root):
        binary = build_event_bench(paths, repo_root, events_dir, stage)
        result["in_process"].append(
            run_event_bench(binary, messages_path, addresses_path))

    result["end_to_end"] = end_to_end(paths, workdir, messages_path,
                                      repo_root)
    return result


def available_stages(paths, repo_root):
    """Return the in-process stages this tree supports, cheapest first."""
    src = os.path.join(repo_root, "src")
    stages = ["json_parse"]
    if os.path.exists(os.path.join(src, "event_parse.c")):
        stages.append("event_parse")
        if os.path.exists(os.path.join(src, "events_state.c")) and \
                os.path.exists(os.path.join(src, "events_index.c")):
            stages.append("events_apply")
    return stages


def core_symbols(core_lib):
    output = subprocess.run(["nm", "--defined-only", core_lib],
                            capture_output=True, text=True).stdout
    return {line.split()[-1] for line in output.splitlines()
            if len(line.split()) == 3}


def collectd_cppflags(build_dir):
    with open(os.path.join(build_dir, "Makefile")) as f:
        for line in f:
            if line.startswith("COLLECTD_CPPFLAGS ="):
                return line.split("=", 1)[1].split()
    return []


def build_event_bench(paths, repo_root, workdir, stage):
    src = os.path.join(repo_root, "src")
    defined = core_symbols(paths["core_lib"])
    sources = [os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "event_bench.c")]
    flags = ["-O2", "-std=c11", "-D_GNU_SOURCE", "-I" + src,
             "-I" + os.path.join(paths["build_dir"], "src")]
    if stage in ("event_parse", "events_apply"):
        flags.append("-DHAVE_EVENT_PARSE")
        if "p2pool_event_parse" not in defined:
            sources.append(os.path.join(src, "event_parse.c"))
    if stage == "events_apply":
        flags.append("-DHAVE_EVENTS_STATE")
        flags += collectd_cppflags(paths["build_dir"])
        if "p2pool_events_apply" not in defined:
            sources.append(os.path.join(src, "events_state.c"))
        if "p2pool_address_index_build" not in defined:
            sources.append(os.path.join(src, "events_index.c"))
    pkg = subprocess.run(["pkg-config", "--cflags", "--libs", "json-c",
                          "libcurl"], capture_output=True, text=True,
                         check=True).stdout.split()
    binary = os.path.join(workdir, "event_bench_" + stage)
    command = (["cc"] + flags + ["-o", binary] + sources
               + [paths["core_lib"]] + pkg + ["-lpthread", "-lm"])
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise benchlib.BenchError("building event_bench (%s) failed:\n%s"
                                  % (stage, result.stderr))
    return binary


def run_event_bench(binary, messages_path, addresses_path):
    probe = json.loads(subprocess.run(
        [binary, messages_path, "1", str(WATCHED_WALLETS), addresses_path],
        capture_output=True, text=True, check=True).stdout)
    rounds = max(1, int(TARGET_CPU_S / max(probe["cpu_s"], 1e-6)))
    output = subprocess.run(
        [binary, messages_path, str(rounds), str(WATCHED_WALLETS),
         addresses_path], capture_output=True, text=True, check=True).stdout
    result = json.loads(output)
    result["rounds"] = rounds
    return result


# End to end ----------------------------------------------------------------

def end_to_end(paths, workdir, messages_path, repo_root):
    """Latency from a message's send to its dispatch, and collectd CPU per
    message, with the plugin following a loopback websocket."""
    with open(os.path.join(repo_root, "src", "events.c")) as f:
        if "placeholder" in f.read().split("*/", 1)[0]:
            return {"not_measured": "src/events.c is still a placeholder "
                                    "without a websocket client"}
    result = {}
    try:
        result["latency"] = e2e_run(paths, os.path.join(workdir, "e2e-latency"),
                                    messages_path, "latency", LATENCY_EVENTS)
        result["burst"] = e2e_run(paths, os.path.join(workdir, "e2e-burst"),
                                  messages_path, "burst", BURST_EVENTS)
        result["steady_requests"] = e2e_requests(
            paths, os.path.join(workdir, "e2e-steady"), messages_path)
    except NotSupported as exc:
        return {"not_measured": str(exc)}
    return result


class NotSupported(Exception):
    """The plugin in this tree cannot follow the event stream."""


def start_feeder(workdir, messages_path, mode, count,
                 spacing=LATENCY_SPACING_S):
    os.makedirs(workdir, exist_ok=True)
    port_path = os.path.join(workdir, "ws_port")
    log_path = os.path.join(workdir, "feeder.log")
    feeder = subprocess.Popen(
        [FEEDER_PYTHON, os.path.join(os.path.dirname(
            os.path.abspath(__file__)), "ws_feeder.py"), messages_path,
         port_path, log_path, mode, str(count), str(spacing)],
        stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(port_path):
        if feeder.poll() is not None or time.monotonic() > deadline:
            raise benchlib.BenchError("the websocket feeder did not start")
        time.sleep(0.02)
    with open(port_path) as f:
        port = int(f.read())
    return feeder, port, log_path


def read_feeder_log(log_path):
    sends, marks = [], {}
    with open(log_path) as f:
        for line in f:
            key, stamp = line.split()
            if key.isdigit():
                sends.append(float(stamp))
            else:
                marks[key] = float(stamp)
    return sends, marks


def e2e_run(paths, workdir, messages_path, mode, count):
    server = benchlib.FakeObserver(paths["fake_observer"], paths["bodies"],
                                   os.path.join(workdir, "server")).start()
    feeder, ws_port, feeder_log = start_feeder(workdir, messages_path, mode,
                                               count)
    listener = None
    collectd = benchlib.Collectd(os.path.join(workdir, "collectd"),
                                 paths["plugin"], paths["types_db"], 60)
    config = polling.p2pool_config(
        server.url, E2E_WALLETS, 60, 10,
        os.path.join(collectd.base_dir, "p2pool.state"))
    config = config.replace(
        "    Interval 60\n",
        "    Interval 60\n    Events true\n"
        '    EventsURL "ws://127.0.0.1:%d/api/events"\n' % ws_port)
    plugins = ("p2pool",)
    if mode == "latency":
        # The network plugin forwards every value list with its time in
        # 2^-30 s units; unixsock and the text writers print milliseconds.
        listener = benchlib.NetworkListener().start()
        collectd.stop_after_cache = False
        config = ("LoadPlugin network\n<Plugin network>\n"
                  '  Server "127.0.0.1" "%d"\n</Plugin>\n' % listener.port
                  + config)
        plugins = ("network", "p2pool")
    collectd.body = config
    try:
        try:
            collectd.start(plugins=plugins)
        except benchlib.BenchError:
            raise NotSupported("collectd rejected Events true: %s" % "".join(
                collectd.log_lines("p2pool plugin")[-3:]).strip())
        if not wait_for_mark(feeder_log, "begin" if mode == "burst" else "0",
                             timeout=15):
            raise NotSupported("the plugin did not connect to the event "
                               "stream within 15 s; see %s"
                               % collectd.log_path)
        if mode == "burst":
            return e2e_burst(collectd, feeder_log, count)
        return e2e_latency(collectd, listener, feeder_log, count)
    finally:
        collectd.stop()
        feeder.terminate()
        feeder.wait()
        server.stop()
        if listener is not None:
            listener.stop()


def wait_for_mark(log_path, key, timeout):
    deadline = time.monotonic() + timeout
    while True:
        with open(log_path) as f:
            if any(line.split()[0] == key for line in f if line.strip()):
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def e2e_latency(collectd, listener, feeder_log, count):
    """Matches each message sent to the first dispatch of the observer's
    event counters after it. A dispatch's time is when the plugin began
    dispatching (its batch timestamp). Also returns the CPU per message of
    the events thread, which handles each message on its own here."""
    threads0 = benchlib.thread_cpu(collectd.pid)
    wait_for_mark(feeder_log, "done", count * LATENCY_SPACING_S + 30)
    threads1 = benchlib.thread_cpu(collectd.pid)
    time.sleep(0.5)
    collectd.command("FLUSH plugin=network")
    time.sleep(0.5)
    dispatches = sorted(listener.times(plugin_instance="bench",
                                       value_type="events"))

    sizes = {}
    for stamp, instance, _, _ in list(listener.records):
        if instance == "bench":
            sizes[stamp] = sizes.get(stamp, 0) + 1

    sends, _ = read_feeder_log(feeder_log)
    latencies = []
    missed = 0
    for i, sent in enumerate(sends):
        following = sends[i + 1] if i + 1 < len(sends) else float("inf")
        later = [t for t in dispatches if sent <= t < following]
        if later:
            latencies.append(later[0] - sent)
        else:
            missed += 1
    latencies.sort()
    return {
        "events_sent": len(sends), "spacing_s": LATENCY_SPACING_S,
        "events_with_dispatch": len(latencies),
        "events_without_dispatch_before_next": missed,
        "latency_median_ms": (benchlib.median(latencies) * 1e3
                              if latencies else None),
        "latency_p90_ms": (latencies[int(len(latencies) * 0.9)] * 1e3
                           if latencies else None),
        "latency_max_ms": latencies[-1] * 1e3 if latencies else None,
        "observer_values_per_dispatch_median": (
            benchlib.median(list(sizes.values())) if sizes else None),
        "threads_cpu_us_per_event": {
            name: round(seconds / len(sends) * 1e6, 2) for name, seconds in
            polling.thread_deltas(threads0, threads1, 1).items()},
    }


def e2e_burst(collectd, feeder_log, count):
    cpu0 = benchlib.process_cpu(collectd.pid)
    threads0 = benchlib.thread_cpu(collectd.pid)
    wait_for_mark(feeder_log, "done", timeout=120)
    benchlib.wait_settled(collectd.pid)
    cpu1 = benchlib.process_cpu(collectd.pid)
    threads1 = benchlib.thread_cpu(collectd.pid)
    settled = time.time()
    _, marks = read_feeder_log(feeder_log)
    send_s = marks["end"] - marks["begin"]
    cpu = cpu1 - cpu0
    return {
        "events_sent": count,
        "feeder_send_s": send_s,
        "feeder_rate_per_s": count / send_s if send_s > 0 else None,
        "collectd_cpu_s": cpu,
        "cpu_us_per_event": cpu / count * 1e6,
        "events_per_cpu_s": count / cpu if cpu > 0 else None,
        "settled_after_begin_s": settled - marks["begin"],
        "threads_cpu_s": polling.thread_deltas(threads0, threads1, 1),
    }


def e2e_requests(paths, workdir, messages_path):
    """REST requests per wallet while the stream delivers an event a second:
    the plugin polls each wallet once per ReconcileInterval instead of every
    Interval."""
    server = benchlib.FakeObserver(paths["fake_observer"], paths["bodies"],
                                   os.path.join(workdir, "server")).start()
    feeder, ws_port, feeder_log = start_feeder(
        workdir, messages_path, "latency", STEADY_EVENTS,
        STEADY_EVENT_SPACING_S)
    collectd = benchlib.Collectd(os.path.join(workdir, "collectd"),
                                 paths["plugin"], paths["types_db"],
                                 STEADY_INTERVAL_S)
    config = polling.p2pool_config(
        server.url, E2E_WALLETS, STEADY_INTERVAL_S, STEADY_INTERVAL_S * 0.75,
        os.path.join(collectd.base_dir, "p2pool.state"))
    collectd.body = config.replace(
        "    Interval %g\n" % STEADY_INTERVAL_S,
        "    Interval %g\n    Events true\n    ReconcileInterval %g\n"
        '    EventsURL "ws://127.0.0.1:%d/api/events"\n'
        % (STEADY_INTERVAL_S, STEADY_RECONCILE_S, ws_port))
    try:
        collectd.start(plugins=("p2pool",))
        if not wait_for_mark(feeder_log, "done",
                             STEADY_EVENTS * STEADY_EVENT_SPACING_S + 30):
            raise NotSupported("the event feeder did not finish")
    finally:
        collectd.stop()
        feeder.terminate()
        feeder.wait()
        server.stop()

    requests, _ = server.read_log()
    sends, _ = read_feeder_log(feeder_log)
    begin = sends[0] + STEADY_SKIP_S
    end = sends[-1]
    window = [r for r in requests if begin <= r[0] <= end]
    polls = benchlib.split_cycles(window, STEADY_INTERVAL_S / 2.0, "P")
    reconcile_polls = [p for p in polls
                       if any(r[2] in ("M", "W", "Y") for r in p)]
    wallet_requests = sum(1 for r in window if r[2] in ("M", "W", "Y"))
    seconds = end - begin
    starts = [p[0][0] for p in reconcile_polls]
    period = ((starts[-1] - starts[0]) / (len(starts) - 1)
              if len(starts) > 1 else None)
    per_poll = (wallet_requests / E2E_WALLETS / len(reconcile_polls)
                if reconcile_polls else 0.0)
    # The first poll after the reconcile interval expired does the work, so
    # the period overshoots by whole intervals. The projection for the
    # defaults (Interval 60 s, ReconcileInterval 1800 s) keeps that overshoot.
    lag_intervals = (round((period - STEADY_RECONCILE_S) / STEADY_INTERVAL_S)
                     if period else 0)
    default_period = (DEFAULT_RECONCILE_S
                      + lag_intervals * DEFAULT_INTERVAL_S)
    return {
        "wallets": E2E_WALLETS, "interval_s": STEADY_INTERVAL_S,
        "reconcile_interval_s": STEADY_RECONCILE_S,
        "window_s": round(seconds, 1),
        "polls": len(polls), "reconcile_polls": len(reconcile_polls),
        "reconcile_period_s": period,
        "wallet_requests": wallet_requests,
        "wallet_requests_per_wallet_per_reconcile_poll": per_poll,
        "wallet_requests_per_wallet_hour": (
            wallet_requests / E2E_WALLETS / seconds * 3600),
        "projected_per_wallet_hour_at_default": (
            per_poll * 3600 / default_period),
        "default_reconcile_period_s": default_period,
    }
