#!/usr/bin/env python3
"""Issue 17's benchmark: hf-webhooks as a user's server sees it, from the moment it starts, at the
pace the Hub sends (a delivery every 200 ms, a new connection each), beside adnanh/webhook and the
FastAPI endpoint, and beside an earlier build (--baseline PREFIX) in the same rounds. Run by
`bench/run.sh --from-start`, which installs both builds; writes its own section of
bench/RESULTS.md (fromstart_table.py) and, with --raw FILE, every sample as JSON.

Every hf-webhooks server is the installed launcher, journal on in a scratch --data-dir, a fresh
process per measurement. Traffic goes to 127.0.0.1 only. Scenarios (issue 17's targets):
  pace    a server per handler kind; the first delivery the moment it prints "Running on local
          URL", then one every 200 ms for --pace-seconds
  idle    GET /healthz on one kept-alive connection, 200 times after a 50 ms pause each
  start   launch to the first 2xx delivery, retried every 5 ms
  load    the JS handler under wrk from a fresh start in 1 s windows (warm-up), then 8 s of wrk
          per handler kind (still standing, and the memory peak)
  quiet   idle dispatch right after start, then the resident memory after 100 deliveries
  soak    --soak-minutes at Hub pace with a burst of 20 every minute, RSS every 30 s"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import client
import fromstart_table
import run
import soak
from proc import Proc, status_kib

READY = "Running on local URL"
PACE = 0.2
KINDS = {"sh": run.BENCH / "handlers" / "sh-trivial.sh",
         "js": run.BENCH / "handlers" / "js-trivial.js",
         "py": run.PYTHON_HANDLERS / "py-trivial.py"}
FOLDERS = {"sh": ["sh"], "js": ["js"], "py": ["py"], "sh+js": ["sh", "js"],
           "all": ["sh", "js", "py"]}
THIS, BASE, WEBHOOK, FASTAPI, FLOOR = (
    "this build", "baseline", "adnanh/webhook", "FastAPI", "client floor")
HEALTHZ = client.request("GET", "/healthz")
WEBHOOK_ROOT = client.request("GET", "/")  # adnanh/webhook's "OK", its cheapest answer


def ok(status):
    return 200 <= status < 300


class Bench:
    """One run: the handler folders and the servers it starts, each scenario, and every sample
    (raw), tagged with its round."""

    interval = PACE  # soak.py's pace

    def __init__(self, args, builds, work):
        self.args, self.builds, self.work = args, builds, work
        self.raw, self.count, self.loads = [], 0, []
        body = run.PAYLOAD.read_bytes()
        headers = {"X-Webhook-Secret": run.SECRET, "Content-Type": "application/json"}
        self.post = lambda path: client.request("POST", path, body, headers)
        for folder, kinds in FOLDERS.items():
            (work / folder).mkdir()
            for kind in kinds:
                shutil.copy2(KINDS[kind], work / folder / KINDS[kind].name)
        self.hooks = work / "hooks.json"
        run.write_hooks(self.hooks, {"sh-trivial": KINDS["sh"]})
        port = run.free_port()
        self.floor = Proc(FLOOR, [run.SYSTEM_PYTHON, str(run.BENCH / "client.py"), "--floor",
                                  str(port)], port)
        self.floor.deliveries = {"floor": self.post("/floor")}

    def record(self, scenario, target, **fields):
        entry = {"scenario": scenario, "round": self.round, "target": target, **fields}
        self.raw.append(entry)
        return entry

    # The servers under test: each call a new process on a free port of 127.0.0.1.
    def hf(self, target, folder):
        self.count += 1
        port, kinds = run.free_port(), FOLDERS[folder]
        command = [str(self.builds[target] / "bin" / "hf-webhooks"), "serve",
                   "--dir", str(self.work / folder), "--secret", run.SECRET, "--port", str(port),
                   "--data-dir", str(self.work / f"data-{self.count}")]
        if "py" in kinds:
            command += ["--python", run.SYSTEM_PYTHON]
        proc = Proc(f"{target} {folder} {self.count}", command, port)
        proc.deliveries = {k: self.post(f"/webhooks/{KINDS[k].stem}") for k in kinds}
        proc.wrk = {k: f"http://127.0.0.1:{port}/webhooks/{KINDS[k].stem}" for k in kinds}
        return proc

    def webhook(self):
        port = run.free_port()
        proc = Proc(WEBHOOK, ["webhook", "-hooks", str(self.hooks), "-ip", "127.0.0.1",
                              "-port", str(port)], port)
        proc.deliveries = {"sh": self.post("/hooks/sh-trivial")}
        proc.wrk = {"sh": f"http://127.0.0.1:{port}/hooks/sh-trivial"}
        return proc

    def fastapi(self):
        port = run.free_port()
        proc = Proc(FASTAPI, [run.SYSTEM_PYTHON, "-m", "uvicorn", "server:app", "--host",
                              "127.0.0.1", "--port", str(port), "--log-level", "warning",
                              "--no-access-log"], port, cwd=str(run.BENCH / "python"),
                    env={"WEBHOOK_SECRET": run.SECRET})
        proc.deliveries = {"py": self.post("/webhooks/trivial")}
        return proc

    def ready(self, proc):
        """Waits until proc can take a delivery by its own account: hf-webhooks' ready line, the
        others' port accepting (polled every millisecond). Returns seconds since launch."""
        if proc.name in (WEBHOOK, FASTAPI, FLOOR):
            proc.drain()
            deadline = time.monotonic() + 60
            while not client.accepts(proc.port):
                if not proc.alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"{proc.name} did not start: {' '.join(proc.command)}")
                time.sleep(0.001)
            return time.perf_counter() - proc.launched
        return proc.wait_line(READY) - proc.launched

    # Scenarios.
    def paced(self, port, data, seconds, since):
        """One delivery every PACE s from since (a perf_counter()), each on a new connection."""
        samples = []
        for tick in range(1, int(seconds / PACE) + 1):
            delay = since + tick * PACE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            samples.append(client.attempt(port, data))
        return samples

    def idle(self, port, data, when, target):
        """200 requests on one connection, each after 50 ms of quiet."""
        samples, conn = [], client.KeptAlive(port)
        try:
            for _ in range(200):
                time.sleep(0.05)
                try:
                    samples.append(conn.timed(data))
                except OSError:  # the server closed it: a new one, and this one counts as lost
                    samples.append((None, 0))
                    conn.close()
                    conn = client.KeptAlive(port)
        finally:
            conn.close()
        self.record("idle", target, when=when, samples=samples)

    def pace_from_start(self, proc, target, kind):
        """The pace scenario on a fresh proc; then idle dispatch after a JS run, and for the
        anchors their idle memory."""
        proc.launch()
        try:
            ready = self.ready(proc)
            data = proc.deliveries[kind]
            since = time.perf_counter()
            first = client.attempt(proc.port, data)
            samples = self.paced(proc.port, data, self.args.pace_seconds, since)
            self.record("pace", target, kind=kind, ready_s=ready, first=first, samples=samples)
            if kind == "js" or target == WEBHOOK:
                self.idle(proc.port, WEBHOOK_ROOT if target == WEBHOOK else HEALTHZ,
                          "after pace", target)
            if target in (WEBHOOK, FASTAPI):
                time.sleep(5)
                self.record("memory-idle", target, rss_kib=status_kib(proc.pid, "VmRSS"),
                            tree_kib=run.tree_rss_kib(proc.pid))
        finally:
            proc.stop()

    def start(self, proc, target, folder):
        """Launch to the first 2xx, a delivery tried every 5 ms (to the JS handler when the folder
        has one); and when the port first took a connection."""
        data = proc.deliveries.get("js") or next(iter(proc.deliveries.values()))
        launched = proc.launch()
        proc.drain()
        accepted = None
        try:
            while True:
                if not proc.alive() or time.perf_counter() - launched > 120:
                    raise RuntimeError(f"{proc.name} did not start: {' '.join(proc.command)}")
                try:
                    sock = client.connect(proc.port)
                except OSError:
                    time.sleep(0.005)
                    continue
                accepted = accepted or time.perf_counter() - launched
                try:
                    sock.sendall(data)
                    status, _ = client.read_response(sock)
                except OSError:
                    status = 0
                finally:
                    sock.close()
                if ok(status):
                    break
                time.sleep(0.005)
            self.record("start", target, folder=folder, accepted_s=accepted,
                        answered_s=time.perf_counter() - launched)
        finally:
            proc.stop()

    def quiet(self, target):
        """Idle dispatch right after start; then 100 deliveries over every kind, 5 s of rest,
        and the resident memory."""
        proc = self.hf(target, "all")
        proc.launch()
        try:
            self.ready(proc)
            self.idle(proc.port, HEALTHZ, "after start", target)
            failed, kinds = 0, list(proc.deliveries.values())
            for i in range(100):
                failed += not ok(client.attempt(proc.port, kinds[i % 3])[1])
                time.sleep(0.02)
            time.sleep(5)
            self.record("memory-idle", target, rss_kib=status_kib(proc.pid, "VmRSS"),
                        tree_kib=run.tree_rss_kib(proc.pid), failed=failed)
        finally:
            proc.stop()

    def load(self, proc, target):
        """From a fresh start: the JS handler under wrk in 1 s windows for --load-seconds; then
        --seconds of wrk on each kind, the shell's after --warmup s of its own; the memory peak.
        adnanh/webhook: its shell hook, warmed up alike."""
        proc.launch()
        peak, stopping = [0], threading.Event()

        def sample():  # the tree's resident memory, twice a second, under wrk's load only
            while not stopping.wait(0.5):
                peak[0] = max(peak[0], run.tree_rss_kib(proc.pid))

        try:
            self.ready(proc)
            threading.Thread(target=sample, daemon=True).start()
            if target == WEBHOOK:
                run.wrk(proc.wrk["sh"], self.args.warmup)
                self.record("standing", target, kind="sh",
                            **run.wrk(proc.wrk["sh"], self.args.seconds))
                return
            windows, since = [], time.perf_counter()
            while time.perf_counter() - since < self.args.load_seconds:
                result = run.wrk(proc.wrk["js"], 1)
                windows.append({"end_s": time.perf_counter() - since, **result})
            self.record("warmup", target, windows=windows)
            for kind in ["js", "sh", "py"]:
                if kind == "sh":  # the JS handler's warm-up was the windows above
                    run.wrk(proc.wrk[kind], self.args.warmup)
                self.record("standing", target, kind=kind,
                            **run.wrk(proc.wrk[kind], self.args.seconds))
            stopping.set()
            peak[0] = max(peak[0], run.tree_rss_kib(proc.pid))
            self.record("memory-peak", target, hwm_kib=status_kib(proc.pid, "VmHWM"),
                        tree_peak_kib=peak[0])
        finally:
            stopping.set()
            proc.stop()

    def floor_round(self):
        """The client against the canned-answer server: a fresh connection at Hub pace (at most
        10 s of it), and the kept-alive idle requests."""
        data = self.floor.deliveries["floor"]
        samples = self.paced(self.floor.port, data, min(self.args.pace_seconds, 10),
                             time.perf_counter())
        self.record("pace", FLOOR, kind="floor", first=samples[0], samples=samples[1:])
        self.idle(self.floor.port, HEALTHZ, "floor", FLOOR)

    def run_rounds(self):
        self.floor.launch()
        self.ready(self.floor)
        builds = list(self.builds)
        for self.round in range(1, self.args.rounds + 1):
            # Who goes first alternates between rounds, so neither build always follows the other.
            order = builds if self.round % 2 else builds[::-1]
            def say(what):
                # The load average as each step begins: another job on the machine shows here.
                self.loads.append(float(run.load_average()))
                print(f"round {self.round}/{self.args.rounds}: {what}", file=sys.stderr)

            say("client floor")
            self.floor_round()
            for kind in ["sh", "js", "py"]:
                for target in order:
                    say(f"Hub pace from start, {target}, {kind}")
                    self.pace_from_start(self.hf(target, kind), target, kind)
            say("Hub pace from start, anchors")
            self.pace_from_start(self.webhook(), WEBHOOK, "sh")
            self.pace_from_start(self.fastapi(), FASTAPI, "py")
            say(f"start, {self.args.starts} times each")
            for _ in range(self.args.starts):
                for target in order:
                    for folder in ["sh", "sh+js"]:
                        self.start(self.hf(target, folder), target, folder)
                self.start(self.webhook(), WEBHOOK, "sh")
                self.start(self.fastapi(), FASTAPI, "py")
            for target in order:
                say(f"idle dispatch and memory after 100 deliveries, {target}")
                self.quiet(target)
            for target in order:
                say(f"warm-up, still standing and peak memory, {target}")
                self.load(self.hf(target, "all"), target)
            say("still standing, adnanh/webhook")
            self.load(self.webhook(), WEBHOOK)
        if self.args.soak_minutes > 0:
            self.round = None
            print(f"soak: {self.args.soak_minutes} min, {' and '.join(builds)} side by side",
                  file=sys.stderr)
            soak.soak(self, builds)


