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
#
# Only new pull requests run it; any other discussion event is answered 200 "filtered":
# @filter event.scope == discussion
# @filter event.action == create
# @filter discussion.isPullRequest == true
set -eu

payload=$(cat) # the same as $WEBHOOK_PAYLOAD
echo "new pull request on $WEBHOOK_REPO_TYPE $WEBHOOK_REPO_ID" >&2
# Put your own step here: run an evaluation, post a comment with huggingface-cli, notify a chat.
printf '{"repo": "%s", "pullRequest": true, "delivery": "%s"}\n' "$WEBHOOK_REPO_ID" "$WEBHOOK_DELIVERY_ID"
