"""The trivial Python handler of the benchmark, run warm by hf-webhooks: the same function as
handlers/js-trivial.js and python/server.py's endpoint (reads the payload, answers a small object)."""


async def handle(payload, context):
    return {"ok": True, "repo": payload["repo"]["name"]}
