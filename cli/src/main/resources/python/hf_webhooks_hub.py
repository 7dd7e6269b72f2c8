"""What hf-webhooks gives a handler in place of huggingface_hub's webhooks server.

huggingface_hub's ``WebhooksServer`` and ``webhook_endpoint`` start Gradio and FastAPI; here they
only record which function serves which route, and hf-webhooks serves them. ``WebhookPayload`` is
huggingface_hub's own model when that package is installed, else the models below, which follow
huggingface_hub's (payload version 3) with every optional field defaulting to None, and also fill
``repo.headSha``, the name the Hub sends.

The worker installs this module as ``huggingface_hub._webhooks_server`` (and, without
huggingface_hub, as ``huggingface_hub`` itself) before it runs a handler file, so the handler's
``from huggingface_hub import webhook_endpoint, WebhooksServer, WebhookPayload`` finds it.
"""

from typing import Callable, Dict, List, Optional

try:
    from pydantic import BaseModel
except ImportError:  # pragma: no cover - exercised only where pydantic is missing
    BaseModel = None

__all__ = ["WebhooksServer", "webhook_endpoint", "WebhookPayload", "registry"]


class Registration:
    """One route a file registered: its name under /webhooks/, the function, and the secret."""

    def __init__(self, name: str, func: Callable, server: "WebhooksServer"):
        self.name = name
        self.func = func
        self.server = server


class Registry:
    """Every route registered while a handler file is imported, in order."""

    def __init__(self) -> None:
        self.routes: Dict[str, Registration] = {}

    def add(self, path: Optional[str], func: Callable, server: "WebhooksServer") -> str:
        """Registers func; its route's name. huggingface_hub's rule: the path, or else the
        function's name, with its outer "/" gone."""
        name = (path or func.__name__).strip("/") or func.__name__
        if name in self.routes:
            raise ValueError(f"Webhook /webhooks/{name} already exists.")
        self.routes[name] = Registration(name, func, server)
        return name


registry = Registry()
_global_app: Optional["WebhooksServer"] = None


class WebhooksServer:
    """Records routes as huggingface_hub's server does; serving them is hf-webhooks' job.

    ``ui`` is accepted and ignored (hf-webhooks has its own console). A ``webhook_secret`` given
    here protects this server's routes as ``serve --secret`` protects the others; without one,
    the server's secret applies.
    """

    def __init__(self, ui=None, webhook_secret: Optional[str] = None) -> None:
        self._ui = ui
        self.webhook_secret = webhook_secret or None
        self.registered_webhooks: Dict[str, Callable] = {}

    def add_webhook(self, path=None):
        if callable(path):
            return self.add_webhook()(path)

        def register(func: Callable) -> Callable:
            name = registry.add(path, func, self)
            self.registered_webhooks["/webhooks/" + name] = func
            return func

        return register

    def launch(self, *args, **kwargs) -> None:
        """Does nothing: hf-webhooks serves the routes once the file is imported."""

    def run(self, *args, **kwargs) -> None:
        """Does nothing (the older name of launch)."""


def _global() -> WebhooksServer:
    global _global_app
    if _global_app is None:
        _global_app = WebhooksServer()
    return _global_app


def webhook_endpoint(path=None):
    if callable(path):
        return webhook_endpoint()(path)

    def register(func: Callable) -> Callable:
        app = _global()
        app.add_webhook(path)(func)
        func.run = app.run
        func.launch = app.launch
        return func

    return register


if BaseModel is not None:

    class ObjectId(BaseModel):
        id: str

    class WebhookPayloadUrl(BaseModel):
        web: str
        api: Optional[str] = None

    class WebhookPayloadMovedTo(BaseModel):
        name: str
        owner: ObjectId

    class WebhookPayloadWebhook(ObjectId):
        version: int

    class WebhookPayloadEvent(BaseModel):
        action: str
        scope: str

    class WebhookPayloadDiscussionChanges(BaseModel):
        base: str
        mergeCommitId: Optional[str] = None

    class WebhookPayloadComment(ObjectId):
        author: ObjectId
        hidden: bool
        content: Optional[str] = None
        url: WebhookPayloadUrl

    class WebhookPayloadDiscussion(ObjectId):
        num: int
        author: ObjectId
        url: WebhookPayloadUrl
        title: str
        isPullRequest: bool
        status: str
        changes: Optional[WebhookPayloadDiscussionChanges] = None

    class WebhookPayloadRepo(ObjectId):
        owner: ObjectId
        headSha: Optional[str] = None
        head_sha: Optional[str] = None
        name: str
        private: bool
        subdomain: Optional[str] = None
        tags: Optional[List[str]] = None
        type: str
        url: WebhookPayloadUrl

        def __init__(self, **data):
            # The Hub sends headSha; huggingface_hub's model names it head_sha: both are filled.
            if data.get("head_sha") is None and data.get("headSha") is not None:
                data["head_sha"] = data["headSha"]
            super().__init__(**data)

    class WebhookPayload(BaseModel):
        event: WebhookPayloadEvent
        repo: WebhookPayloadRepo
        discussion: Optional[WebhookPayloadDiscussion] = None
        comment: Optional[WebhookPayloadComment] = None
        webhook: WebhookPayloadWebhook
        movedTo: Optional[WebhookPayloadMovedTo] = None
        updatedRefs: Optional[List[dict]] = None

else:

    class _Fields:
        """Attribute access over the parsed JSON, where pydantic is not installed."""

        def __init__(self, data: dict) -> None:
            for key, value in data.items():
                setattr(self, key, _wrap(value))

        def __repr__(self) -> str:
            return f"{type(self).__name__}({vars(self)!r})"

    def _wrap(value):
        if isinstance(value, dict):
            return _Fields(value)
        if isinstance(value, list):
            return [_wrap(v) for v in value]
        return value

    class WebhookPayload(_Fields):
        """The payload with attribute access (``payload.repo.name``), unvalidated."""

        @classmethod
        def parse_obj(cls, data: dict) -> "WebhookPayload":
            return cls(data)

        @classmethod
        def model_validate(cls, data: dict) -> "WebhookPayload":
            return cls(data)

        def __init__(self, data: dict) -> None:
            super().__init__(data)
            repo = getattr(self, "repo", None)
            if repo is not None and not hasattr(repo, "head_sha"):
                repo.head_sha = getattr(repo, "headSha", None)