def version(prefix):
    out = subprocess.run([str(prefix / "bin" / "hf-webhooks"), "--version"],
                         capture_output=True, text=True).stdout.strip()
    return out.splitlines()[0] if out else "unknown version"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pace-seconds", type=float, default=30)
    parser.add_argument("--starts", type=int, default=5, help="starts per folder per round")
    parser.add_argument("--load-seconds", type=int, default=60, help="JS warm-up under wrk")
    parser.add_argument("--warmup", type=int, default=25, help="wrk seconds before a figure")
    parser.add_argument("--seconds", type=int, default=8, help="wrk seconds per figure")
    parser.add_argument("--soak-minutes", type=int, default=10, help="0 skips the soak")
    parser.add_argument("--baseline", help="install prefix of an earlier build")
    parser.add_argument("--output", default=str(run.BENCH / "RESULTS.md"))
    parser.add_argument("--raw", help="JSON file for every sample")
    parser.add_argument("--logs", help="folder to keep each server's output in")
    parser.add_argument("--from-raw", help="write the section again from a --raw file; no run")
    args = parser.parse_args()
    if args.from_raw:
        saved = json.loads(Path(args.from_raw).read_text())
        write(fromstart_table.section(saved["samples"], saved["meta"]), args.output)
        return
    builds = {THIS: Path(os.environ["BENCH_PREFIX"])}
    if args.baseline:
        builds[BASE] = Path(args.baseline)
    if args.logs:
        Proc.logs = Path(args.logs)
        Proc.logs.mkdir(parents=True, exist_ok=True)
    # A SIGTERM ends the run as Ctrl-C does: through the finally below, which stops every server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    meta = {"machine": run.machine(), "cores": os.cpu_count(), "args": vars(args),
            "load_before": run.load_average(),
            "versions": {t: version(p) for t, p in builds.items()}}
    work = Path(tempfile.mkdtemp(prefix="hf-webhooks-fromstart-"))
    bench = Bench(args, builds, work)
    bench.round = None
    try:
        bench.run_rounds()
    finally:
        Proc.stop_all()
        shutil.rmtree(work, ignore_errors=True)
        meta["load_after"] = run.load_average()
        meta["load_max"] = max(bench.loads + [float(meta["load_after"])])
        if args.raw:
            Path(args.raw).write_text(json.dumps({"meta": meta, "samples": bench.raw}) + "\n")
    write(fromstart_table.section(bench.raw, meta), args.output)


def write(text, output):
    run.write_section(Path(output), text, name="bench/run.sh --from-start", after="bench/run.sh")
    print(text)


if __name__ == "__main__":
    main()
