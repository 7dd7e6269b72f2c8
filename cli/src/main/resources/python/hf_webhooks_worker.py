"""hf-webhooks' Python worker: imports one handler file once, then runs its deliveries one at a time.

Started by the server as ``python hf_webhooks_worker.py FILE MODE TOKEN`` (MODE is ``handle`` for a
file that defines handle(payload, context), ``app`` for one that registers routes the way
huggingface_hub does, run as ``__main__`` like ``python app.py``).

The protocol runs on the stdin and stdout the worker was started with, moved to private file
descriptors before any user code runs; fd 0 then reads /dev/null and fd 1 writes where fd 2 does.
So ``print``, ``logging``, C code and subprocesses all write to the log (the server reads fd 2 a
line at a time), and nothing a handler prints can corrupt a frame.

A frame is one ASCII line ``KIND META_LENGTH DATA_LENGTH``, then META_LENGTH bytes of JSON, then
DATA_LENGTH bytes of data. The server sends ``deliver`` (meta: id, route, context, env; data: the
request body). The worker sends ``ready`` (meta: routes) or ``failed`` (meta: error, traceback)
once, then for each delivery ``result`` (data: the answer as JSON, empty for None) or ``error``
(meta: error, traceback), whose ``idle`` says whether the worker is free at once; when it is not,
an ``idle`` frame follows once the delivery's background tasks are done. Before each
``result``/``error`` it writes a marker line to fd 2, so the server knows the delivery's log is
complete.

The worker leaves when stdin reaches its end: at once, with its process group, if it is importing
or a delivery is running (the server is gone, even killed with SIGKILL), else after finishing
normally; either way what its handlers left running ends with it.
"""

import asyncio
import faulthandler
import inspect
import json
import os
import select
import signal
import sys
import threading
import traceback
import types
import typing

from hf_webhooks_calls import BackgroundTasks, Context, Request, Unfillable, build_model, encode, plan

WORKER_DIR = os.path.dirname(os.path.abspath(__file__))
# Frames of these are the machinery around a handler, not the handler: left out of tracebacks.
HIDDEN = (WORKER_DIR, os.path.dirname(asyncio.__file__))


class Frames:
    """Reads the server's frames (on the main thread, no hand-off) and writes the worker's.

    A watchdog thread waits for the server's end of the channel to close (poll reports the hang-up
    without reading anything): if the file is importing or a delivery is running then, the worker
    ends at once with everything it started, since nobody is left to answer.
    """

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self._fd = read_fd
        self._in = os.fdopen(read_fd, "rb")
        self._out = write_fd
        self.busy = True  # importing; then while a delivery runs

    def watch(self) -> None:
        threading.Thread(target=self._watch, name="hf-webhooks-watchdog", daemon=True).start()

    def _watch(self) -> None:
        poller = select.poll()
        poller.register(self._fd, 0)  # no events asked: only a hang-up or an error is reported
        while not any(e & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, e in poller.poll()):
            pass
        if self.busy:
            end_group(signal.SIGKILL)
            os._exit(1)

    def read(self):
        """The next frame as (kind, meta, data), or None once the server closed the channel."""
        header = self._in.readline()
        if not header.endswith(b"\n"):
            return None
        kind, meta_length, data_length = header.decode("ascii").split()
        meta = json.loads(self._in.read(int(meta_length)))
        return kind, meta, self._in.read(int(data_length))

    def send(self, kind: str, meta: dict, data: bytes = b"") -> None:
        # A lone surrogate (in an error message, say) goes as its JSON escape: see encode().
        encoded = json.dumps(meta, ensure_ascii=False).encode("utf-8", "backslashreplace")
        frame = b"%s %d %d\n" % (kind.encode("ascii"), len(encoded), len(data)) + encoded + data
        view = memoryview(frame)
        while view:
            view = view[os.write(self._out, view) :]


def set_environ(values: dict) -> None:
    """Sets (or, for None, removes) variables in os.environ only, not in the C environment.

    os.environ's own setter calls setenv(), and glibc keeps every value ever set for the life of
    the process: with a new delivery id and payload each time, a worker would grow by the size of
    each payload, forever. So subprocesses do not inherit these values unless given
    ``env=os.environ``.
    """
    data = os.environ._data  # the mapping behind os.environ, which setenv() would only mirror
    for key, value in values.items():
        if value is None:
            data.pop(os.environ.encodekey(key), None)
        else:
            try:
                encoded = os.environ.encodevalue(value)
            except UnicodeEncodeError:
                # A lone surrogate (a repo name sent as "\ud800") has no bytes: "?", as a process
                # handler's environment gets it.
                encoded = value.encode("utf-8", "replace")
            data[os.environ.encodekey(key)] = encoded


def end_group(signum: int) -> None:
    """Signals every process of this worker's group, itself last (kill ignores its own group)."""
    if os.getpgrp() != os.getpid():
        return  # setsid failed: the group is the server's, never to be signalled from here
    if signum != signal.SIGKILL:
        # Only the main thread may set a handler (the watchdog thread sends SIGKILL only).
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.killpg(os.getpgrp(), signum)
    except OSError:
        pass


