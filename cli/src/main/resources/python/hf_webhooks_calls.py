"""How hf-webhooks calls a Python handler's function: what each parameter gets, and the answer.

``handle(payload, context)`` gets both by position. A function registered the huggingface_hub way
gets its parameters as FastAPI would give them there: by annotation (a pydantic model gets the
model built from the body, ``BackgroundTasks`` the tasks, ``Request`` the request) and by name
(``request``, ``payload``, and hf-webhooks' ``context``).
"""

import dataclasses
import inspect
import json
import typing


class Context:
    """What a handler learns about its delivery besides the payload."""

    def __init__(self, meta: dict) -> None:
        context = meta["context"]
        self.delivery_id: str = meta["id"]
        self.handler: str = context["handler"]
        self.headers: typing.Dict[str, str] = context["headers"]
        self.env: typing.Dict[str, str] = meta["env"]

    def __repr__(self) -> str:
        return f"Context(delivery_id={self.delivery_id!r}, handler={self.handler!r})"


class Request:
    """The part of Starlette's Request a webhook function uses: headers and the body."""

    def __init__(self, headers: typing.Dict[str, str], body: bytes) -> None:
        self.headers = {k.lower(): v for k, v in headers.items()}
        self._body = body
        self.method = "POST"

    async def body(self) -> bytes:
        return self._body

    async def json(self):
        return json.loads(self._body)


class BackgroundTasks:
    """FastAPI's BackgroundTasks: run in order once the answer has been sent."""

    def __init__(self) -> None:
        self.tasks: list = []

    def add_task(self, func, *args, **kwargs) -> None:
        self.tasks.append((func, args, kwargs))


class Unfillable(Exception):
    """A parameter hf-webhooks cannot give a value to."""


def is_model(annotation) -> bool:
    if not isinstance(annotation, type):
        return False
    if any(c.__name__ == "BaseModel" and c.__module__.startswith("pydantic") for c in annotation.__mro__):
        return True
    return hasattr(annotation, "model_validate") or hasattr(annotation, "parse_obj")


def annotation_of(func, parameter):
    """The parameter's annotation, resolved on its own: with ``from __future__ import
    annotations`` one that cannot be resolved (a name imported only for type checkers) must not
    keep the others as strings."""
    annotation = parameter.annotation
    if isinstance(annotation, str):
        try:
            return eval(annotation, getattr(func, "__globals__", {}))  # noqa: S307 (the user's own code)
        except Exception:
            return annotation
    return annotation


def type_name(annotation) -> str:
    """The class name an annotation means, even when it stayed a string (``"fastapi.Request"``)."""
    if isinstance(annotation, str):
        return annotation.rsplit(".", 1)[-1].strip()
    return getattr(annotation, "__name__", "")


def plan(func, positional: bool) -> list:
    """How to fill each parameter of func: a list of (name, how, extra, positional)."""
    steps = []
    payload_given = False
    position = 0
    for parameter in inspect.signature(func).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        annotation = annotation_of(func, parameter)
        name = type_name(annotation)
        if positional and position < 2 and parameter.kind != parameter.KEYWORD_ONLY:
            # handle(payload, context): by position, whatever the names.
            how = ("model" if is_model(annotation) else "dict") if position == 0 else "context"
            steps.append((parameter.name, how, annotation, True))
            payload_given |= position == 0
            position += 1
            continue
        if is_model(annotation) and not payload_given:
            steps.append((parameter.name, "model", annotation, False))
            payload_given = True
        elif name == "Request" or parameter.name == "request":
            steps.append((parameter.name, "request", None, False))
        elif name == "BackgroundTasks":
            steps.append((parameter.name, "tasks", None, False))
        elif parameter.name == "context":
            steps.append((parameter.name, "context", None, False))
        elif parameter.name == "payload" and not payload_given:
            steps.append((parameter.name, "dict", None, False))
            payload_given = True
        elif parameter.default is parameter.empty:
            raise Unfillable(
                f"parameter {parameter.name!r} of {func.__name__}() cannot be filled: hf-webhooks"
                " passes the payload (a dict, or a pydantic model such as WebhookPayload), request,"
                " background tasks (BackgroundTasks) and context"
            )
    return steps


def build_model(cls, data: dict):
    repo = data.get("repo")
    if isinstance(repo, dict) and repo.get("head_sha") is None and "headSha" in repo:
        # huggingface_hub's model calls the Hub's headSha head_sha, and would leave it empty.
        data = dict(data, repo=dict(repo, head_sha=repo["headSha"]))
    if hasattr(cls, "model_validate"):
        return cls.model_validate(data)
    return cls.parse_obj(data)


def encode(value) -> bytes:
    """The answer as JSON bytes, or b"" for None (the server then answers its default)."""
    if value is None:
        return b""

    def fallback(item):
        if hasattr(item, "model_dump"):
            return item.model_dump(mode="json")
        if hasattr(item, "dict") and hasattr(item, "json") and hasattr(item, "__fields__"):
            return json.loads(item.json())
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            return dataclasses.asdict(item)
        if isinstance(item, (set, frozenset, tuple)):
            return list(item)
        if isinstance(item, bytes):
            return item.decode("utf-8", "replace")
        raise TypeError(f"Object of type {type(item).__name__} is not JSON serializable")

    # A lone surrogate (JSON's "\ud800", which json.loads accepts) cannot be UTF-8: written as the
    # escape it came as, it stays valid JSON, and only a string can hold one.
    text = json.dumps(value, default=fallback, ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8", "backslashreplace")
