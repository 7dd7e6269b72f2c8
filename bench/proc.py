"""A server process of bench/fromstart.py: launched in a session of its own, its output read by
the benchmark (to see "Running on local URL" the moment it is printed) and kept in --logs, and
stopped with everything it started, whatever happens to the run (Ctrl-C included)."""

import os
import re
import select
import signal
import subprocess
import threading
import time
from pathlib import Path


def status_kib(pid, field):
    """A memory figure of /proc/PID/status in KiB (VmRSS: resident now, VmHWM: its peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def descendants(pid):
    """Every process under pid now, children first."""
    found, pending = [], [pid]
    while pending:
        parent = pending.pop()
        try:
            for task in Path(f"/proc/{parent}/task").iterdir():
                children = [int(c) for c in (task / "children").read_text().split()]
                found += children
                pending += children
        except OSError:
            pass  # gone meanwhile
    return found


class Proc:
    """One server. Its own session and process group, so that stopping it reaches the processes
    it started (handlers' processes); its Python workers may lead groups of their own, so they
    are found through /proc and ended too if the server left them behind."""

    logs = None  # a folder for each server's output, or None
    live = set()

    def __init__(self, name, command, port, cwd=None, env=None):
        self.name, self.command, self.port = name, command, port
        self.cwd, self.env = cwd, env
        self.process = self.log = self.drainer = None
        self.launched = None

    @property
    def pid(self):
        return self.process.pid

    def launch(self):
        """Starts the server; returns the perf_counter() just before, the launch's time zero."""
        if Proc.logs:
            name = re.sub(r"[^\w.-]+", "_", self.name) + ".log"
            self.log = open(Proc.logs / name, "ab")
        self.launched = time.perf_counter()
        self.process = subprocess.Popen(
            self.command, cwd=self.cwd, env=dict(os.environ, **(self.env or {})),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=self.log or subprocess.DEVNULL, start_new_session=True)
        Proc.live.add(self)
        return self.launched

    def wait_line(self, text, timeout=120):
        """Reads the server's output in this thread until a line holds text; returns the
        perf_counter() when it was read. From then on a thread drains the output."""
        fd, seen, deadline = self.process.stdout.fileno(), b"", time.monotonic() + timeout
        needle = text.encode()
        while needle not in seen:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: no '{text}' after {timeout} s")
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"{self.name} ended before printing '{text}': "
                                   f"{' '.join(self.command)}")
            self._keep(chunk)
            seen = seen[-len(needle):] + chunk
        now = time.perf_counter()
        self.drain()
        return now

    def drain(self):
        """Reads the rest of the output in a thread, so the server never blocks on a full pipe."""
        if self.drainer is None:
            self.drainer = threading.Thread(target=self._drain, daemon=True)
            self.drainer.start()

    def _drain(self):
        fd = self.process.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self._keep(chunk)

    def _keep(self, chunk):
        if self.log:
            self.log.write(chunk)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """SIGTERM to the server's group (it stops its workers itself), SIGKILL after 20 s; then
        whatever it started that is still there."""
        if self.process is None:
            return
        left = descendants(self.pid)
        if self.process.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        for group in [self.pid] + left:
            try:
                os.killpg(group, signal.SIGKILL)  # a group the server or a worker led
            except (ProcessLookupError, PermissionError):
                pass
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.drainer:
            self.drainer.join(5)
        self.process.stdout.close()
        if self.log:
            self.log.close()
        Proc.live.discard(self)

    @classmethod
    def stop_all(cls):
        for proc in list(cls.live):
            proc.stop()
