"""The section bench/fromstart.py writes to bench/RESULTS.md: one row per target of issue 17, the
goal written in the row, the baseline beside this build and the anchors, each figure the median of
the rounds' own figures (a maximum: the highest of the rounds); then how it was measured."""

import datetime
import statistics

import run

TITLE = "## From start, at the Hub's pace (issue 17)"
THIS, BASE, WEBHOOK, FASTAPI, FLOOR = (
    "this build", "baseline", "adnanh/webhook", "FastAPI", "client floor")
LABELS = {"sh": "shell handler", "js": "JS handler", "py": "Python handler"}
GROWTH = 1.05  # "no growth": the last RSS within 5 % of the one after the first minute


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ok(status):
    return 200 <= status < 300


def timed(samples):
    return [ms for ms, _ in samples if ms is not None]


def ms(value):
    if value is None:
        return "-"
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms" if value < 100 else \
        f"{value:,.0f} ms"


def mib(kib):
    return "-" if kib is None else f"{kib / 1024:,.0f} MiB"


def at_most(value, limit, off=lambda v, g: f"+{ms(v - g)}"):
    """'yes', or 'no' and how far off (off(value, limit)); '-' when a figure is missing."""
    if value is None or limit is None:
        return "-"
    return "yes" if value <= limit else f"no: {off(value, limit)}"


def at_least(value, limit, off):
    if value is None or limit is None:
        return "-"
    return "yes" if value >= limit else f"no: {off(value, limit)}"


class Figures:
    """The figures of every scenario, from the raw samples."""

    def __init__(self, raw):
        self.raw = raw

    def records(self, scenario, target, **match):
        return [r for r in self.raw if r["scenario"] == scenario and r["target"] == target
                and all(r.get(k) == v for k, v in match.items())]

    def pace(self, target, kind):
        runs = self.records("pace", target, kind=kind)
        if not runs:
            return {}
        each = [timed(r["samples"]) or [None] for r in runs]
        return {
            "p50": med(med(t) for t in each),
            "p99": med(run.percentile(t, 99) if t[0] is not None else None for t in each),
            "max": max((max(t) for t in each if t[0] is not None), default=None),
            "first": med(r["first"][0] for r in runs),
            "ready": med(r.get("ready_s") for r in runs),
            "failed": sum(not ok(s) for r in runs for _, s in r["samples"] + [r["first"]]),
        }

    def idle(self, target, when):
        runs = [timed(r["samples"]) for r in self.records("idle", target, when=when)]
        runs = [t for t in runs if t]
        return (med(med(t) for t in runs), med(run.percentile(t, 90) for t in runs))

    def start(self, target, folder):
        runs = self.records("start", target, folder=folder)
        return (med(r["answered_s"] * 1000 for r in runs),
                med(r["accepted_s"] * 1000 for r in runs))

    def warmup(self, target):
        """(ratio at 10 s, second when 80 % is first reached, steady req/s, windows' req/s)."""
        rounds = []
        for r in self.records("warmup", target):
            windows = r["windows"]
            steady = statistics.median(w["rps"] for w in windows[-10:])
            at10 = next((w["rps"] for w in windows if w["end_s"] >= 10), None)
            reach = next((w["end_s"] for w in windows if w["rps"] >= 0.8 * steady), None)
            rounds.append((at10 / steady if at10 is not None and steady else None, reach,
                           steady, [w["rps"] for w in windows]))
        if not rounds:
            return None, None, None, []
        length = min(len(r[3]) for r in rounds)
        per_window = [statistics.median(r[3][i] for r in rounds) for i in range(length)]
        return (med(r[0] for r in rounds), med(r[1] for r in rounds),
                med(r[2] for r in rounds), per_window)

    def memory(self, scenario, target, key):
        return med(r.get(key) for r in self.records(scenario, target))

    def standing(self, target, kind):
        runs = self.records("standing", target, kind=kind)
        return med(r["rps"] for r in runs), sum(r["unexpected"] for r in runs)

    def non_2xx_under_load(self, target):
        return (sum(r["unexpected"] for r in self.records("standing", target)) +
                sum(w["unexpected"] for r in self.records("warmup", target) for w in r["windows"]))

    def soak(self, target):
        """(RSS after 1 min, last, largest growth over it), server process and tree; failures."""
        runs = self.records("soak", target)
        if not runs:
            return None
        r = runs[0]
        later = [s for s in r["rss"] if s["t"] >= 60] or r["rss"]
        figures = {}
        for key in ["rss_kib", "tree_kib"]:
            first = later[0][key]
            figures[key] = (first, later[-1][key], max(s[key] for s in later) - first)
        delivered = r["samples"] + r["burst"]
        figures["failed"] = (sum(not ok(s) for _, s in delivered), len(delivered))
        return figures