def user_traceback(error: BaseException) -> str:
    """The traceback without the worker's own frames: the user's code is what they debug."""
    frames = [
        f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith(HIDDEN)
    ]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines).rstrip("\n")


def describe(error: BaseException) -> str:
    message = str(error)
    return type(error).__name__ + (": " + message if message else "")


def where(error: BaseException, path: str) -> str:
    """``file.py line N: `` of the deepest line in the handler's folder the error went through."""
    if isinstance(error, SyntaxError) and error.filename and error.lineno:
        return f"{os.path.basename(error.filename)} line {error.lineno}: "
    folder = os.path.dirname(os.path.abspath(path)) + os.sep
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if os.path.abspath(f.filename).startswith(folder)
    ]
    if not frames:
        return ""
    return f"{os.path.basename(frames[-1].filename)} line {frames[-1].lineno}: "


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def install_huggingface_hub() -> None:
    """Makes huggingface_hub's webhook names resolve to hf_webhooks_hub, keeping its payload model.

    With huggingface_hub installed, only its server module is replaced: its lazy ``__getattr__``
    imports ``huggingface_hub._webhooks_server``, which is then found in sys.modules, so Gradio and
    FastAPI are never imported. Without it, a small ``huggingface_hub`` module with the three names
    stands in.
    """
    import importlib.util

    import hf_webhooks_hub as hub

    sys.modules["huggingface_hub._webhooks_server"] = hub
    try:
        real = importlib.util.find_spec("huggingface_hub") is not None
    except (ImportError, ValueError):
        real = False
    if real:
        try:
            from huggingface_hub import _webhooks_payload  # noqa: F401 (needs pydantic, and once gradio)

            return
        except Exception:
            # Its payload module refuses to load without gradio in some versions: keep ours.
            payload = types.ModuleType("huggingface_hub._webhooks_payload")
            payload.WebhookPayload = hub.WebhookPayload
            sys.modules["huggingface_hub._webhooks_payload"] = payload
            import huggingface_hub

            huggingface_hub.__dict__.setdefault("WebhookPayload", hub.WebhookPayload)
            return
    package = types.ModuleType("huggingface_hub")
    package.__path__ = []
    package.WebhooksServer = hub.WebhooksServer
    package.webhook_endpoint = hub.webhook_endpoint
    package.WebhookPayload = hub.WebhookPayload
    package._webhooks_server = hub
    payload = types.ModuleType("huggingface_hub._webhooks_payload")
    payload.WebhookPayload = hub.WebhookPayload
    package._webhooks_payload = payload
    sys.modules["huggingface_hub"] = package
    sys.modules["huggingface_hub._webhooks_payload"] = payload


def load(path: str, mode: str) -> types.ModuleType:
    """Runs the handler file as ``python FILE`` would (app) or imports it as a module (handle)."""
    with open(path, "rb") as source_file:
        source = source_file.read()
    stem = os.path.splitext(os.path.basename(path))[0]
    if mode == "app":
        name = "__main__"
    elif stem.isidentifier() and stem not in sys.modules and stem not in getattr(sys, "stdlib_module_names", ()):
        name = stem
    else:
        # A handler named like a module already in use (json.py) must not replace it.
        name = "hf_webhooks_handler_" + "".join(c if c.isalnum() else "_" for c in stem)
    module = types.ModuleType(name)
    module.__file__ = path
    module.__builtins__ = __builtins__
    sys.modules[name] = module
    exec(compile(source, path, "exec"), module.__dict__)
    return module


