"""State save benchmark: one save through the plugin's file and Redis store
backends (store_bench.c), for several wallet counts."""

import json
import os
import shutil
import socket
import subprocess
import time

import benchlib
import bodies
import events_bench

FILE_SIZES = (1, 100, 1000, 1025)
REDIS_SIZES = (1, 100, 1000, 10000)
SAVES = 20
LARGE_SAVES = 5  # for 10,000 wallets, where one Redis save takes 0.4 s


def run(paths, workdir, repo_root):
    src = os.path.join(repo_root, "src")
    if not os.path.exists(os.path.join(src, "store_backend.h")):
        return {"not_measured": "this tree has no store backends "
                                "(src/store_backend.h)"}
    store_dir = os.path.join(workdir, "store")
    os.makedirs(store_dir, exist_ok=True)
    binary = build(paths, repo_root, store_dir)
    addresses = os.path.join(store_dir, "addresses")
    with open(addresses, "w") as f:
        f.write("\n".join(bodies.wallet_address(i)
                          for i in range(max(FILE_SIZES + REDIS_SIZES)))
                + "\n")

    result = {"filesystem": filesystem_type(store_dir), "saves": []}
    for wallets in FILE_SIZES:
        path = os.path.join(store_dir, "p2pool-%d.state" % wallets)
        row = run_binary([binary, "file", path, str(wallets), str(SAVES),
                          addresses])
        row["file_bytes"] = (os.path.getsize(path) if os.path.exists(path)
                             else None)
        result["saves"].append(row)

    if shutil.which("redis-server") is None:
        result["redis"] = "not measured: redis-server is not installed"
        return result
    redis, port = start_redis(store_dir)
    try:
        for wallets in REDIS_SIZES:
            saves = SAVES if wallets < 10000 else LARGE_SAVES
            result["saves"].append(run_binary(
                [binary, "redis", "127.0.0.1", str(port), str(wallets),
                 str(saves), addresses]))
    finally:
        redis.terminate()
        redis.wait()
    return result


def build(paths, repo_root, workdir):
    src = os.path.join(repo_root, "src")
    bench_dir = os.path.dirname(os.path.abspath(__file__))
    binary = os.path.join(workdir, "store_bench")
    pkg = subprocess.run(["pkg-config", "--cflags", "--libs", "json-c",
                          "hiredis", "libcurl"], capture_output=True,
                         text=True, check=True).stdout.split()
    command = (["cc", "-O2", "-std=c11", "-D_GNU_SOURCE", "-I" + src,
                "-I" + os.path.join(paths["build_dir"], "src")]
               + events_bench.collectd_cppflags(paths["build_dir"])
               + ["-o", binary, os.path.join(bench_dir, "store_bench.c"),
                  os.path.join(bench_dir, "collectd_stubs.c"),
                  os.path.join(src, "store_file.c"),
                  os.path.join(src, "store_redis.c"), paths["core_lib"]]
               + pkg + ["-lm"])
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise benchlib.BenchError("building store_bench failed:\n"
                                  + result.stderr)
    return binary


def run_binary(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise benchlib.BenchError("%s failed:\n%s" % (command[0],
                                                      result.stderr))
    row = json.loads(result.stdout)
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    if errors:
        row["log"] = errors[0]
    return row


def filesystem_type(path):
    output = subprocess.run(["df", "--output=fstype", path],
                            capture_output=True, text=True).stdout.split()
    return output[-1] if output else "unknown"


def start_redis(workdir):
    """Start a private redis-server without persistence on a port the OS
    picked a moment earlier."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    redis = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port),
         "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return redis, port
        except OSError:
            time.sleep(0.05)
    redis.terminate()
    raise benchlib.BenchError("redis-server did not start")
