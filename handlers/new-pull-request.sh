#!/bin/sh
# Runs when someone opens a pull request on a repository you watch.
#
# Hub webhook: watch your repositories with the "Community (PR & discussions)" event.
# To have `hf-webhooks hub sync` or `serve --register` register it, add a comment line that
# starts with @watch, such as:  @watch model:you/your-model  (and: @domains discussion)
# Try it:  hf-webhooks test ../shared/payloads/discussion-create-pull-request.json --handler new-pull-request
#
# The payload arrives as JSON on stdin and in $WEBHOOK_PAYLOAD, with $WEBHOOK_REPO_ID,
# $WEBHOOK_REPO_TYPE, $WEBHOOK_EVENT_ACTION and $WEBHOOK_EVENT_SCOPE beside it: the same names
# an HF Job started by a webhook gets. stdout is the answer; stderr goes to the server's log.
set -eu

payload=$(cat)
if [ "$WEBHOOK_EVENT_SCOPE" != "discussion" ] || [ "$WEBHOOK_EVENT_ACTION" != "create" ]; then
  echo '{"skipped": "not a new discussion"}'
  exit 0
fi
# A pull request is a discussion with "isPullRequest": true.
if ! printf '%s' "$payload" | tr -d ' \n\t' | grep -q '"isPullRequest":true'; then
  echo '{"skipped": "a discussion, not a pull request"}'
  exit 0
fi

echo "new pull request on $WEBHOOK_REPO_TYPE $WEBHOOK_REPO_ID" >&2
# Put your own step here: run an evaluation, post a comment with huggingface-cli, notify a chat.
printf '{"repo": "%s", "pullRequest": true, "delivery": "%s"}\n' "$WEBHOOK_REPO_ID" "$WEBHOOK_DELIVERY_ID"
