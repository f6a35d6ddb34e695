"""The offline demo: scripts/run-collectd --demo shows both demo wallets'
figures on /metrics within two poll intervals, and Ctrl-C stops everything
it started."""

import os
import re
import signal
import subprocess
import time
import urllib.request

import pytest

from collectd_runner import free_port, parse_prometheus, scaled, select

DEMO_INTERVAL_SECONDS = 5
DEMO_WALLETS = ("demo1", "demo2")


def read_metrics(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=2) as response:
            return parse_prometheus(response.read().decode())
    except OSError:
        return None


def demo_figures_present(samples):
    for wallet in DEMO_WALLETS:
        for family in ("collectd_p2pool_hashrate", "collectd_p2pool_window_shares",
                       "collectd_p2pool_payouts_total"):
            values = select(samples, family, {"p2pool": wallet})
            if not values or any(v != v for v in values.values()):
                return False
    return True


@pytest.fixture
def demo(repo_root, build_dir, tmp_path):
    port = free_port()
    output = open(tmp_path / "run-collectd.out", "w+b")
    env = dict(os.environ, P2POOL_BUILD_DIR=build_dir, TMPDIR=str(tmp_path))
    process = subprocess.Popen(
        ["bash", os.path.join(repo_root, "scripts", "run-collectd"), "--demo",
         "--port", str(port)],
        stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
        env=env, start_new_session=True)
    yield process, port, output, tmp_path
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    output.close()


def processes_using(path):
    """PIDs whose command line mentions path."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                if path.encode() in f.read():
                    found.append(int(entry))
        except OSError:
            pass
    return found


def output_text(output):
    output.flush()
    output.seek(0)
    return output.read().decode(errors="replace")


def test_demo_shows_wallet_figures(demo):
    process, port, output, tmp_path = demo

    deadline = time.monotonic() + scaled(30)
    while "Figures: http://127.0.0.1:%d/metrics" % port not in output_text(output):
        assert process.poll() is None, output_text(output)
        assert time.monotonic() < deadline, output_text(output)
        time.sleep(0.1)

    started = time.monotonic()
    deadline = started + scaled(2 * DEMO_INTERVAL_SECONDS + 2)
    while True:
        samples = read_metrics(port)
        if samples is not None and demo_figures_present(samples):
            break
        assert process.poll() is None, output_text(output)
        assert time.monotonic() < deadline, output_text(output)
        time.sleep(0.2)
    assert select(samples, "collectd_p2pool_payouts_total", {"p2pool": "demo1"})

    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(scaled(15)) in (0, 130, -signal.SIGINT)
    text = output_text(output)
    assert "Exiting normally" in text
    assert not re.search(r"\[(error|warning)\] p2pool plugin", text), text
    assert not list(tmp_path.glob("collectd-p2pool.*")), "temporary directory left behind"
    assert processes_using(str(tmp_path)) == [], "the replay observer still runs"
