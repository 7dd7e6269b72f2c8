"""py-trivial.py behind an import that takes 1 s (as loading a model or a big library would): the
import should be paid once per worker, when the server starts, not per delivery."""

import time

time.sleep(1)


async def handle(payload, context):
    return {"ok": True, "repo": payload["repo"]["name"]}
