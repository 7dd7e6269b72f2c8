"""The comparison endpoint: what huggingface_hub's WebhooksServer does per request, on its own
stack (FastAPI + pydantic + uvicorn): check the X-Webhook-Secret header, validate the body as the
v3 payload model, run a trivial handler, return a dict. Models follow huggingface_hub's
_webhooks_payload.py."""

import hmac
import os
from typing import List, Literal, Optional

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

SECRET = os.environ["WEBHOOK_SECRET"]


class ObjectId(BaseModel):
    id: str


class WebhookPayloadUrl(BaseModel):
    web: str
    api: Optional[str] = None


class WebhookPayloadMovedTo(BaseModel):
    name: str
    owner: ObjectId


class WebhookPayloadWebhook(ObjectId):
    version: Literal[3]


class WebhookPayloadEvent(BaseModel):
    action: Literal["create", "delete", "move", "update"]
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
    status: Literal["closed", "draft", "open", "merged"]
    changes: Optional[WebhookPayloadDiscussionChanges] = None
    pinned: Optional[bool] = None


class WebhookPayloadRepo(ObjectId):
    owner: ObjectId
    head_sha: Optional[str] = None
    name: str
    private: bool
    subdomain: Optional[str] = None
    tags: Optional[List[str]] = None
    type: Literal["dataset", "model", "space"]
    url: WebhookPayloadUrl


class WebhookPayloadUpdatedRef(BaseModel):
    ref: str
    oldSha: Optional[str] = None
    newSha: Optional[str] = None


class WebhookPayload(BaseModel):
    event: WebhookPayloadEvent
    repo: WebhookPayloadRepo
    discussion: Optional[WebhookPayloadDiscussion] = None
    comment: Optional[WebhookPayloadComment] = None
    webhook: WebhookPayloadWebhook
    movedTo: Optional[WebhookPayloadMovedTo] = None
    updatedRefs: Optional[List[WebhookPayloadUpdatedRef]] = None


app = FastAPI()


@app.post("/webhooks/trivial")
async def trivial(payload: WebhookPayload, request: Request):
    # huggingface_hub checks the header inside its route wrapper, after FastAPI parsed the body.
    given = request.headers.get("x-webhook-secret")
    if given is None:
        return JSONResponse({"error": "x-webhook-secret header not set."}, status_code=401)
    if not hmac.compare_digest(given, SECRET):
        return JSONResponse({"error": "Invalid webhook secret."}, status_code=403)
    return {"ok": True, "repo": payload.repo.name}
