#!/bin/sh
# Retrains a model when its training data changes: on pushes to main of a dataset, once a burst
# of uploads is over, and never two trainings on one dataset at once.
#
# Hub webhook: watch your datasets with the "Repo update" event. To have `hf-webhooks hub sync`
# or `serve --register` register it, add a line such as:  @watch dataset:you/your-data
#
# @filter repo.type == dataset
# @filter event.scope == repo.content
# @filter updatedRefs.ref == refs/heads/main
# @debounce 2m key=repo.name max=15m
# @concurrency 1 key=repo.name
#
# The Hub sends one delivery per push; serve answers each 202 and runs this once, 2 minutes after
# the last push of a burst (15 at most after the first), with the latest. Try it (test runs it at
# once):  hf-webhooks test payloads/dataset-repo-content-update.json --handler retrain-on-data
set -eu

echo "retraining on $WEBHOOK_REPO_TYPE $WEBHOOK_REPO_ID" >&2
# Put your own step here: start an HF Job (hf jobs run ...), or train right here.
printf '{"retrain": "%s", "delivery": "%s"}\n' "$WEBHOOK_REPO_ID" "$WEBHOOK_DELIVERY_ID"
