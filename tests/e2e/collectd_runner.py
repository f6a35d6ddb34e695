"""Runs the real collectd daemon with the plugin, for end-to-end tests.

A Collectd object owns a work directory with a private PluginDir (copies of
p2pool.so and the stock plugins: collectd refuses symlinked plugins), a
BaseDir, the configuration, the log file and the daemon's output. Figures are
read back from write_prometheus on 127.0.0.1.

With P2POOL_E2E_VALGRIND=1 the daemon runs under valgrind's memcheck, and
stop() fails on any memory error or definite leak whose stack passes
through p2pool.so.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

COLLECTD_BINARY = os.environ.get("P2POOL_COLLECTD", "/usr/sbin/collectd")
STOCK_PLUGIN_DIR = "/usr/lib/collectd"
STOCK_TYPES_DB = "/usr/share/collectd/types.db"
HOSTNAME = "testhost"

VALGRIND = os.environ.get("P2POOL_E2E_VALGRIND", "") not in ("", "0")
# Every timeout in the tests is multiplied by this. Valgrind runs the daemon
# about ten times slower.
TIME_SCALE = float(os.environ.get("P2POOL_E2E_TIME_SCALE", "8" if VALGRIND else "1"))

SUPPRESSIONS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "valgrind.supp")

# Log line collectd writes when a read callback returned an error, after which
# it waits longer and longer before calling it again.
READ_SUSPEND_PATTERN = "read-function of plugin"

# Log lines that show a dispatch problem: a timestamp that did not increase,
# a thread without plugin context, a type missing from TypesDB.
DISPATCH_PROBLEM_PATTERN = r"Value too old|UNKNOWN plugin|Dataset not found"


def scaled(seconds):
    """Scale a timeout for slow runs (valgrind)."""
    return seconds * TIME_SCALE


def free_port():
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_LINE_RE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$")
_LABEL_RE = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _unescape_label(value):
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), value)


def parse_prometheus(text):
    """Parse the Prometheus text format into {(name, frozenset(labels)): value}.

    labels is a frozenset of (label, value) pairs; value is a float (NaN and
    +Inf included). Comment lines are skipped.
    """
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _LINE_RE.match(line)
        if match is None:
            raise ValueError("unparsable metrics line: %r" % line)
        name, label_text, value_text = match.groups()
        labels = frozenset((k, _unescape_label(v)) for k, v in _LABEL_RE.findall(label_text or ""))
        samples[(name, labels)] = float(value_text)
    return samples


def select(samples, name, labels=None):
    """Return {labels: value} for the samples of a family whose labels include
    every given label (a dict)."""
    wanted = set((labels or {}).items())
    return {lab: value for (n, lab), value in samples.items()
            if n == name and wanted <= set(lab)}


class CollectdError(AssertionError):
    """collectd did not start, stop or behave as a test required."""


class Collectd:
    """One collectd daemon with the plugin, in its own work directory.

    plugin_config: the text inside <Plugin p2pool> ... </Plugin> (None: no
    block). extra_config: configuration placed before LoadPlugin p2pool
    (other plugins' LoadPlugin and blocks). extra_plugins: names of stock
    plugins to copy into the PluginDir. global_config: lines added after the
    global options (e.g. "ReadThreads 2").
    """

    def __init__(self, workdir, build_dir, repo_root, plugin_config="",
                 extra_config="", extra_plugins=(), global_config="",
                 log_level="info", valgrind=None):
        self.workdir = workdir
        self.build_dir = build_dir
        self.repo_root = repo_root
        self.plugin_config = plugin_config
        self.extra_config = extra_config
        self.extra_plugins = tuple(extra_plugins)
        self.global_config = global_config
        self.log_level = log_level
        self.valgrind = VALGRIND if valgrind is None else valgrind

        self.base_dir = os.path.join(workdir, "base")
        self.plugin_dir = os.path.join(workdir, "plugins")
        self.config_path = os.path.join(workdir, "collectd.conf")
        self.log_path = os.path.join(workdir, "collectd.log")
        self.output_path = os.path.join(workdir, "collectd.out")
        self.valgrind_xml = os.path.join(workdir, "valgrind-%d.xml")
        self.port = None
        self.process = None
        self.exit_status = None
        self.runs = 0
        os.makedirs(self.base_dir, exist_ok=True)
        self._install_plugins()

    # Set-up --------------------------------------------------------------

    def _install_plugins(self):
        os.makedirs(self.plugin_dir, exist_ok=True)
        built = os.path.join(self.build_dir, ".libs", "p2pool.so")
        if not os.path.isfile(built):
            raise CollectdError("%s not found: build the plugin first, or set "
                                "P2POOL_BUILD_DIR to the build directory" % built)
        shutil.copy2(built, os.path.join(self.plugin_dir, "p2pool.so"))
        for name in ("write_prometheus", "logfile") + self.extra_plugins:
            shutil.copy2(os.path.join(STOCK_PLUGIN_DIR, name + ".so"),
                         os.path.join(self.plugin_dir, name + ".so"))

    def config_text(self):
        """Return the configuration collectd is started with."""
        types_db = os.path.join(self.repo_root, "p2pool.types.db")
        parts = [
            'Hostname "%s"' % HOSTNAME,
            "FQDNLookup false",
            'BaseDir "%s"' % self.base_dir,
            'PIDFile "%s"' % os.path.join(self.workdir, "collectd.pid"),
            'PluginDir "%s"' % self.plugin_dir,
            'TypesDB "%s" "%s"' % (STOCK_TYPES_DB, types_db),
            "Interval 1",
            self.global_config,
            "",
            "LoadPlugin logfile",
            "<Plugin logfile>",
            "  LogLevel %s" % self.log_level,
            '  File "%s"' % self.log_path,
            "  Timestamp true",
            "  PrintSeverity true",
            "</Plugin>",
            "",
            "LoadPlugin write_prometheus",
            "<Plugin write_prometheus>",
            '  Host "127.0.0.1"',
            '  Port "%d"' % self.port,
            "</Plugin>",
            "",
            self.extra_config,
            "",
            "LoadPlugin p2pool",
        ]
        if self.plugin_config is not None:
            parts += ["<Plugin p2pool>", self.plugin_config, "</Plugin>"]
        return "\n".join(parts) + "\n"

    def _command(self):
        command = [COLLECTD_BINARY, "-f", "-C", self.config_path]
        if not self.valgrind:
            return command
        return [
            "valgrind", "--tool=memcheck", "--leak-check=full",
            "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite",
            "--num-callers=40", "--keep-debuginfo=yes", "--track-origins=no",
            "--suppressions=" + SUPPRESSIONS_FILE,
            "--xml=yes", "--xml-file=" + (self.valgrind_xml % self.runs),
        ] + command

    # Running -------------------------------------------------------------

    def spawn(self):
        """Start collectd without waiting for it (see start())."""
        if self.process is not None and self.process.poll() is None:
            raise CollectdError("collectd is already running")
        if self.port is None:
            self.port = free_port()
        self.runs += 1
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(self.config_text())
        output = open(self.output_path, "ab")
        output.write(b"--- run %d ---\n" % self.runs)
        output.flush()
        self.process = subprocess.Popen(
            self._command(), stdin=subprocess.DEVNULL, stdout=output,
            stderr=subprocess.STDOUT, cwd=self.workdir)
        output.close()
        return self.process

    def start(self, timeout=15.0):
        """Start collectd and wait until write_prometheus responds. Retries
        with another port when the chosen one was taken meanwhile."""
        for _ in range(3):
            log_offset = len(self.log())
            self.spawn()
            try:
                self._wait_until_serving(scaled(timeout))
                return self
            except CollectdError:
                if "MHD_start_daemon" not in self.log()[log_offset:]:
                    raise
                self.stop()
                self.port = None
        raise CollectdError("write_prometheus could not bind a port:\n" + self.log())

    def _wait_until_serving(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CollectdError("collectd exited with status %d:\n%s"
                                    % (self.process.returncode, self.log()))
            try:
                self.metrics_text()
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        raise CollectdError("write_prometheus did not respond within %.0f s:\n%s"
                            % (timeout, self.log()))

    def wait_for_exit(self, timeout=10.0):
        """Wait for collectd to exit on its own; return its exit status."""
        try:
            return self.process.wait(scaled(timeout))
        except subprocess.TimeoutExpired:
            raise CollectdError("collectd still running after %.0f s:\n%s"
                                % (scaled(timeout), self.log()))

    def alive(self):
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self):
        return self.process.pid

    def stop(self, timeout=10.0):
        """Send SIGTERM and wait for the exit. Returns the seconds it took;
        kills collectd and raises if it took longer than timeout (scaled).
        Under valgrind, raises on errors found in p2pool.so."""
        if self.process is None or self.process.poll() is not None:
            return 0.0
        begin = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(scaled(timeout))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise CollectdError("collectd did not stop within %.1f s of SIGTERM:\n%s"
                                % (scaled(timeout), self.log()))
        elapsed = time.monotonic() - begin
        self.exit_status = self.process.returncode
        if self.valgrind:
            self.check_valgrind()
        return elapsed

    def kill(self):
        """Kill collectd at once (SIGKILL), without the memory check."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def restart(self, timeout=15.0, plugin_config=None):
        """Stop and start again with the same BaseDir, port and work
        directory; plugin_config replaces the <Plugin p2pool> text if given."""
        self.stop()
        if plugin_config is not None:
            self.plugin_config = plugin_config
        return self.start(timeout)

    # Figures -------------------------------------------------------------

    def metrics_text(self):
        url = "http://127.0.0.1:%d/metrics" % self.port
        with urllib.request.urlopen(url, timeout=scaled(5)) as response:
            return response.read().decode("utf-8")

    def scrape(self):
        """Return {(name, frozenset(labels)): value} from /metrics."""
        return parse_prometheus(self.metrics_text())

    def value(self, name, labels=None):
        """Return the value of the one series of name whose labels include
        labels (a dict), or None when there is none. Raises when several
        series match."""
        found = select(self.scrape(), name, labels)
        if len(found) > 1:
            raise CollectdError("%d series match %s %s: %s" % (len(found), name, labels, found))
        return next(iter(found.values())) if found else None

    def wait_for(self, name, labels=None, predicate=None, timeout=10.0):
        """Wait until the one series of name matching labels exists and
        predicate(value) is true; return the value. Raises CollectdError with
        the last value and the log on timeout."""
        deadline = time.monotonic() + scaled(timeout)
        last = None
        while True:
            if not self.alive():
                raise CollectdError("collectd exited while waiting for %s:\n%s" % (name, self.log()))
            last = self.value(name, labels)
            if last is not None and (predicate is None or predicate(last)):
                return last
            if time.monotonic() > deadline:
                raise CollectdError("%s %s: last value %r after %.0f s\n--- log ---\n%s"
                                    % (name, labels, last, scaled(timeout), self.log()[-6000:]))
            time.sleep(0.2)

    # Logs ----------------------------------------------------------------

    def log(self):
        """Return collectd's log file followed by its own output (messages
        logged before the logfile plugin was configured go there)."""
        text = ""
        for path in (self.log_path, self.output_path):
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    text += f.read()
            except FileNotFoundError:
                pass
        return text

    def log_lines(self, pattern):
        """Return the log lines matching a regular expression."""
        regex = re.compile(pattern)
        return [line for line in self.log().splitlines() if regex.search(line)]

    def wait_for_log(self, pattern, timeout=10.0, count=1):
        """Wait until count log lines match a regular expression; return them."""
        deadline = time.monotonic() + scaled(timeout)
        while True:
            lines = self.log_lines(pattern)
            if len(lines) >= count:
                return lines
            if time.monotonic() > deadline:
                raise CollectdError("no log line matching %r after %.0f s:\n%s"
                                    % (pattern, scaled(timeout), self.log()[-6000:]))
            time.sleep(0.2)

    def assert_no_read_suspend(self):
        """Fail when collectd suspended a read callback (it returned an error)."""
        lines = self.log_lines(READ_SUSPEND_PATTERN)
        if lines:
            raise CollectdError("a read callback failed:\n" + "\n".join(lines))

    def assert_clean_log(self):
        """Fail on a suspended read callback or a dispatch problem in the log."""
        self.assert_no_read_suspend()
        lines = self.log_lines(DISPATCH_PROBLEM_PATTERN)
        if lines:
            raise CollectdError("collectd rejected or misfiled values:\n" + "\n".join(lines[:20]))

    # Valgrind ------------------------------------------------------------

    def check_valgrind(self):
        """Raise when the last run's valgrind report has an error or a
        definite leak with a p2pool.so frame in its stack."""
        path = self.valgrind_xml % self.runs
        findings = plugin_errors(path)
        if findings:
            raise CollectdError("valgrind found %d problem(s) in p2pool.so (%s):\n\n%s"
                                % (len(findings), path, "\n\n".join(findings)))


def plugin_errors(xml_path, library="p2pool.so"):
    """Return a description of each error in a valgrind XML report whose
    stack has a frame in library. Leaks other than definite ones are not
    reported by the options used, so every Leak_* error here is definite."""
    try:
        root = ET.parse(xml_path).getroot()
    except (FileNotFoundError, ET.ParseError) as exc:
        return ["valgrind report %s unreadable: %s" % (xml_path, exc)]
    findings = []
    for error in root.iter("error"):
        frames = []
        for frame in error.iter("frame"):
            obj = frame.findtext("obj") or ""
            fn = frame.findtext("fn") or "?"
            where = frame.findtext("file")
            line = frame.findtext("line")
            frames.append((obj, "%s %s" % (fn, "(%s:%s)" % (where, line) if where else "(" + os.path.basename(obj) + ")")))
        if not any(obj.endswith("/" + library) for obj, _ in frames):
            continue
        kind = error.findtext("kind") or "?"
        what = error.findtext("what") or error.findtext("xwhat/text") or ""
        stack = "\n".join("    " + text for _, text in frames[:15])
        findings.append("%s: %s\n%s" % (kind, what, stack))
    return findings
