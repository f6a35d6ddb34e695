"""Runs a private Prometheus server on 127.0.0.1 for end-to-end tests.

It scrapes the given targets every second, evaluates the given rule files
every second and keeps its TSDB in its own directory. Results come from the
HTTP API (/api/v1/query, /api/v1/rules, /api/v1/series).
"""

import json
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from collectd_runner import free_port, scaled

SCRAPE_INTERVAL = "1s"


class PrometheusError(AssertionError):
    """Prometheus did not start or a query failed."""


class Prometheus:
    """One prometheus process. targets: "host:port" strings of /metrics
    endpoints; rule_files: paths of rule files."""

    def __init__(self, binary, workdir, targets, rule_files=()):
        self.binary = binary
        self.workdir = workdir
        self.targets = list(targets)
        self.rule_files = list(rule_files)
        self.config_path = os.path.join(workdir, "prometheus.yml")
        self.data_dir = os.path.join(workdir, "data")
        self.log_path = os.path.join(workdir, "prometheus.log")
        self.port = None
        self.process = None

    def config_text(self):
        # JSON is valid YAML, and needs no quoting rules of its own.
        config = {
            "global": {"scrape_interval": SCRAPE_INTERVAL,
                       "evaluation_interval": SCRAPE_INTERVAL},
            "rule_files": self.rule_files,
            "scrape_configs": [{
                "job_name": "collectd",
                "static_configs": [{"targets": self.targets}],
            }],
        }
        return json.dumps(config, indent=2) + "\n"

    def start(self, timeout=30.0):
        os.makedirs(self.data_dir, exist_ok=True)
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(self.config_text())
        for _ in range(3):
            self.port = free_port()
            log = open(self.log_path, "ab")
            self.process = subprocess.Popen(
                [self.binary,
                 "--config.file=" + self.config_path,
                 "--storage.tsdb.path=" + self.data_dir,
                 "--web.listen-address=127.0.0.1:%d" % self.port,
                 "--log.level=warn"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.workdir)
            log.close()
            if self._wait_until_ready(scaled(timeout)):
                return self
            self.stop()
        raise PrometheusError("prometheus did not start:\n" + self.log())

    def _wait_until_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url("/-/ready"), timeout=2) as response:
                    if response.status == 200:
                        return True
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        return False

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(scaled(20))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def url(self, path, params=None):
        query = "?" + urllib.parse.urlencode(params, doseq=True) if params else ""
        return "http://127.0.0.1:%d%s%s" % (self.port, path, query)

    def api(self, path, params=None):
        """GET an API path; return its "data" member."""
        try:
            with urllib.request.urlopen(self.url(path, params), timeout=scaled(10)) as response:
                body = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise PrometheusError("%s %s: HTTP %d %s"
                                  % (path, params, exc.code, exc.read().decode("utf-8", "replace")))
        if body.get("status") != "success":
            raise PrometheusError("%s %s: %s" % (path, params, body))
        return body["data"]

    def query(self, expr):
        """Evaluate an instant query; return [(labels dict, float value)]."""
        data = self.api("/api/v1/query", {"query": expr})
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        return [(item["metric"], float(item["value"][1])) for item in data["result"]]

    def wait_for(self, expr, predicate=lambda result: len(result) > 0, timeout=30.0):
        """Wait until predicate(query(expr)) holds; return the result."""
        deadline = time.monotonic() + scaled(timeout)
        result = None
        while True:
            result = self.query(expr)
            if predicate(result):
                return result
            if time.monotonic() > deadline:
                raise PrometheusError("%s: last result %r after %.0f s\n%s"
                                      % (expr, result, scaled(timeout), self.log()[-3000:]))
            time.sleep(0.5)

    def label_values(self, label, match):
        """Values of a label over the series matching a selector."""
        return sorted(self.api("/api/v1/label/%s/values" % label, {"match[]": match}))

    def rule_groups(self):
        return self.api("/api/v1/rules")["groups"]
