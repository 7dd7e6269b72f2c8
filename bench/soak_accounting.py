#!/usr/bin/env python3
"""Issue 20's long run: one `serve --async` over a shell, a JavaScript and a Python handler for
--minutes (30 by default), fed at a sped-up Hub pace with bursts, some deliveries failing and some
timing out on purpose, retried, with the console read meanwhile and a --keep small enough that
retention runs many times. Run by bench/soak.sh, which builds the jar.

Every --sample seconds: the server's resident memory and its process tree's, its threads, its
open files, the journal's files on disk and its rows, the Python workers; and where the JVM's
memory is (Native Memory Tracking's committed figures: heap, code, class metadata, threads, GC,
compilers, other), with what resident memory holds beyond them (GraalVM's native code, the C
library's arenas). That breakdown says whether a rising RSS is a leak or the JIT filling in. At the end, the
accounting: each accepted delivery (a 202 with its id) against what the handlers saw (each
handler notes the id of every attempt it runs: the shell and Python ones in a file, the JS one in
the server's log, since its sandbox has no files) and what the journal recorded (read from the
console's /api/deliveries while it runs, as retention removes old deliveries).

The payload's repo name chooses the outcome (acme/ok, acme/fail, acme/timeout), so a handler
that saw a delivery N times is explained only by N attempts that reached it. --timeout is 2 s so
that timeouts stay cheap; a retry may then wait for the Python worker a timeout replaced (up to
--timeout, then it runs with its own); one that found none in that time is recorded timed out
without running the handler: counted apart, from the server's log. Traffic goes to 127.0.0.1
only."""

import argparse
import json
import os
import re
import shutil
import subprocess
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import run
from proc import Proc, descendants, status_kib

READY = "Running on local URL"
KINDS = ("sh", "js", "py")
# Per kind, in turn: eight of ten succeed, one fails, one times out (so each kind gets each).
OUTCOMES = ("ok", "ok", "ok", "fail", "ok", "ok", "ok", "timeout", "ok", "ok")
FINAL = {"ok": "succeeded", "fail": "failed", "timeout": "timed_out"}
TERMINAL = {"succeeded", "failed", "timed_out"}

# Each handler first notes the delivery id it runs, then does what the repo name asks.
SHELL = """#!/bin/sh
echo "$WEBHOOK_DELIVERY_ID" >> {seen}
case $WEBHOOK_REPO_ID in
  */fail) echo "failing on purpose" >&2; exit 1 ;;
  */timeout) exec sleep 60 ;;
esac
echo '{{"ok": true}}'
"""
JS = """function handle(payload, context) {
  console.log("seen " + context.deliveryId);
  const outcome = payload.repo.name.split("/")[1];
  if (outcome === "fail") throw new Error("failing on purpose");
  if (outcome === "timeout") for (;;) {}  // cancelled at --timeout
  return { ok: true };
}
"""
PYTHON = """import time

def handle(payload, context):
    with open({seen!r}, "a") as seen:
        seen.write(context.delivery_id + "\\n")
    outcome = payload["repo"]["name"].split("/")[1]
    if outcome == "fail":
        raise RuntimeError("failing on purpose")
    if outcome == "timeout":
        time.sleep(60)  # the worker is stopped at --timeout and replaced
    return {{"ok": True}}
"""


