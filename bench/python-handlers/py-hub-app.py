"""The same function written for huggingface_hub (its app.py, served unchanged by hf-webhooks):
the payload validated as the WebhookPayload pydantic model, as python/server.py's endpoint does."""

from huggingface_hub import WebhookPayload, webhook_endpoint


@webhook_endpoint("py-hub")
async def trivial(payload: WebhookPayload):
    return {"ok": True, "repo": payload.repo.name}