def section(raw, meta):
    f = Figures(raw)
    has_base = any(r["target"] == BASE for r in raw)
    args = meta["args"]
    rows = []

    def row(goal, cell, anchor, met):
        """cell(target) -> that target's text; met: this build's verdict."""
        rows.append(f"| {goal} | {cell(BASE) if has_base else '-'} | {cell(THIS)} | {anchor} | "
                    f"{met} |")

    def failed(target, kind):
        n = f.pace(target, kind).get("failed")
        return f", {n} not 2xx" if n else ""

    hook, api, floor = f.pace(WEBHOOK, "sh"), f.pace(FASTAPI, "py"), f.pace(FLOOR, "floor")
    for kind, label in LABELS.items():
        row(f"Hub pace, {label}: p50 ≤ adnanh/webhook's",
            lambda t: ms(f.pace(t, kind).get("p50")) + failed(t, kind),
            f"webhook {ms(hook.get('p50'))}; FastAPI {ms(api.get('p50'))}; "
            f"client floor {ms(floor.get('p50'))}",
            at_most(f.pace(THIS, kind).get("p50"), hook.get("p50")))
        row(f"Hub pace, {label}: p99 ≤ adnanh/webhook's (max in brackets)",
            lambda t: f"{ms(f.pace(t, kind).get('p99'))} ({ms(f.pace(t, kind).get('max'))})",
            f"webhook {ms(hook.get('p99'))} ({ms(hook.get('max'))}); FastAPI "
            f"{ms(api.get('p99'))} ({ms(api.get('max'))})",
            at_most(f.pace(THIS, kind).get("p99"), hook.get("p99")))
        row(f"First delivery after start ≤ 50 ms, {label} (sent on the ready line)",
            lambda t: f"{ms(f.pace(t, kind).get('first'))} (line at "
                      f"{ms((f.pace(t, kind).get('ready') or 0) * 1000)})",
            f"webhook {ms(hook.get('first'))}; FastAPI {ms(api.get('first'))} (once the port "
            "accepts)", at_most(f.pace(THIS, kind).get("first"), 50))
    for when, text in [("after start", "right after start"),
                       ("after pace", "after the JS handler's Hub-pace run")]:
        hook_idle, floor_idle = f.idle(WEBHOOK, "after pace"), f.idle(FLOOR, "floor")
        row(f"Idle dispatch, `GET /healthz` kept alive, {text}: median ≤ 0.3 ms "
            "(p90 in brackets)",
            lambda t: f"{ms(f.idle(t, when)[0])} ({ms(f.idle(t, when)[1])})",
            f"webhook `GET /` {ms(hook_idle[0])} ({ms(hook_idle[1])}); client floor "
            f"{ms(floor_idle[0])} ({ms(floor_idle[1])})", at_most(f.idle(THIS, when)[0], 0.3))
    for folder, text, limit in [("sh", "shell handler only", 500),
                                ("sh+js", "shell + JS handler (a JS delivery)", 800)]:
        row(f"Start, {text}: launch to first 2xx delivery ≤ {limit} ms (port accepting in "
            "brackets)",
            lambda t: f"{ms(f.start(t, folder)[0])} ({ms(f.start(t, folder)[1])})",
            f"webhook {ms(f.start(WEBHOOK, 'sh')[0])}; FastAPI {ms(f.start(FASTAPI, 'py')[0])}",
            at_most(f.start(THIS, folder)[0], limit))
    ratio = f.warmup(THIS)[0]

    def warm(t):
        at10, reach, steady, _ = f.warmup(t)
        if steady is None:
            return "-"
        return (f"{at10:.2f} of steady at 10 s; 80 % at {reach:.0f} s; steady {steady:,.0f} req/s"
                if reach is not None and at10 is not None else f"steady {steady:,.0f} req/s")

    row(f"Warm-up: JS req/s ≥ 80 % of its steady state after 10 s of load, from a fresh start",
        warm, "-", at_least(ratio, 0.8, lambda v, g: f"{v:.2f} of steady at 10 s"))
    webhook_idle = (f.memory("memory-idle", WEBHOOK, "rss_kib"),
                    f.memory("memory-idle", FASTAPI, "rss_kib"))
    anchors = f"webhook {mib(webhook_idle[0])}; uvicorn {mib(webhook_idle[1])}"
    for key, text in [("rss_kib", "server process"), ("tree_kib", "with its Python workers")]:
        value = f.memory("memory-idle", THIS, key)
        row(f"Memory idle after 100 deliveries (every kind) ≤ 100 MB (MiB here), {text}",
            lambda t: mib(f.memory("memory-idle", t, key)), anchors,
            at_most(value and value / 1024, 100, lambda v, g: f"+{v - g:,.0f} MiB"))
    for key, text in [("hwm_kib", "server process (VmHWM)"),
                      ("tree_peak_kib", "with its Python workers (highest sampled sum)")]:
        value = f.memory("memory-peak", THIS, key)
        row(f"Memory peak under the load scenario ≤ 256 MB (MiB here), {text}",
            lambda t: mib(f.memory("memory-peak", t, key)), "-",
            at_most(value and value / 1024, 256, lambda v, g: f"+{v - g:,.0f} MiB"))

    def soaked(t):
        s = f.soak(t)
        if not s:
            return "-"
        (a, b, c), (d, e, g) = s["rss_kib"], s["tree_kib"]
        return (f"{mib(a)} → {mib(b)} (max +{mib(c)}); with workers {mib(d)} → {mib(e)} "
                f"(max +{mib(g)}); {s['failed'][0]} of {s['failed'][1]} not 2xx")

    soak = f.soak(THIS)
    growth = soak and max(soak[k][1] / soak[k][0] for k in ["rss_kib", "tree_kib"])
    row(f"No growth over {args['soak_minutes']} min at Hub pace with a burst of 20 a minute: RSS "
        f"after 1 min → last ≤ +{GROWTH - 1:.0%}" if args["soak_minutes"] else
        "No growth over 10 min at Hub pace with bursts (not run: --soak-minutes 0)",
        soaked, "-", at_most(growth, GROWTH, lambda v, g: f"+{v - 1:.1%}"))
    hook_rps = f.standing(WEBHOOK, "sh")[0]
    for kind, factor, text in [("js", 10, "JS handler"), ("sh", 1, "shell handler (a process)")]:
        this_rps = f.standing(THIS, kind)[0]
        row(f"Still standing (warm, journal on): {text} ≥ {factor}× adnanh/webhook's shell "
            "req/s",
            lambda t: "-" if f.standing(t, kind)[0] is None else
            f"{f.standing(t, kind)[0]:,.0f} req/s" + (
                f" ({f.standing(t, kind)[0] / hook_rps:.2f}×)" if hook_rps else ""),
            f"webhook shell {hook_rps or 0:,.0f} req/s",
            at_least(this_rps and hook_rps and this_rps / hook_rps, factor,
                     lambda v, g: f"{v:.2f}×"))
    row("Zero non-2xx under load (warm-up windows and every wrk run)",
        lambda t: f"{f.non_2xx_under_load(t):,}", f"webhook {f.non_2xx_under_load(WEBHOOK):,}",
        at_most(f.non_2xx_under_load(THIS), 0, lambda v, g: f"{v:,}"))

    windows = [f"- {t}: " + ", ".join(f"{v:,.0f}" for v in f.warmup(t)[3])
               for t in ([BASE] if has_base else []) + [THIS] if f.warmup(t)[3]]
    # Above one runnable process per core, another job shared the machine with the servers.
    busy = ("; the machine was busy with other work, so these figures are not those of a quiet "
            "machine" if float(meta.get("load_max") or meta["load_before"]) > meta.get("cores", 2)
            else "")
    versions = "; ".join(f"{t}: {v}" for t, v in meta["versions"].items())
    rounds = args["rounds"]
    return "\n".join([
        TITLE, "",
        f"`bench/run.sh --from-start` on {datetime.date.today()}. {rounds} round(s); every "
        "figure is the median of the rounds' figures, a max the highest; \"met?\" judges this "
        "build.", "",
        "| goal | baseline | this build | anchor(s) | met? |",
        "| --- | --- | --- | --- | --- |",
        *rows, "",
        "JS handler req/s in each 1 s wrk window from a fresh start (medians of the rounds):", "",
        *windows, "",
        f"Method. {meta['machine']}. Load average (1 min) {meta['load_before']} before, at most "
        f"{meta.get('load_max', '-')} as a step began, {meta.get('load_after', '-')} after{busy}. "
        f"Builds: {versions}. Every hf-webhooks server is "
        "the installed launcher, `serve --secret ... --data-dir` (journal on, a new scratch "
        f"folder each start; `--python {run.SYSTEM_PYTHON}` when the folder has a Python "
        "handler), a new process for each scenario; the build under test and the baseline take "
        "turns within each round, who goes first alternating. Hub pace: a folder with the one "
        "handler; the first delivery is sent the moment the server's output shows \"Running on "
        "local URL\" (adnanh/webhook, uvicorn: the moment their port accepts, polled every ms), "
        f"then one every 200 ms on a new connection for {args['pace_seconds']:g} s; p50/p99/max "
        "over those, the first apart. Idle dispatch: 200 requests on one connection, each after "
        "50 ms of quiet. Start: a delivery every 5 ms from launch until one is answered 2xx, "
        f"{args['starts']} starts per folder per round. Warm-up: `wrk -t2 -c16 -d1s` (post.lua) "
        f"back to back for {args['load_seconds']} s; steady = median of the last 10 windows. "
        f"Still standing: {args['seconds']} s of wrk per handler kind after the warm-up (the "
        f"shell's after {args['warmup']} s of its own; adnanh/webhook alike), on the same server, "
        "whose VmHWM and sampled tree RSS then give the peak. Memory idle: a server over the "
        "shell, JS and Python handlers, 100 deliveries in turn 20 ms apart, 5 s of rest, VmRSS; "
        "the anchors' after their Hub-pace run and 5 s of rest. Soak: both builds at once, turns "
        "spread, bursts 30 s apart between them. The client (bench/client.py) writes "
        "pre-built HTTP/1.1 bytes to a raw socket and times from before the connect (for a new "
        "connection) or the send (kept alive) to the end of the answer; the client floor is the "
        "same client against a single-threaded raw-socket Python server in its own process that "
        "answers a canned 200, so it holds the client's cost, the loopback and the kernel's "
        f"wake-ups plus a few tens of µs of that server: Hub pace p50 {ms(floor.get('p50'))}, "
        f"kept alive {ms(f.idle(FLOOR, 'floor')[0])}.", ""])
