"""Processes and measurements for the benchmark: the fake observer, collectd,
/proc readings and the request log."""

import grp
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import time
import urllib.request

COLLECTD_BINARY = os.environ.get("P2POOL_COLLECTD", "/usr/sbin/collectd")
STOCK_PLUGIN_DIR = "/usr/lib/collectd"
STOCK_TYPES_DB = "/usr/share/collectd/types.db"
HOSTNAME = "bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    """A process did not start or behave as the benchmark needs."""


# /proc ---------------------------------------------------------------------

def cpu_ticks_seconds(pid):
    """Return user and system CPU seconds of a process, threads that exited
    included (from /proc/PID/stat, 1/CLK_TCK resolution)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def thread_cpu(pid):
    """Return {tid: (name, CPU seconds)} of the live threads of a process,
    from /proc/PID/task/TID/schedstat (nanoseconds on CPU)."""
    threads = {}
    task_dir = "/proc/%d/task" % pid
    for tid in os.listdir(task_dir):
        try:
            with open(os.path.join(task_dir, tid, "comm")) as f:
                name = f.read().strip()
            with open(os.path.join(task_dir, tid, "schedstat")) as f:
                on_cpu_ns = int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue
        threads[int(tid)] = (name, on_cpu_ns / 1e9)
    return threads


def process_cpu(pid):
    """Return the CPU seconds of a process: the nanosecond sum over its live
    threads, or the tick count when that is larger (a thread exited)."""
    precise = sum(seconds for _, seconds in thread_cpu(pid).values())
    return max(precise, cpu_ticks_seconds(pid))


def memory_kib(pid):
    """Return VmHWM and VmRSS of a process in KiB."""
    values = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0])
    return values


def machine():
    """Return nproc, the CPU model and total memory of this machine."""
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    with open("/proc/loadavg") as f:
        loadavg = " ".join(f.read().split()[:3])
    return {"nproc": os.cpu_count(), "cpu_model": model, "loadavg": loadavg,
            "memory_mib": mem_kib // 1024,
            "kernel": os.uname().release}


# The fake observer ----------------------------------------------------------