class Worker:
    def __init__(self, path: str, mode: str, token: str, frames: Frames) -> None:
        self.path = path
        self.mode = mode
        self.marker = b"\x1ehf-webhooks:" + token.encode("ascii") + b":"
        self.frames = frames
        self.routes: typing.Dict[typing.Optional[str], tuple] = {}
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)

    def start(self) -> bool:
        import hf_webhooks_hub as hub

        try:
            module = load(self.path, self.mode)
        except BaseException as error:  # SystemExit and KeyboardInterrupt at import too
            self.flush()
            self.mark("import")
            self.frames.send(
                "failed", {"error": where(error, self.path) + describe(error), "traceback": user_traceback(error)}
            )
            return False
        described = []
        handle = getattr(module, "handle", None)
        if self.mode == "handle":
            if not callable(handle):
                self.frames.send(
                    "failed",
                    {"error": "defines no function handle(payload, context)", "traceback": ""},
                )
                return False
            described.append(self.add(None, handle, True, None))
        for name, route in hub.registry.routes.items():
            described.append(self.add(name, route.func, False, route.server.webhook_secret))
        # What the import printed ends here: it belongs to no delivery.
        self.flush()
        self.mark("import")
        self.frames.send(
            "ready",
            {"routes": described},
        )
        return True

    def add(self, name, func, positional: bool, secret) -> dict:
        route = {"name": name, "secret": secret}
        try:
            self.routes[name] = (func, plan(func, positional))
        except (Unfillable, ValueError, TypeError) as error:
            route["problem"] = str(error)
        return route

    def serve(self) -> None:
        while True:
            frame = self.frames.read()
            if frame is None:
                return
            kind, meta, data = frame
            if kind != "deliver":
                continue
            self.frames.busy = True
            # os.environ holds the WEBHOOK_* values for the call and its background tasks, as a
            # job started by a webhook has them.
            env = dict(meta["env"], WEBHOOK_PAYLOAD=data.decode("utf-8", "replace"))
            saved = {key: os.environ.get(key) for key in env}
            set_environ(env)
            try:
                tasks = self.deliver(meta, data)
                self.run_tasks(tasks)
                self.flush()
            finally:
                set_environ(saved)
            self.frames.busy = False
            if tasks:
                self.frames.send("idle", {"id": meta["id"]})

    def deliver(self, meta: dict, body: bytes) -> list:
        tasks = BackgroundTasks()
        try:
            func, steps = self.routes[meta.get("route")]
            answer = encode(self.call(func, steps, meta, body, tasks))
        except BaseException as error:
            self.flush()
            detail = user_traceback(error)
            self.mark(meta["id"])
            self.frames.send(
                "error",
                dict(self.usage(meta), id=meta["id"], error=describe(error), traceback=detail, idle=True),
            )
            if isinstance(error, (SystemExit, KeyboardInterrupt)):
                # The handler asked the worker to stop: it does, and the server starts another.
                raise
            return []
        self.flush()
        self.mark(meta["id"])
        # The answer also says whether the worker is free at once, saving a frame per delivery.
        self.frames.send("result", dict(self.usage(meta), id=meta["id"], idle=not tasks.tasks), answer)
        return tasks.tasks

    @staticmethod
    def usage(meta: dict) -> dict:
        """The worker's resident memory, when the server recycles workers by it."""
        return {"rss": rss_bytes()} if meta.get("rss") else {}

    def call(self, func, steps, meta, body, tasks):
        payload = json.loads(body)
        args, kwargs = [], {}
        for name, how, extra, positional in steps:
            if how == "dict":
                value = payload
            elif how == "model":
                value = build_model(extra, payload)
            elif how == "context":
                value = Context(meta)
            elif how == "request":
                value = Request(meta["context"]["headers"], body)
            else:
                value = tasks
            if positional:
                args.append(value)
            else:
                kwargs[name] = value
        result = func(*args, **kwargs)
        if inspect.isawaitable(result):
            result = self.loop.run_until_complete(result)
        return result

    def run_tasks(self, tasks: list) -> None:
        for func, args, kwargs in tasks:
            try:
                result = func(*args, **kwargs)
                if inspect.isawaitable(result):
                    self.loop.run_until_complete(result)
            except Exception:
                traceback.print_exc()

    def mark(self, delivery_id: str) -> None:
        os.write(2, self.marker + delivery_id.encode("ascii") + b"\n")

    @staticmethod
    def flush() -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass


def stopped(signum, frame) -> None:
    """SIGTERM (a timeout, or a stop that took too long): the worker ends with all it started."""
    end_group(signal.SIGKILL)
    os._exit(128 + signum)


def main() -> None:
    path, mode, token = sys.argv[1:4]
    # The protocol moves to private descriptors; what is left of stdin and stdout is harmless.
    frames = Frames(os.dup(0), os.dup(1))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    # Ctrl-C in a terminal is the server's to handle; and this worker's subprocesses form a group
    # (it leads its own session) that can be ended as one.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.setsid()
    except OSError:
        pass
    # On SIGTERM, first (in C, so even a handler stuck in C code shows) where each thread is, into
    # the log; then, once Python gets control, the end of the group.
    signal.signal(signal.SIGTERM, stopped)
    faulthandler.register(signal.SIGTERM, all_threads=True, chain=True)

    sys.path.remove(WORKER_DIR) if WORKER_DIR in sys.path else None
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    sys.path.append(WORKER_DIR)  # last: hf_webhooks_hub must never shadow a module of the user's
    sys.argv = [path]
    install_huggingface_hub()
    frames.watch()
    worker = Worker(path, mode, token, frames)
    code = 1
    try:
        if worker.start():
            frames.busy = False
            worker.serve()
            code = 0
    except SystemExit as error:
        code = error.code if isinstance(error.code, int) else 1
    finally:
        # Leave for good: atexit hooks run, then whatever the handlers left running (a child, a
        # non-daemon thread) ends with the worker instead of keeping it or itself alive.
        Worker.flush()
        import atexit

        atexit._run_exitfuncs()
        end_group(signal.SIGTERM)
        os._exit(code)


if __name__ == "__main__":
    main()
