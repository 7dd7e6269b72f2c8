#!/usr/bin/python3
# The same function as py-trivial.py, as users ran Python before warm workers: a script started
# per delivery. Executable and without handle(), so hf-webhooks runs it as a process, the body on
# stdin; adnanh/webhook runs it too, but gives the payload in $WEBHOOK_PAYLOAD only (stdin empty).
import json
import os
import sys

payload = json.loads(sys.stdin.read() or os.environ["WEBHOOK_PAYLOAD"])
print(json.dumps({"ok": True, "repo": payload["repo"]["name"]}))
