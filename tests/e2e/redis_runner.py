"""Runs a private redis-server on 127.0.0.1 for end-to-end tests.

The server keeps nothing on disk (--save "" --appendonly no), so a restart
starts empty, like a Redis that lost its data. stop() and start() keep the
port, so a client configured with it can reconnect.
"""

import os
import signal
import socket
import subprocess
import time

from collectd_runner import free_port, scaled

REDIS_BINARY = os.environ.get("P2POOL_REDIS_SERVER", "/usr/bin/redis-server")


class RedisError(Exception):
    """An error reply from Redis."""


def _encode_command(args):
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, int):
            arg = str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


class _Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def _line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _exact(self, size):
        while len(self.buffer) < size + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size + 2:]
        return data

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self._exact(size)
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self.reply() for _ in range(count)]
        raise ConnectionError("unexpected reply from redis: %r" % line)


class RedisServer:
    """A redis-server process listening on 127.0.0.1.

    password: set with --requirepass when given. Bytes values come back as
    bytes from command().
    """

    def __init__(self, workdir, password=None, port=None):
        self.workdir = workdir
        self.password = password
        self.port = port
        self.process = None
        self.log_path = os.path.join(workdir, "redis.log")
        os.makedirs(workdir, exist_ok=True)

    def start(self, timeout=10.0):
        """Start the server (on the same port as before, if it ran) and wait
        until it responds to PING."""
        if self.port is None:
            self.port = free_port()
        command = [REDIS_BINARY, "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", self.workdir,
                   "--logfile", self.log_path, "--daemonize", "no"]
        if self.password is not None:
            command += ["--requirepass", self.password]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + scaled(timeout)
        while True:
            try:
                if self.command("PING") == "PONG":
                    return self
            except (OSError, ConnectionError, RedisError):
                pass
            if self.process.poll() is not None:
                raise RuntimeError("redis-server exited with %d: %s"
                                   % (self.process.returncode, self.log()))
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not respond within %.0f s" % scaled(timeout))
            time.sleep(0.05)

    def stop(self, timeout=10.0):
        """Stop the server (SIGTERM); the port is kept for start()."""
        if self.process is None or self.process.poll() is not None:
            return
        if self.paused:
            self.resume()
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def restart(self):
        """Stop and start on the same port, with an empty data set."""
        self.stop()
        return self.start()

    paused = False

    def pause(self):
        """Freeze the server (SIGSTOP): connections stay open, nothing responds."""
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        """Undo pause() (SIGCONT)."""
        self.process.send_signal(signal.SIGCONT)
        self.paused = False

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def command(self, *args, timeout=5.0):
        """Send one command on a new connection (authenticating first when a
        password is set) and return the decoded reply."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            reader = _Reader(sock)
            if self.password is not None:
                sock.sendall(_encode_command(["AUTH", self.password]))
                reader.reply()
            sock.sendall(_encode_command(list(args)))
            return reader.reply()

    def keys(self, pattern="*"):
        """Return the keys matching a pattern, decoded, sorted."""
        return sorted(k.decode() for k in self.command("KEYS", pattern))

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""