class Soak:
    def __init__(self, args, work):
        self.args, self.work = args, work
        self.handlers, self.data = work / "handlers", work / "data"
        self.handlers.mkdir()
        self.seen = {kind: work / f"seen-{kind}.txt" for kind in KINDS}
        (self.handlers / "soak-sh.sh").write_text(SHELL.format(seen=self.seen["sh"]))
        (self.handlers / "soak-sh.sh").chmod(0o755)
        (self.handlers / "soak-js.js").write_text(JS)
        (self.handlers / "soak-py.py").write_text(PYTHON.format(seen=str(self.seen["py"])))
        self.port = run.free_port()
        Proc.logs = work
        command = [args.java, "--enable-native-access=ALL-UNNAMED",
                   "--sun-misc-unsafe-memory-access=allow",
                   # the launcher's memory flags (cli/src/main/launcher/hf-webhooks)
                   "-XX:G1PeriodicGCInterval=2000", "-XX:TrimNativeHeapInterval=2000",
                   # where the memory goes: a few MB and a little CPU, read with jcmd per sample
                   "-XX:NativeMemoryTracking=summary",
                   "-cp", args.cp, "dev.hfwebhooks.Main", "serve",
                   "--dir", str(self.handlers), "--secret", run.SECRET, "--port", str(self.port),
                   "--data-dir", str(self.data), "--python", run.SYSTEM_PYTHON, "--async",
                   "--keep", str(args.keep), "--timeout", str(args.timeout),
                   "--retries", str(args.retries), "--retry-delay", args.retry_delay]
        self.server = Proc("serve", command, self.port)
        self.body = json.loads(run.PAYLOAD.read_text())
        self.lock = threading.Lock()
        self.sent = 0
        self.accepted = {}  # id -> (kind, outcome)
        self.refused = []  # (kind, outcome, status or error)
        self.recorded = {}  # id -> (status, attempts), the latest the console showed
        self.samples = []
        self.reads = {"/": 0, "/api/deliveries": 0, "/api/deliveries/{id}": 0, "failed": 0}

    # HTTP, urllib: what a figure costs is not the point here.
    def http(self, method, path, body=None, secret=False):
        headers = {"Content-Type": "application/json"}
        if secret or body is not None:
            headers["X-Webhook-Secret"] = run.SECRET
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body,
                                         method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def deliver(self):
        """The next delivery: its kind and outcome from a counter, its answer kept."""
        with self.lock:
            n, self.sent = self.sent, self.sent + 1
        kind, outcome = KINDS[n % 3], OUTCOMES[(n // 3) % len(OUTCOMES)]
        body = dict(self.body, repo=dict(self.body["repo"], name=f"acme/{outcome}"))
        try:
            status, answer = self.http("POST", f"/webhooks/soak-{kind}",
                                       json.dumps(body).encode())
        except OSError as error:
            status, answer = repr(error), b""
        with self.lock:
            if status == 202:
                self.accepted[json.loads(answer)["delivery"]] = (kind, outcome)
            else:
                self.refused.append((kind, outcome, status))

    def burst(self):
        threads = [threading.Thread(target=self.deliver) for _ in range(self.args.burst)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def read_console(self, page=False):
        """What the console reads: the deliveries list (kept as the journal's record of each),
        one delivery's details, and now and then the page itself."""
        try:
            status, answer = self.http("GET", "/api/deliveries?limit=200")
            self.reads["/api/deliveries"] += 1
            rows = json.loads(answer) if status == 200 else []
            rows = rows.get("deliveries", rows) if isinstance(rows, dict) else rows
            with self.lock:
                for row in rows:
                    self.recorded[row["id"]] = (row["status"], row["attempts"])
            if rows:
                status, _ = self.http("GET", f"/api/deliveries/{rows[0]['id']}", secret=True)
                self.reads["/api/deliveries/{id}"] += 1
            if page:
                status, _ = self.http("GET", "/")
                self.reads["/"] += 1
        except (OSError, ValueError, KeyError):
            self.reads["failed"] += 1

    def sample(self, since, drained=False):
        pid = self.server.pid
        files = [f for f in self.data.iterdir() if f.name.startswith("journal.db")]
        rows = attempts = None
        try:
            with sqlite3.connect(f"file:{self.data / 'journal.db'}?mode=ro", uri=True,
                                 timeout=5) as db:
                rows = db.execute("SELECT count(*) FROM deliveries").fetchone()[0]
                attempts = db.execute("SELECT count(*) FROM attempts").fetchone()[0]
        except sqlite3.Error:
            pass
        workers = 0
        for child in descendants(pid):
            try:
                if "python" in os.readlink(f"/proc/{child}/exe"):
                    workers += 1
            except OSError:
                pass
        with self.lock:
            sent, accepted = self.sent, len(self.accepted)
        self.samples.append({
            "minute": round((time.monotonic() - since) / 60, 1), "drained": drained,
            "rss_mib": status_kib(pid, "VmRSS") / 1024,
            "tree_mib": run.tree_rss_kib(pid) / 1024,
            "threads": status_kib(pid, "Threads"),
            "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "journal_mib": sum(f.stat().st_size for f in files) / 2**20,
            "journal_files": len(files), "rows": rows, "attempt_rows": attempts,
            "workers": workers, "sent": sent, "accepted": accepted,
            "nmt": self.native_memory(pid),
            "load": Path("/proc/loadavg").read_text().split()[0]})
        print(" ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                       for k, v in self.samples[-1].items() if k != "nmt"), flush=True)

    def native_memory(self, pid):
        """Committed MiB per Native Memory Tracking category (Java Heap, Code, Class, Thread, GC,
        Compiler, ...) and their total; empty when jcmd cannot be read."""
        jcmd = Path(self.args.java).with_name("jcmd")
        try:
            out = subprocess.run([str(jcmd), str(pid), "VM.native_memory", "summary"],
                                 capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            return {}
        found = {}
        for line in out.splitlines():
            total = re.match(r"Total: reserved=\d+KB, committed=(\d+)KB", line.strip())
            category = re.match(r"-\s+(.+?) \(reserved=\d+KB, committed=(\d+)KB\)", line.strip())
            if total:
                found["Total"] = int(total.group(1)) / 1024
            elif category:
                found[category.group(1)] = int(category.group(2)) / 1024
        return found

    def run(self):
        args = self.args
        self.server.launch()
        self.server.wait_line(READY)
        seconds = args.minutes * 60
        since = time.monotonic()
        # (when, what), in time order; the first sample at once, the last at the end.
        events = [(k * args.interval, "deliver") for k in range(int(seconds / args.interval))]
        events += [(k * args.burst_every + args.burst_every / 2, "burst")
                   for k in range(int(seconds // args.burst_every))]
        events += [(k * args.read_every, "read") for k in range(int(seconds / args.read_every))]
        events += [(k * args.sample, "sample") for k in range(int(seconds // args.sample) + 1)]
        events.sort(key=lambda e: e[0])
        bursts, reads = [], 0
        for when, what in events:
            delay = since + when - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if what == "deliver":
                self.deliver()
            elif what == "burst":
                bursts.append(threading.Thread(target=self.burst))
                bursts[-1].start()
            elif what == "read":
                reads += 1
                self.read_console(page=reads % 5 == 0)
            else:
                self.sample(since)
        for thread in bursts:
            thread.join()
        # Drain: until every accepted delivery shows a final status in the console.
        deadline = time.monotonic() + args.drain
        while time.monotonic() < deadline:
            self.read_console()
            with self.lock:
                open_ = [d for d in self.accepted
                         if self.recorded.get(d, ("?",))[0] not in TERMINAL]
            if not open_:
                break
            time.sleep(1)
        self.sample(since, drained=True)
        self.server.stop()

    def seen_ids(self, log):
        seen = {kind: {} for kind in KINDS}
        for kind in ("sh", "py"):
            if self.seen[kind].exists():
                for line in self.seen[kind].read_text().split():
                    seen[kind][line] = seen[kind].get(line, 0) + 1
        for line in re.findall(r"\[soak-js\] seen (\S+)", log):
            seen["js"][line] = seen["js"].get(line, 0) + 1
        return seen

    def account(self):
        """Per kind: accepted, seen at least once, lost (never seen, never recorded, or not the
        final status its outcome asks for), seen more than once, and the attempts that explain a
        count other than one: the server's log has a line for each attempt, so a handler must
        have seen a delivery as many times as attempts reached it, less those stopped at
        --timeout (which may end before the handler's first line runs). An attempt that found no
        free Python worker within --timeout never reached the handler."""
        log = (self.work / "serve.log").read_text(errors="replace")
        seen, table = self.seen_ids(log), []
        attempts = {}  # id -> [(status, reached the handler)]
        for match in re.finditer(r"delivery=(\S+) attempt \d+ (\w+) in [^\n]*", log):
            reached = "no Python worker was free" not in match.group(0)
            attempts.setdefault(match.group(1), []).append((match.group(2), reached))
        for kind in KINDS:
            mine = {d: o for d, (k, o) in self.accepted.items() if k == kind}
            row = {"kind": kind, "accepted": len(mine), "seen": 0, "never_seen": 0,
                   "not_recorded": 0, "wrong_status": 0, "seen_again": 0, "no_worker": 0,
                   "stopped_unseen": 0, "unexplained": 0,
                   "attempts_seen": sum(seen[kind].values()), "stray": 0}
            for delivery, outcome in mine.items():
                times = seen[kind].get(delivery, 0)
                status, recorded = self.recorded.get(delivery, (None, 0))
                tried = attempts.get(delivery, [])
                ran = sum(reached for _, reached in tried)
                stopped = sum(reached and s == "timed_out" for s, reached in tried)
                row["seen"] += times > 0
                row["never_seen"] += times == 0
                row["not_recorded"] += status is None
                row["wrong_status"] += status is not None and status != FINAL[outcome]
                row["seen_again"] += times > 1
                row["no_worker"] += len(tried) - ran
                row["stopped_unseen"] += 0 < ran - times <= stopped
                row["unexplained"] += (times > ran or ran - times > stopped
                                       or (status is not None and recorded != len(tried)))
            row["stray"] = len(set(seen[kind]) - set(mine))
            table.append(row)
        return table


def markdown(soak, table):
    out = ["| minute | server RSS MiB | tree RSS MiB | threads | open fds | journal MiB (files) "
           "| journal rows (earlier attempts) | Python workers | accepted | load |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for s in soak.samples:
        minute = f"{s['minute']}, drained" if s["drained"] else s["minute"]
        out.append(f"| {minute} | {s['rss_mib']:.0f} | {s['tree_mib']:.0f} | {s['threads']} "
                   f"| {s['fds']} | {s['journal_mib']:.1f} ({s['journal_files']}) | {s['rows']} "
                   f"({s['attempt_rows']}) | {s['workers']} | {s['accepted']} | {s['load']} |")
    # Where the server's memory is: NMT's committed MiB, and RSS beyond what the JVM tracks.
    shown = ("Java Heap", "Code", "Class", "Metaspace", "Thread", "GC", "Compiler", "Internal",
             "Other", "Symbol", "Arena Chunk", "Native Memory Tracking")
    shown = [c for c in shown if any(c in s.get("nmt", {}) for s in soak.samples)]
    out += ["", "| minute | RSS | NMT total | " + " | ".join(shown) + " | RSS beyond NMT |",
            "| --- " * (len(shown) + 4) + "|"]
    for s in soak.samples:
        nmt = s.get("nmt") or {}
        if "Total" not in nmt:
            continue
        cells = " | ".join(f"{nmt.get(c, 0):.1f}" for c in shown)
        out.append(f"| {s['minute']} | {s['rss_mib']:.0f} | {nmt['Total']:.0f} | {cells} "
                   f"| {s['rss_mib'] - nmt['Total']:.0f} |")
    out += ["", "| handler | accepted | seen | never seen | not recorded | wrong final status "
            "| seen more than once (retried) | attempts with no free worker "
            "| deliveries with an attempt stopped unseen | unexplained | attempts seen "
            "| stray ids |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in table:
        out.append(f"| {r['kind']} | {r['accepted']} | {r['seen']} | {r['never_seen']} "
                   f"| {r['not_recorded']} | {r['wrong_status']} | {r['seen_again']} "
                   f"| {r['no_worker']} | {r['stopped_unseen']} | {r['unexplained']} "
                   f"| {r['attempts_seen']} | {r['stray']} |")
    out += ["", f"Sent {soak.sent}, accepted {len(soak.accepted)}, refused {len(soak.refused)} "
            f"{sorted(set(map(str, soak.refused)))[:5]}; console reads {soak.reads}."]
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--java", required=True)
    parser.add_argument("--cp", required=True, help="the jar and cli/target/lib/*")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--interval", type=float, default=1.5, help="s between deliveries")
    parser.add_argument("--burst", type=int, default=20, help="deliveries in a burst")
    parser.add_argument("--burst-every", type=float, default=180, help="s between bursts")
    parser.add_argument("--read-every", type=float, default=2, help="s between console reads")
    parser.add_argument("--sample", type=float, default=60, help="s between samples")
    parser.add_argument("--keep", default="100")
    parser.add_argument("--timeout", type=int, default=2)
    parser.add_argument("--retries", type=int, default=2)
    parser.add_argument("--retry-delay", default="500ms")
    parser.add_argument("--drain", type=float, default=180, help="s to wait for the queue")
    parser.add_argument("--raw", type=Path, help="write the samples and accounting as JSON")
    parser.add_argument("--keep-work", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hfw-soak-"))
    soak = Soak(args, work)
    try:
        soak.run()
    finally:
        Proc.stop_all()
    table = soak.account()
    print()
    print(markdown(soak, table))
    if args.raw:
        args.raw.write_text(json.dumps({"samples": soak.samples, "accounting": table,
                                        "sent": soak.sent, "refused": soak.refused,
                                        "reads": soak.reads, "accepted": soak.accepted,
                                        "recorded": soak.recorded}, indent=1))
    if args.keep_work:
        print(f"\nScratch folder: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    bad = sum(r["never_seen"] + r["not_recorded"] + r["wrong_status"] + r["unexplained"]
              + r["stray"] for r in table)
    return 1 if bad or soak.refused else 0


if __name__ == "__main__":
    sys.exit(main())
