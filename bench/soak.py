"""The soak of bench/fromstart.py: servers running side by side for --soak-minutes at the Hub's
pace with bursts, their resident memory read every 30 s, to see whether it grows."""

import heapq
import threading
import time

import client
import run
from proc import status_kib


def soak(bench, targets):
    """Every target at once for --soak-minutes, their turns spread: a delivery every
    bench.interval s (the kinds in turn), a burst of 20 at once every 60 s, the resident memory
    every 30 s. Records each target's samples, bursts and RSS readings."""
    procs = {t: bench.hf(t, "all") for t in targets}  # fresh servers over every handler kind
    for proc in procs.values():
        proc.launch()
    try:
        for proc in procs.values():
            bench.ready(proc)
        seconds, n = bench.args.soak_minutes * 60, len(procs)
        since = time.perf_counter() + 0.1
        events = []  # (when, tie-break, action, target)
        for i, t in enumerate(procs):
            events += [(i * bench.interval / n + k * bench.interval, 0, "deliver", t)
                       for k in range(int(seconds / bench.interval))]
            events += [(60 * k + 30 * i / n + 5, 1, "burst", t) for k in range(seconds // 60)]
            events += [(30 * k + i, 2, "rss", t) for k in range(seconds // 30 + 1)]
        heapq.heapify(events)
        results = {t: {"samples": [], "rss": [], "burst": []} for t in procs}
        bursts, turn = [], {t: 0 for t in procs}

        def burst(target):
            proc, got = procs[target], results[target]["burst"]
            kinds = list(proc.deliveries.values())
            threads = [threading.Thread(target=lambda d=kinds[j % 3]: got.append(
                client.attempt(proc.port, d))) for j in range(20)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        while events:
            when, _, action, t = heapq.heappop(events)
            delay = since + when - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            proc = procs[t]
            if action == "deliver":
                turn[t] += 1
                data = list(proc.deliveries.values())[turn[t] % 3]
                results[t]["samples"].append(client.attempt(proc.port, data))
            elif action == "burst":
                bursts.append(threading.Thread(target=burst, args=(t,)))
                bursts[-1].start()
            else:
                results[t]["rss"].append({"t": when, "rss_kib": status_kib(proc.pid, "VmRSS"),
                                          "tree_kib": run.tree_rss_kib(proc.pid)})
        for thread in bursts:
            thread.join()
        for t, got in results.items():
            bench.record("soak", t, **got)
    finally:
        for proc in procs.values():
            proc.stop()