class FakeObserver:
    """The C fake observer (fake_observer.c) serving the bodies in body_dir.
    Its request log is written to workdir/requests.log."""

    def __init__(self, binary, body_dir, workdir):
        self.binary = binary
        self.body_dir = body_dir
        self.workdir = workdir
        self.log_path = os.path.join(workdir, "requests.log")
        self.port_path = os.path.join(workdir, "ports")
        self.process = None
        self.port = None
        self.control_port = None

    def start(self, timeout=5.0):
        os.makedirs(self.workdir, exist_ok=True)
        if os.path.exists(self.port_path):
            os.unlink(self.port_path)
        self.process = subprocess.Popen(
            [self.binary, self.body_dir, self.log_path, self.port_path],
            stdin=subprocess.DEVNULL, preexec_fn=raise_file_limit)
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.port_path):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise BenchError("the fake observer did not start")
            time.sleep(0.02)
        with open(self.port_path) as f:
            self.port, self.control_port = (int(x) for x in f.read().split())
        return self

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def stats(self):
        """Return the server's counters (and flush its request log)."""
        with socket.create_connection(("127.0.0.1", self.control_port), 5) as s:
            s.sendall(b"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        body = data.split(b"\r\n\r\n", 1)[1]
        stats = json.loads(body)
        stats["requests_total"] = sum(stats["requests"].values())
        return stats

    def cpu(self):
        return process_cpu(self.process.pid)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def read_log(self):
        """Return (requests, accepts): lists of (time, connection, route) and
        of (time, connection), read from where the last call stopped."""
        if not hasattr(self, "_log_offset"):
            self._log_offset = 0
            self._requests, self._accepts = [], []
        with open(self.log_path) as f:
            f.seek(self._log_offset)
            data = f.read()
        complete = data.rfind("\n") + 1
        self._log_offset += complete
        for line in data[:complete].splitlines():
            parts = line.split()
            if parts[0] == "R":
                self._requests.append((float(parts[1]), int(parts[2]),
                                       parts[3]))
            elif parts[0] == "A":
                self._accepts.append((float(parts[1]), int(parts[2])))
        return self._requests, self._accepts

    def wait_for_cycles(self, count, per_cycle, gap_seconds, timeout,
                        start_route=None, after=0.0):
        """Wait until count poll cycles that began after the time after are
        complete: a cycle is complete when it has per_cycle requests, when
        the next one began, or when gap_seconds passed after its last
        request. Returns the number of complete cycles."""
        deadline = time.monotonic() + timeout
        while True:
            self.stats()  # flushes the log
            requests, _ = self.read_log()
            cycles = split_cycles(requests, gap_seconds, start_route)
            done = [c for c in cycles[:-1] if c[0][0] >= after]
            if cycles and cycles[-1][0][0] >= after and (
                    len(cycles[-1]) >= per_cycle or
                    time.time() - cycles[-1][-1][0] > gap_seconds):
                done.append(cycles[-1])
            if len(done) >= count or time.monotonic() > deadline:
                return len(done)
            time.sleep(0.25)


def raise_file_limit():
    """Raise the soft limit on open files to the hard limit: the curl_json
    variant keeps one connection per URL block."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def split_cycles(requests, gap_seconds, start_route=None):
    """Group requests into poll cycles. A request of start_route (the
    plugin's pool_info, first in every poll) or a pause longer than
    gap_seconds starts a new cycle. Returns a list of request lists."""
    cycles = []
    last = None
    for request in requests:
        if (last is None or request[0] - last > gap_seconds
                or request[2] == start_route):
            cycles.append([])
        cycles[-1].append(request)
        last = request[0]
    return cycles


def cycle_figures(cycle, accepts):
    """Return the wall time, request count and new connections of a cycle."""
    begin = cycle[0][0]
    end = cycle[-1][0]
    new_connections = sum(1 for t, _ in accepts if begin - 0.5 <= t <= end)
    connections = len({conn for _, conn, _ in cycle})
    routes = {}
    for _, _, route in cycle:
        routes[route] = routes.get(route, 0) + 1
    return {"begin": begin, "end": end, "wall_s": end - begin,
            "requests": len(cycle), "new_connections": new_connections,
            "connections_used": connections, "routes": routes}


# collectd -------------------------------------------------------------------

class Collectd:
    """One collectd daemon in its own work directory, with logfile and
    unixsock loaded (unixsock reads the value cache back)."""

    def __init__(self, workdir, plugin_so, types_db, interval, body=""):
        self.workdir = workdir
        self.plugin_so = plugin_so
        self.types_db = types_db
        self.interval = interval
        self.body = body
        self.plugin_dir = os.path.join(workdir, "plugins")
        self.base_dir = os.path.join(workdir, "base")
        self.config_path = os.path.join(workdir, "collectd.conf")
        self.log_path = os.path.join(workdir, "collectd.log")
        self.socket_path = os.path.join(workdir, "collectd.sock")
        self.process = None
        self.started_at = None
        # Values stop after the value cache unless a test needs a writer,
        # or before it when drop_before_cache is set.
        self.stop_after_cache = True
        self.drop_before_cache = False

    def _install(self, plugins):
        os.makedirs(self.plugin_dir, exist_ok=True)
        os.makedirs(self.base_dir, exist_ok=True)
        # collectd refuses symbolic links in its PluginDir, so these are
        # copies.
        for name in plugins:
            source = (self.plugin_so if name == "p2pool"
                      else os.path.join(STOCK_PLUGIN_DIR, name + ".so"))
            shutil.copy2(source, os.path.join(self.plugin_dir, name + ".so"))

    def config_text(self):
        chain = [
            "# Values reach the value cache (unixsock reads it) and stop there:",
            "# no write plugin adds its own cost to the measurement.",
            'PostCacheChain "Drop"',
            '<Chain "Drop">',
            '  Target "stop"',
            "</Chain>",
        ] if self.stop_after_cache else []
        if self.drop_before_cache:
            chain = ['PreCacheChain "Drop"', '<Chain "Drop">',
                     '  Target "stop"', "</Chain>"]
        return "\n".join([
            'Hostname "%s"' % HOSTNAME,
            "FQDNLookup false",
            'BaseDir "%s"' % self.base_dir,
            'PIDFile "%s"' % os.path.join(self.workdir, "collectd.pid"),
            'PluginDir "%s"' % self.plugin_dir,
            'TypesDB "%s" "%s"' % (STOCK_TYPES_DB, self.types_db),
            "Interval %g" % self.interval,
            "",
            "LoadPlugin logfile",
            "<Plugin logfile>",
            "  LogLevel info",
            '  File "%s"' % self.log_path,
            "  Timestamp true",
            "  PrintSeverity true",
            "</Plugin>",
            "LoadPlugin unixsock",
            "<Plugin unixsock>",
            '  SocketFile "%s"' % self.socket_path,
            '  SocketGroup "%s"' % grp.getgrgid(os.getgid()).gr_name,
            "</Plugin>",
            "",
        ] + chain + ["", self.body]) + "\n"

    def start(self, plugins=()):
        self._install(("logfile", "unixsock") + tuple(plugins))
        with open(self.config_path, "w") as f:
            f.write(self.config_text())
        output = open(os.path.join(self.workdir, "collectd.out"), "wb")
        self.started_at = time.time()
        self.process = subprocess.Popen(
            [COLLECTD_BINARY, "-f", "-C", self.config_path],
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            cwd=self.workdir, preexec_fn=raise_file_limit)
        output.close()
        deadline = time.monotonic() + 120
        while not os.path.exists(self.socket_path):
            if self.process.poll() is not None:
                raise BenchError("collectd exited with status %d; see %s"
                                 % (self.process.returncode, self.log_path))
            if time.monotonic() > deadline:
                raise BenchError("collectd did not open its unixsock")
            time.sleep(0.05)
        return self

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def command(self, line):
        """Send one unixsock command; return its output lines."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(60)
            s.connect(self.socket_path)
            f = s.makefile("rw")
            f.write(line + "\n")
            f.flush()
            header = f.readline()
            count = int(header.split(" ", 1)[0])
            if count < 0:
                raise BenchError("unixsock %r failed: %s" % (line, header))
            return [f.readline().rstrip("\n") for _ in range(count)]

    def list_values(self):
        """Return {identifier: time} of every value in collectd's cache."""
        values = {}
        for line in self.command("LISTVAL"):
            stamp, identifier = line.split(" ", 1)
            values[identifier] = float(stamp)
        return values

    def get_value(self, identifier):
        lines = self.command('GETVAL "%s"' % identifier)
        return float(lines[0].split("=", 1)[1]) if lines else None

    def stop(self, timeout=60):
        """Send SIGTERM; return the seconds collectd took to exit."""
        if not self.alive():
            return 0.0
        begin = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise BenchError("collectd did not stop within %d s" % timeout)
        return time.monotonic() - begin

    def log_lines(self, text):
        try:
            with open(self.log_path, errors="replace") as f:
                return [line for line in f if text in line]
        except FileNotFoundError:
            return []


class NetworkListener:
    """Receives collectd's network protocol on a UDP port of 127.0.0.1 and
    keeps the high-resolution time of every value list."""

    PART_HOST, PART_TIME, PART_PLUGIN, PART_PLUGIN_INSTANCE = 0, 1, 2, 3
    PART_TYPE, PART_TYPE_INSTANCE, PART_VALUES, PART_TIME_HR = 4, 5, 6, 8

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.port = self.sock.getsockname()[1]
        self.records = []  # (time, plugin_instance, type, type_instance)
        self.thread = None
        self.running = False

    def start(self):
        import threading
        self.running = True
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while self.running:
            try:
                packet = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self._parse(packet)

    def _parse(self, packet):
        state = {}
        offset = 0
        while offset + 4 <= len(packet):
            part_type = int.from_bytes(packet[offset:offset + 2], "big")
            length = int.from_bytes(packet[offset + 2:offset + 4], "big")
            if length < 4:
                return
            data = packet[offset + 4:offset + length]
            offset += length
            if part_type == self.PART_TIME_HR:
                state["time"] = int.from_bytes(data, "big") / 2.0 ** 30
            elif part_type == self.PART_TIME:
                state["time"] = float(int.from_bytes(data, "big"))
            elif part_type in (self.PART_PLUGIN_INSTANCE, self.PART_TYPE,
                               self.PART_TYPE_INSTANCE, self.PART_PLUGIN):
                state[part_type] = data.rstrip(b"\0").decode()
            elif part_type == self.PART_VALUES:
                self.records.append((
                    state.get("time"), state.get(self.PART_PLUGIN_INSTANCE),
                    state.get(self.PART_TYPE),
                    state.get(self.PART_TYPE_INSTANCE)))

    def times(self, plugin_instance, value_type):
        """Return the distinct times of value lists with this plugin
        instance and type."""
        return {t for t, instance, kind, _ in list(self.records)
                if instance == plugin_instance and kind == value_type}

    def stop(self):
        self.running = False
        if self.thread is not None:
            self.thread.join()
        self.sock.close()


def wait_settled(pid, quiet_seconds=0.4, step=0.1, noise_seconds=0.002,
                 timeout=120.0):
    """Wait until a process has used less than noise_seconds of CPU over
    quiet_seconds, i.e. it finished its burst of work."""
    deadline = time.monotonic() + timeout
    window = []
    while time.monotonic() < deadline:
        window.append(process_cpu(pid))
        window = window[-(int(quiet_seconds / step) + 1):]
        if (len(window) > quiet_seconds / step
                and window[-1] - window[0] < noise_seconds):
            return
        time.sleep(step)


def median(values):
    return statistics.median(values) if values else None


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()
