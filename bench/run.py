#!/usr/bin/env python3
"""Runs hf-webhooks side by side with adnanh/webhook and a FastAPI + pydantic endpoint (what
huggingface_hub's WebhooksServer does per request), in turn, in one session, so the ratios hold
on a noisy machine. Writes bench/RESULTS.md. Called by bench/run.sh, which installs the tools.

Every server gets the same payload, secret and load: wrk, 2 threads, 16 connections."""

import argparse
import datetime
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
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PAYLOAD = REPO / "payloads" / "model-repo-content-update.json"
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


class Server:
    """One server under test: how to start it, and the URLs of its routes."""

    def __init__(self, name, command, routes, cwd=None, env=None):
        self.name, self.command, self.routes = name, command, routes
        self.cwd, self.env = cwd, env
        self.process = None

    def start(self, ready_route):
        env = dict(os.environ, **(self.env or {}))
        self.process = subprocess.Popen(
            self.command, cwd=self.cwd, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
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


def hf_webhooks(name, prefix, handlers, data_dir):
    """hf-webhooks installed at prefix, with its journal in data_dir (None: --no-journal), and
    the same program without a journal."""
    hf, bare = free_port(), free_port()
    serve = [str(prefix / "bin" / "hf-webhooks"), "serve", "--dir", str(handlers), "--secret", SECRET]
    # The journal goes to a scratch folder, not the user's own (~/.local/state/hf-webhooks).
    journal = ["--data-dir", str(data_dir)] if data_dir else ["--no-journal"]
    return {
        name: Server(
            name, serve + ["--port", str(hf)] + journal,
            {"js": f"http://127.0.0.1:{hf}/webhooks/js-trivial",
             "sh": f"http://127.0.0.1:{hf}/webhooks/sh-trivial"}),
        f"{name} --no-journal": Server(
            f"{name} --no-journal", serve + ["--port", str(bare), "--no-journal"],
            {"js": f"http://127.0.0.1:{bare}/webhooks/js-trivial"}),
    }


def servers(prefix, handlers, hooks, python_dir, data_dir=None, baseline=None):
    hook, py = free_port(), free_port()
    before = {}
    if baseline:
        before = hf_webhooks("baseline", baseline, handlers, data_dir and data_dir / "baseline")
    return {
        **hf_webhooks("hf-webhooks", prefix, handlers, data_dir),
        **before,
        "adnanh/webhook": Server(
            "adnanh/webhook",
            ["webhook", "-hooks", str(hooks), "-ip", "127.0.0.1", "-port", str(hook)],
            {"sh": f"http://127.0.0.1:{hook}/hooks/sh-trivial"}),
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
]
# With --baseline PREFIX: an earlier build, in the same run, for a before/after table.
BASELINE_SCENARIOS = [
    ("1. trivial handler", "baseline", "js", SECRET, 200),
    ("1. trivial handler", "baseline --no-journal", "js", SECRET, 200),
    ("2. shell script as a process", "baseline", "sh", SECRET, 200),
    ("3. wrong secret (403)", "baseline", "js", "wrong", 403),
]
LABELS = {"js": "JS handler", "sh": "shell script", "py": "Python function"}


def write_hooks(path, script):
    # adnanh/webhook: the same script, the payload in the same variable, the secret checked by a
    # trigger rule on the same header, and 403 when it does not match.
    path.write_text(f"""[{{
  "id": "sh-trivial",
  "execute-command": "{script}",
  "include-command-output-in-response": true,
  "pass-environment-to-command": [{{"source": "entire-payload", "envname": "WEBHOOK_PAYLOAD"}}],
  "trigger-rule-mismatch-http-response-code": 403,
  "trigger-rule": {{"match": {{"type": "value", "value": "{SECRET}",
    "parameter": {{"source": "header", "name": "X-Webhook-Secret"}}}}}}
}}]
""")


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
            f"{java_version}; {webhook}; Python {versions[0]}, FastAPI {versions[1]}, "
            f"uvicorn {versions[2]}, pydantic {versions[3]}; wrk 2 threads, 16 connections")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=25, help="seconds of load per route first")
    parser.add_argument("--output", default=str(BENCH / "RESULTS.md"))
    parser.add_argument("--baseline", help="install prefix of an earlier build to compare with")
    args = parser.parse_args()
    prefix = Path(os.environ["BENCH_PREFIX"])

    work = Path(tempfile.mkdtemp(prefix="hf-webhooks-bench-"))
    handlers = BENCH / "handlers"
    process_only = work / "process-only"
    process_only.mkdir()
    shutil.copy2(handlers / "sh-trivial.sh", process_only / "sh-trivial.sh")
    hooks = work / "hooks.json"
    write_hooks(hooks, handlers / "sh-trivial.sh")

    # Every server starts once and is warmed up before any measurement: a JVM's JIT compilers
    # need tens of seconds of load before the JavaScript path runs at full speed (in the first
    # 15 s a fifth of the CPU goes to compiling). Rounds then alternate between the warm servers,
    # each idle while another is measured.
    cells = {}
    baseline = Path(args.baseline) if args.baseline else None
    scenarios = SCENARIOS + (BASELINE_SCENARIOS if baseline else [])
    running = servers(prefix, handlers, hooks, BENCH / "python", work / "data", baseline)
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
        rss = {name: [server.peak_rss_mib()] for name, server in running.items()}
    finally:
        for server in running.values():
            server.stop()

    print("start-up and list", file=sys.stderr)
    builds = {"hf-webhooks": prefix, **({"baseline": baseline} if baseline else {})}
    startup, list_times = {}, {}
    for name, build in builds.items():
        only_sh = hf_webhooks(name, build, process_only, work / "data" / name)[name]
        with_js = hf_webhooks(name, build, handlers, work / "data" / name)[name]
        startup[f"{name} (process handlers only)"] = startup_times(lambda: only_sh, "sh", 5)
        startup[f"{name} (with a JS handler)"] = startup_times(lambda: with_js, "js", 5)
    others = servers(prefix, handlers, hooks, BENCH / "python")
    for name in ["adnanh/webhook", "FastAPI + pydantic"]:
        startup[name] = startup_times(lambda: others[name], next(iter(others[name].routes)), 5)
    for name, build in builds.items():
        launcher = str(build / "bin" / "hf-webhooks")
        list_times[f"{name}: process handlers only"] = wall_time(
            [launcher, "list", "--dir", str(process_only)], 10)
        list_times[f"{name}: with a JS handler (parsed for syntax errors)"] = wall_time(
            [launcher, "list", "--dir", str(handlers)], 10)
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
        "| scenario | server | handler | req/s | vs webhook | p50 ms | p99 ms | unexpected answers | peak RSS MiB |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    if baseline:
        version = subprocess.run([str(baseline / "bin" / "hf-webhooks"), "--version"],
                                 capture_output=True, text=True).stdout.strip()
        version = version.splitlines()[0] if version else "unknown version"
        lines[2] += f" Baseline: an earlier build ({version}), run beside this one."
    for scenario, who, route, _, _ in sorted(scenarios, key=lambda row: row[0]):
        values = cells[(scenario, who, route)]
        base = next(v for (s, w, _), v in cells.items() if s == scenario and w == "adnanh/webhook")
        ratio = median(values, "rps") / median(base, "rps")
        lines.append(
            f"| {scenario} | {who} | {LABELS[route]} | {median(values, 'rps'):,.0f} | {ratio:.2f}x | "
            f"{median(values, 'p50'):.2f} | {median(values, 'p99'):.2f} | "
            f"{sum(v['unexpected'] for v in values)} | {statistics.median(rss[who]):.0f} |")
    lines += ["", "| start-up: launch to first answered request | median of 5 |", "| --- | ---: |"]
    lines += [f"| {k} | {v * 1000:.0f} ms |" for k, v in startup.items()]
    lines += ["", "| `hf-webhooks list` wall time | median of 10 |", "| --- | ---: |"]
    lines += [f"| {k} | {v * 1000:.0f} ms |" for k, v in list_times.items()]
    lines.append("")
    write_section(Path(args.output), "\n".join(lines))
    print("\n".join(lines))


def write_section(path, text):
    """Replaces this script's section of the results file, keeping the sections other benchmarks
    (bench/journal.sh) wrote there."""
    start, end = "<!-- bench/run.sh: start -->", "<!-- bench/run.sh: end -->"
    block = f"{start}\n{text}{end}\n"
    old = path.read_text() if path.exists() else ""
    if start in old and end in old:
        new = old[: old.index(start)] + block + old[old.index(end) + len(end) + 1 :]
    else:
        new = block + ("\n" + old if old else "")
    path.write_text(new)


if __name__ == "__main__":
    main()
