#!/usr/bin/env python3
"""Runs hf-webhooks side by side with adnanh/webhook and a FastAPI + pydantic endpoint (what
huggingface_hub's WebhooksServer does per request), in turn, in one session, so the ratios hold
on a noisy machine. Writes bench/RESULTS.md. Called by bench/run.sh, which installs the tools.

Every server gets the same payload, secret and load: wrk, 2 threads, 16 connections. Then, at the
Hub's pace (a few deliveries a second, a new connection each), the latency of one delivery; and
how long the first delivery waits when a Python handler's import is slow."""

import argparse
import datetime
import http.client
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PAYLOAD = REPO / "payloads" / "model-repo-content-update.json"
# The Python handlers, kept out of handlers/ so the start-up and `list` figures of the JS and
# shell handlers stay comparable with earlier runs (a .py file makes the scan start a Python).
PYTHON_HANDLERS = BENCH / "python-handlers"
SECRET = "bench-secret"
# Debian's python3, which has python3-fastapi; a python3 earlier on PATH may not.
SYSTEM_PYTHON = "/usr/bin/python3"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, secret=SECRET, timeout=2):
    request = urllib.request.Request(
        url, data=PAYLOAD.read_bytes(), method="POST",
        headers={"X-Webhook-Secret": secret, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status


def tree_rss_kib(root):
    """Adds up the resident memory (KiB) of process root and every process under it now (its
    Python workers, a handler's process). Shared pages count once per process, so this overstates
    what the tree takes from the machine. A child that has not exec'd yet still runs its parent's
    program in the parent's memory (posix_spawn's vfork: /proc shows the whole JVM's RSS for it)
    and is left out."""
    total, pending = 0, [(root, None)]
    while pending:
        pid, parent_exe = pending.pop()
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
            if exe == parent_exe:
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [(int(c), exe) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            pass  # gone meanwhile
    return total


class Server:
    """One server under test: how to start it, and the URLs of its routes."""

    def __init__(self, name, command, routes, cwd=None, env=None):
        self.name, self.command, self.routes = name, command, routes
        self.cwd, self.env = cwd, env
        self.process = None
        self.peak_tree_kib = 0

    # With --logs DIR, each server's output goes to DIR/<name>.log, to see why it answered what it
    # did; else nowhere.
    logs = None

    def launch(self):
        env = dict(os.environ, **(self.env or {}))
        log = Server.logs / (re.sub(r"[^\w.-]+", "_", self.name) + ".log") if Server.logs else None
        with open(log or os.devnull, "ab") as out:
            self.process = subprocess.Popen(
                self.command, cwd=self.cwd, env=env,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def start(self, ready_route):
        self.launch()
        started = time.monotonic()
        deadline = started + 60
        while True:
            try:
                if post(self.routes[ready_route]) == 200:
                    return time.monotonic() - started
            except Exception:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start: {' '.join(self.command)}")
            time.sleep(0.005)

    def peak_rss_mib(self):
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def sample_tree_rss(self):
        """Keeps the highest resident memory of the server's process tree seen so far."""
        self.peak_tree_kib = max(self.peak_tree_kib, tree_rss_kib(self.process.pid))

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def to_ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def wrk(url, seconds, secret=SECRET, expect=200):
    env = dict(os.environ, BENCH_SECRET=secret, BENCH_PAYLOAD=str(PAYLOAD), BENCH_EXPECT=str(expect))
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", str(BENCH / "post.lua"), url],
        env=env, capture_output=True, text=True, check=True).stdout
    result = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": to_ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99": to_ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "unexpected": int(re.search(r"unexpected-status: (\d+)", out).group(1)),
    }
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["unexpected"] += sum(int(n) for n in errors.groups()) if errors else 0
    return result


def hf_webhooks(name, prefix, handlers, data_dir, python=False):
    """hf-webhooks installed at prefix, with its journal in data_dir (None: --no-journal), and
    the same program without a journal. With python, handlers holds python-handlers/ too, run
    by Debian's Python (the first python3 on PATH may lack what the handlers import)."""
    hf, bare = free_port(), free_port()
    serve = [str(prefix / "bin" / "hf-webhooks"), "serve", "--dir", str(handlers), "--secret", SECRET]
    if python:
        serve += ["--python", SYSTEM_PYTHON]
    # The journal goes to a scratch folder, not the user's own (~/.local/state/hf-webhooks).
    journal = ["--data-dir", str(data_dir)] if data_dir else ["--no-journal"]
    routes = {"js": "js-trivial", "sh": "sh-trivial"}
    bare_routes = {"js": "js-trivial"}
    if python:
        routes.update({"py": "py-trivial", "py-hub": "py-hub", "py-slow": "py-slow-import",
                       "py-script": "py-script"})
        bare_routes["py"] = "py-trivial"
    return {
        name: Server(
            name, serve + ["--port", str(hf)] + journal,
            {k: f"http://127.0.0.1:{hf}/webhooks/{v}" for k, v in routes.items()}),
        f"{name} --no-journal": Server(
            f"{name} --no-journal", serve + ["--port", str(bare), "--no-journal"],
            {k: f"http://127.0.0.1:{bare}/webhooks/{v}" for k, v in bare_routes.items()}),
    }


def servers(prefix, handlers, hooks, python_dir, data_dir=None, baseline=None, every_handler=None):
    """The servers under test. The build under test serves every_handler (handlers/ and
    python-handlers/ in one folder), else handlers/ alone; a baseline build always handlers/."""
    hook, py = free_port(), free_port()
    before = {}
    if baseline:
        before = hf_webhooks("baseline", baseline, handlers, data_dir and data_dir / "baseline")
    return {
        **hf_webhooks("hf-webhooks", prefix, every_handler or handlers, data_dir,
                      python=every_handler is not None),
        **before,
        "adnanh/webhook": Server(
            "adnanh/webhook",
            ["webhook", "-hooks", str(hooks), "-ip", "127.0.0.1", "-port", str(hook)],
            {"sh": f"http://127.0.0.1:{hook}/hooks/sh-trivial",
             "py-script": f"http://127.0.0.1:{hook}/hooks/py-script"}),
        "FastAPI + pydantic": Server(
            "FastAPI + pydantic",
            [SYSTEM_PYTHON, "-m", "uvicorn", "server:app", "--host", "127.0.0.1", "--port", str(py),
             "--log-level", "warning", "--no-access-log"],
            {"py": f"http://127.0.0.1:{py}/webhooks/trivial"},
            cwd=str(python_dir), env={"WEBHOOK_SECRET": SECRET}),
    }


# (scenario, server, route, secret, expected status)
SCENARIOS = [
    ("1. trivial handler", "hf-webhooks", "js", SECRET, 200),
    ("1. trivial handler", "hf-webhooks --no-journal", "js", SECRET, 200),
    ("1. trivial handler", "adnanh/webhook", "sh", SECRET, 200),
    ("1. trivial handler", "FastAPI + pydantic", "py", SECRET, 200),
    ("2. shell script as a process", "hf-webhooks", "sh", SECRET, 200),
    ("2. shell script as a process", "adnanh/webhook", "sh", SECRET, 200),
    ("3. wrong secret (403)", "hf-webhooks", "js", "wrong", 403),
    ("3. wrong secret (403)", "adnanh/webhook", "sh", "wrong", 403),
    ("3. wrong secret (403)", "FastAPI + pydantic", "py", "wrong", 403),
    # The same function in Python: warm in hf-webhooks' workers (a plain dict, or huggingface_hub's
    # payload model as the FastAPI endpoint validates it), and as a python3 started per delivery.
    ("4. trivial Python function", "hf-webhooks", "py", SECRET, 200),
    ("4. trivial Python function", "hf-webhooks --no-journal", "py", SECRET, 200),
    ("4. trivial Python function", "hf-webhooks", "py-hub", SECRET, 200),
    ("4. trivial Python function", "FastAPI + pydantic", "py", SECRET, 200),
    ("4. trivial Python function", "hf-webhooks", "py-script", SECRET, 200),
    ("4. trivial Python function", "adnanh/webhook", "py-script", SECRET, 200),
    ("5. Python handler whose import takes 1 s", "hf-webhooks", "py-slow", SECRET, 200),
]
# With --baseline PREFIX: an earlier build, in the same run, for a before/after table.
BASELINE_SCENARIOS = [
    ("1. trivial handler", "baseline", "js", SECRET, 200),
    ("1. trivial handler", "baseline --no-journal", "js", SECRET, 200),
    ("2. shell script as a process", "baseline", "sh", SECRET, 200),
    ("3. wrong secret (403)", "baseline", "js", "wrong", 403),
]
LABELS = {"js": "JS handler", "sh": "shell script", "py": "Python function",
          "py-hub": "Python function, huggingface_hub app.py (pydantic model)",
          "py-script": "Python script, python3 per delivery",
          "py-slow": "Python function, 1 s import"}
# The Hub's pace: one delivery every 200 ms to each server, a new connection each. Targets in one
# group take turns within each 200 ms; the per-delivery scripts, which keep a core busy for tens of
# milliseconds, run as a group of their own so they do not land on the warm handlers' requests.
PACE_INTERVAL = 0.2
PACE_GROUPS = [
    [("hf-webhooks", "js"), ("hf-webhooks", "py"), ("hf-webhooks --no-journal", "js"),
     ("hf-webhooks --no-journal", "py"), ("FastAPI + pydantic", "py")],
    [("hf-webhooks", "py-script"), ("adnanh/webhook", "py-script")],
]


def write_hooks(path, scripts):
    # adnanh/webhook: the same scripts, the payload in the same variable, the secret checked by a
    # trigger rule on the same header, and 403 when it does not match.
    hooks = [f"""{{
  "id": "{name}",
  "execute-command": "{script}",
  "include-command-output-in-response": true,
  "pass-environment-to-command": [{{"source": "entire-payload", "envname": "WEBHOOK_PAYLOAD"}}],
  "trigger-rule-mismatch-http-response-code": 403,
  "trigger-rule": {{"match": {{"type": "value", "value": "{SECRET}",
    "parameter": {{"source": "header", "name": "X-Webhook-Secret"}}}}}}
}}""" for name, script in scripts.items()]
    path.write_text("[" + ", ".join(hooks) + "]\n")


def timed_post(url, secret=SECRET):
    """One delivery on a new connection, as the Hub sends them: (milliseconds, status), timed from
    before the connection opens to the end of the answer."""
    parts = urllib.parse.urlsplit(url)
    body = PAYLOAD.read_bytes()
    headers = {"X-Webhook-Secret": secret, "Content-Type": "application/json"}
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("POST", parts.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return (time.perf_counter() - started) * 1000, response.status
    finally:
        connection.close()


def percentile(values, p):
    """The nearest-rank percentile: the smallest value at least p % of values are not above."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def pace(targets, seconds):
    """Sends each target one delivery every PACE_INTERVAL for seconds, the targets' turns spread
    evenly over the interval, each on its own thread; returns each target's (ms, status) list."""
    results = {target: [] for target in targets}
    start = time.perf_counter() + 0.1

    def run(target, url, offset):
        for tick in range(int(seconds / PACE_INTERVAL)):
            delay = start + offset + tick * PACE_INTERVAL - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                results[target].append(timed_post(url))
            except OSError:
                results[target].append((float("nan"), 0))

    threads = [threading.Thread(target=run, args=(target, url, i * PACE_INTERVAL / len(targets)))
               for i, (target, url) in enumerate(targets.items())]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def first_delivery(server, route, following):
    """Starts server and, as soon as it answers at all (a 404 for a route it does not have), sends
    one delivery to route; then following more, 100 ms apart. Returns the seconds from launch to
    the first answer of any kind, the first delivery's milliseconds, and the following ones'."""
    probe = server.routes[route].rsplit("/", 1)[0] + "/no-such-handler"
    launched = time.monotonic()
    server.launch()
    try:
        while True:
            try:
                timed_post(probe)
                break
            except OSError:
                if server.process.poll() is not None or time.monotonic() - launched > 60:
                    raise RuntimeError(f"{server.name} did not start: {' '.join(server.command)}")
                time.sleep(0.005)
        answering = time.monotonic() - launched
        first, status = timed_post(server.routes[route])
        later = []
        for _ in range(following):
            time.sleep(0.1)
            later.append(timed_post(server.routes[route]))
        if status != 200 or any(s != 200 for _, s in later):
            raise RuntimeError(f"{server.name}: {route} answered {status}, {later}")
        return answering, first, [ms for ms, _ in later]
    finally:
        server.stop()


def startup_times(make, route, runs):
    times = []
    for _ in range(runs):
        server = make()
        try:
            times.append(server.start(route))
        finally:
            server.stop()
    return statistics.median(times)


def wall_time(command, runs):
    times = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.monotonic() - started)
    return statistics.median(times)


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem = int(next(l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines()
                   if l.startswith("MemTotal"))) / 1024 / 1024
    java = (Path(os.environ["BENCH_PREFIX"]) / "share/hf-webhooks/java.conf").read_text()
    java = re.search(r"HF_WEBHOOKS_JAVA='([^']+)'", java).group(1)
    java_version = subprocess.run([java, "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    webhook = subprocess.run(["webhook", "-version"], capture_output=True, text=True).stdout.strip()
    versions = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import fastapi, uvicorn, pydantic, sys;"
         "print(sys.version.split()[0], fastapi.__version__, uvicorn.__version__, pydantic.VERSION)"],
        capture_output=True, text=True).stdout.split()
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Linux {platform.release()}; "
            f"{java_version}; {webhook}; Python {versions[0]} ({SYSTEM_PYTHON}), FastAPI "
            f"{versions[1]}, uvicorn {versions[2]}, pydantic {versions[3]}; wrk 2 threads, 16 "
            "connections")


def load_average():
    return Path("/proc/loadavg").read_text().split()[0]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=25, help="seconds of load per route first")
    parser.add_argument("--output", default=str(BENCH / "RESULTS.md"))
    parser.add_argument("--baseline", help="install prefix of an earlier build to compare with")
    parser.add_argument("--logs", help="folder to keep each server's output in")
    parser.add_argument("--pace-seconds", type=int, default=10,
                        help="seconds of Hub-paced deliveries per group in each round")
    args = parser.parse_args()
    prefix = Path(os.environ["BENCH_PREFIX"])
    loads = [load_average()]
    if args.logs:
        Server.logs = Path(args.logs)
        Server.logs.mkdir(parents=True, exist_ok=True)

    work = Path(tempfile.mkdtemp(prefix="hf-webhooks-bench-"))
    handlers = BENCH / "handlers"
    process_only = work / "process-only"
    process_only.mkdir()
    shutil.copy2(handlers / "sh-trivial.sh", process_only / "sh-trivial.sh")
    # The build under test serves the JS, shell and Python handlers from one folder; the start-up
    # and `list` figures below use handlers/ alone, as before.
    every_handler = work / "handlers"
    every_handler.mkdir()
    for source in [*handlers.iterdir(), *PYTHON_HANDLERS.iterdir()]:
        if source.is_file():
            shutil.copy2(source, every_handler / source.name)
    hooks = work / "hooks.json"
    write_hooks(hooks, {"sh-trivial": handlers / "sh-trivial.sh",
                        "py-script": PYTHON_HANDLERS / "py-script.py"})

    # Every server starts once and is warmed up before any measurement: a JVM's JIT compilers
    # need tens of seconds of load before the JavaScript path runs at full speed (in the first
    # 15 s a fifth of the CPU goes to compiling). Rounds then alternate between the warm servers,
    # each idle while another is measured.
    cells = {}
    baseline = Path(args.baseline) if args.baseline else None
    scenarios = SCENARIOS + (BASELINE_SCENARIOS if baseline else [])
    running = servers(prefix, handlers, hooks, BENCH / "python", work / "data", baseline,
                      every_handler)
    # The servers' own code runs in one process each, but a hf-webhooks with Python handlers has
    # its workers as children: their memory is sampled alongside, twice a second, under wrk's load
    # only (at the Hub's pace this process times requests itself, and a sample would hold the GIL).
    stopping, pacing = threading.Event(), threading.Event()

    def sample():
        while not stopping.wait(0.5):
            for server in list(running.values()):
                if not pacing.is_set() and server.process and server.process.poll() is None:
                    server.sample_tree_rss()

    threading.Thread(target=sample, daemon=True).start()
    paced = {}
    try:
        for name, server in running.items():
            print(f"starting and warming up {name} ({args.warmup} s per route)", file=sys.stderr)
            server.start(next(iter(server.routes)))
            for route in server.routes.values():
                wrk(route, args.warmup)
        for round_ in range(args.rounds):
            for name, server in running.items():
                print(f"round {round_ + 1}/{args.rounds}: {name}", file=sys.stderr)
                for scenario, who, route, secret, expect in scenarios:
                    if who == name:
                        result = wrk(server.routes[route], args.seconds, secret, expect)
                        cells.setdefault((scenario, who, route), []).append(result)
                        print(f"  {scenario}, {route}: {result['rps']:,.0f} req/s, "
                              f"p99 {result['p99']:.2f} ms", file=sys.stderr)
            for group in PACE_GROUPS:
                print(f"round {round_ + 1}/{args.rounds}: Hub pace, {len(group)} targets, "
                      f"{args.pace_seconds} s", file=sys.stderr)
                pacing.set()
                got = pace({t: running[t[0]].routes[t[1]] for t in group}, args.pace_seconds)
                pacing.clear()
                for target, samples in got.items():
                    paced.setdefault(target, []).append(samples)
        rss = {name: [server.peak_rss_mib()] for name, server in running.items()}
        tree_rss = {name: server.peak_tree_kib / 1024 for name, server in running.items()}
    finally:
        stopping.set()
        for server in running.values():
            server.stop()
    loads.append(load_average())

    print("start-up and list", file=sys.stderr)
    builds = {"hf-webhooks": prefix, **({"baseline": baseline} if baseline else {})}
    startup, list_times = {}, {}
    for name, build in builds.items():
        only_sh = hf_webhooks(name, build, process_only, work / "data" / name)[name]
        with_js = hf_webhooks(name, build, handlers, work / "data" / name)[name]
        startup[f"{name} (process handlers only)"] = startup_times(lambda: only_sh, "sh", 5)
        startup[f"{name} (with a JS handler)"] = startup_times(lambda: with_js, "js", 5)
    # A folder with one Python handler: the start-up, and the slow import's first delivery.
    python_only = {}
    for stem in ["py-trivial", "py-slow-import"]:
        folder = work / f"only-{stem}"
        folder.mkdir()
        shutil.copy2(PYTHON_HANDLERS / f"{stem}.py", folder / f"{stem}.py")
        name = f"hf-webhooks, {stem}.py alone"
        python_only[stem] = hf_webhooks(name, prefix, folder, work / "data" / stem,
                                        python=True)[name]
    startup["hf-webhooks (with a Python handler)"] = startup_times(
        lambda: python_only["py-trivial"], "py", 5)
    others = servers(prefix, handlers, hooks, BENCH / "python")
    for name in ["adnanh/webhook", "FastAPI + pydantic"]:
        startup[name] = startup_times(lambda: others[name], next(iter(others[name].routes)), 5)

    print("first deliveries after a start (a Python import of 1 s, and none)", file=sys.stderr)
    firsts = {}
    for _ in range(5):
        for stem, route in [("py-slow-import", "py-slow"), ("py-trivial", "py")]:
            firsts.setdefault(stem, []).append(first_delivery(python_only[stem], route, 20))
    for name, build in builds.items():
        launcher = str(build / "bin" / "hf-webhooks")
        list_times[f"{name}: process handlers only"] = wall_time(
            [launcher, "list", "--dir", str(process_only)], 10)
        list_times[f"{name}: with a JS handler (parsed for syntax errors)"] = wall_time(
            [launcher, "list", "--dir", str(handlers)], 10)
    list_times["hf-webhooks: with a Python handler (parsed by a python3)"] = wall_time(
        [str(prefix / "bin" / "hf-webhooks"), "list", "--dir", str(work / "only-py-trivial"),
         "--python", SYSTEM_PYTHON], 10)
    shutil.rmtree(work)

    def median(values, key):
        return statistics.median(v[key] for v in values)

    lines = [
        "# Benchmarks: hf-webhooks, adnanh/webhook and huggingface_hub's stack",
        "",
        f"`bench/run.sh` on {datetime.date.today()}: {machine()}. "
        f"Each server started once and warmed up with {args.warmup} s of the same load per route; "
        f"then {args.rounds} rounds of {args.seconds} s per cell, servers in turn within each round; "
        "each figure is the median over the rounds. Ratios are to adnanh/webhook "
        "in the same scenario.",
        "",
        f"Load average (1 min) {loads[0]} before the run, {loads[1]} after the loaded part. "
        "Peak RSS is the server process's own (VmHWM); with children, the highest sum of it and "
        "every process under it, sampled twice a second during the rounds (hf-webhooks' Python "
        "workers, handler processes; shared pages counted once per process).",
        "",
        "| scenario | server | handler | req/s | vs webhook | p50 ms | p99 ms | unexpected answers | peak RSS MiB | with children MiB |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    if baseline:
        version = subprocess.run([str(baseline / "bin" / "hf-webhooks"), "--version"],
                                 capture_output=True, text=True).stdout.strip()
        version = version.splitlines()[0] if version else "unknown version"
        lines[2] += f" Baseline: an earlier build ({version}), run beside this one."
    for scenario, who, route, _, _ in sorted(scenarios, key=lambda row: row[0]):
        values = cells[(scenario, who, route)]
        base = next((v for (s, w, _), v in cells.items() if s == scenario and w == "adnanh/webhook"),
                    None)
        ratio = f"{median(values, 'rps') / median(base, 'rps'):.2f}x" if base else "-"
        lines.append(
            f"| {scenario} | {who} | {LABELS[route]} | {median(values, 'rps'):,.0f} | {ratio} | "
            f"{median(values, 'p50'):.2f} | {median(values, 'p99'):.2f} | "
            f"{sum(v['unexpected'] for v in values)} | {statistics.median(rss[who]):.0f} | "
            f"{tree_rss[who]:.0f} |")

    def pooled(target):
        # A delivery that got no answer at all is counted under "not 200", not timed.
        return [ms for samples in paced[target] for ms, _ in samples if not math.isnan(ms)]

    lines += [
        "",
        f"At the Hub's pace: one delivery every {PACE_INTERVAL * 1000:.0f} ms to each server, a new "
        f"connection each, {args.pace_seconds} s per round, after that round's load; the targets "
        "of a group take turns within each interval. Percentiles over every round's deliveries; "
        "the p50 range is the lowest and highest of the rounds' p50s.",
        "",
        "| server | handler | deliveries | p50 ms | p50 of rounds | p90 ms | p99 ms | max ms | not 200 |",
        "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for group in PACE_GROUPS:
        for target in group:
            values = pooled(target)
            rounds = [statistics.median(ms for ms, _ in samples if not math.isnan(ms))
                      for samples in paced[target]]
            failed = sum(status != 200 for samples in paced[target] for _, status in samples)
            lines.append(
                f"| {target[0]} | {LABELS[target[1]]} | {len(values)} | "
                f"{statistics.median(values):.2f} | {min(rounds):.2f}-{max(rounds):.2f} | "
                f"{percentile(values, 90):.2f} | {percentile(values, 99):.2f} | "
                f"{max(values):.2f} | {failed} |")

    lines += [
        "",
        "A Python handler whose module sleeps 1 s when imported, against the trivial one: the "
        "server started alone with that one file, 5 times; as soon as it answered at all, one "
        "delivery, then 20 more, 100 ms apart, each on a new connection. Medians of the 5 starts.",
        "",
        "| handler | launch to first answer (404 probe) | first delivery ms | launch to first delivery | following: p50 ms | following: max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for stem, runs in firsts.items():
        answering = statistics.median(r[0] for r in runs)
        first = statistics.median(r[1] for r in runs)
        total = statistics.median(r[0] + r[1] / 1000 for r in runs)
        later = statistics.median(statistics.median(r[2]) for r in runs)
        worst = max(max(r[2]) for r in runs)
        lines.append(f"| {stem}.py | {answering * 1000:.0f} ms | {first:.0f} | "
                     f"{total * 1000:.0f} ms | {later:.2f} | {worst:.2f} |")

    def rps(who, route):
        return median(cells[("4. trivial Python function", who, route)], "rps")

    warm, fastapi = rps("hf-webhooks", "py"), rps("FastAPI + pydantic", "py")
    warm_bare = rps("hf-webhooks --no-journal", "py")
    gaps = {who: statistics.median(pooled((who, "py"))) - statistics.median(pooled((who, "js")))
            for who in ["hf-webhooks", "hf-webhooks --no-journal"]}
    slow, trivial = firsts["py-slow-import"], firsts["py-trivial"]
    first_cost = statistics.median(r[0] + r[1] / 1000 for r in slow) - statistics.median(
        r[0] + r[1] / 1000 for r in trivial)
    slow_later = statistics.median(statistics.median(r[2]) for r in slow)
    slow_load = median(cells[("5. Python handler whose import takes 1 s", "hf-webhooks", "py-slow")],
                       "rps")

    def verdict(ok):
        return "met" if ok else "missed"

    lines += [
        "",
        "| Python target | measured | verdict |",
        "| --- | --- | --- |",
        f"| warm Python handler throughput >= the FastAPI endpoint's | {warm:,.0f} vs {fastapi:,.0f} "
        f"req/s ({warm / fastapi:.2f}x); `--no-journal` {warm_bare:,.0f} ({warm_bare / fastapi:.2f}x) | "
        f"{verdict(warm >= fastapi)} (`--no-journal`: {verdict(warm_bare >= fastapi)}) |",
        f"| p50 at 5 deliveries/s within 2 ms of a JS handler's | Python minus JS: "
        f"{gaps['hf-webhooks']:+.2f} ms; `--no-journal` {gaps['hf-webhooks --no-journal']:+.2f} ms | "
        f"{verdict(gaps['hf-webhooks'] <= 2)} (`--no-journal`: "
        f"{verdict(gaps['hf-webhooks --no-journal'] <= 2)}) |",
        f"| an import of 1 s costs 1 s once, not per delivery | launch to first delivery "
        f"{first_cost * 1000:+.0f} ms against the trivial handler; following deliveries p50 "
        f"{slow_later:.2f} ms; under load {slow_load:,.0f} req/s (trivial: {warm:,.0f}) | "
        f"{verdict(first_cost <= 1.1 and slow_later < 50)} |",
    ]
    lines += ["", "| start-up: launch to first answered request | median of 5 |", "| --- | ---: |"]
    lines += [f"| {k} | {v * 1000:.0f} ms |" for k, v in startup.items()]
    lines += ["", "| `hf-webhooks list` wall time | median of 10 |", "| --- | ---: |"]
    lines += [f"| {k} | {v * 1000:.0f} ms |" for k, v in list_times.items()]
    lines.append("")
    write_section(Path(args.output), "\n".join(lines))
    print("\n".join(lines))


def write_section(path, text, name="bench/run.sh", after=None):
    """Replaces the section of the results file marked as name's, keeping the sections other
    benchmarks (bench/journal.sh, bench/run.sh --from-start) wrote there. A new section goes
    after the one marked as after when there is one, else first."""
    start, end = f"<!-- {name}: start -->", f"<!-- {name}: end -->"
    block = f"{start}\n{text}{end}\n"
    old = path.read_text() if path.exists() else ""
    if start in old and end in old:
        new = old[: old.index(start)] + block + old[old.index(end) + len(end) + 1 :]
    elif after and f"<!-- {after}: end -->" in old:
        cut = old.index(f"<!-- {after}: end -->") + len(f"<!-- {after}: end -->") + 1
        new = old[:cut] + "\n" + block + old[cut:]
    else:
        new = block + ("\n" + old if old else "")
    path.write_text(new)


if __name__ == "__main__":
    main()
