#!/bin/sh
# The trivial shell handler of the benchmark, run by hf-webhooks and by adnanh/webhook alike:
# both hand it the payload in $WEBHOOK_PAYLOAD, and it answers a small JSON object.
printf '{"ok": true, "bytes": %d}\n' "${#WEBHOOK_PAYLOAD}"
