#!/usr/bin/env bash
# Builds the server image from the repository's Dockerfile and runs it as a Hugging Face Space
# would, on this machine only: uid 1000, SPACE_HOST, a WEBHOOK_SECRET and a /data volume; one
# delivery each to a shell, a JavaScript and a Python (huggingface_hub app.py) handler; a restart,
# after which the journal on /data still lists them; then the Dockerfile a Space gets from
# `hf-webhooks deploy` built on top of it, with a requirements.txt, run, and sent a delivery.
#
# No base image can be pulled here, so the base is Debian bookworm made by debootstrap (cached
# under $HF_WEBHOOKS_IMAGE_CACHE, default ~/.cache/hf-webhooks-image, and remade after a week) and
# passed as the BASE_IMAGE build argument. Everything else is what a real build does, apt-get
# from deb.debian.org included. Traffic to the containers stays on 127.0.0.1.
#
# Needs: root, podman with runc, debootstrap, iptables, curl (.ci/run installs them), and the
# release archive that `./mvnw -B verify` assembles. Removes the containers and images it made
# (builds keep no intermediate layers, so nothing is left behind).
set -Eeuo pipefail
cd "$(dirname "$0")/.."

say() { printf 'image/test.sh: %s\n' "$*"; }
# Podman's default runtime, crun, fails on cgroups on these machines; runc works.
pm() { podman --runtime runc "$@"; }

containers=()
images=()
work=
cleanup() {
  local status=$?
  trap - EXIT
  for c in "${containers[@]}"; do pm rm -f -t 2 "$c" > /dev/null 2>&1 || true; done
  for i in "${images[@]}"; do pm rmi -f "$i" > /dev/null 2>&1 || true; done
  [ -z "$work" ] || rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

# On any failure: the log of the container under test, then one line that says what failed.
current=
fail() {
  if [ -n "$current" ]; then
    echo "---- log of container $current ----" >&2
    pm logs "$current" >&2 2>&1 || true
    echo "---- end of log ----" >&2
  fi
  echo "image/test.sh: FAILED: $*" >&2
  exit 1
}
trap 'fail "line $LINENO: $BASH_COMMAND exited $?"' ERR

[ "$(id -u)" = 0 ] || fail "run as root (podman builds and debootstrap need it)"
for tool in podman runc debootstrap iptables curl; do
  command -v "$tool" > /dev/null \
    || fail "$tool is missing: apt-get install podman runc debootstrap iptables curl"
done
shopt -s nullglob
archives=(cli/target/jreleaser/assemble/hf-webhooks-standalone/jlink/hf-webhooks-*-linux-x86_64.tgz)
shopt -u nullglob
[ "${#archives[@]}" -ge 1 ] || fail "no release archive in cli/target/jreleaser/assemble: run ./mvnw -B verify first"
[ "${#archives[@]}" -eq 1 ] || fail "more than one release archive: ${archives[*]}; run ./mvnw -B clean verify"
say "release archive: ${archives[0]}"

# Containers get the host's limits, no higher (podman's defaults are above them here and runc
# then cannot start anything); the kernel also refuses a process limit above pid_max.
limit() { if [ "$1" = unlimited ] || [ "$1" -gt "$2" ]; then echo "$2"; else echo "$1"; fi; }
nofile=$(limit "$(ulimit -n)" 1048576)
nproc=$(limit "$(ulimit -u)" "$(cat /proc/sys/kernel/pid_max)")
ulimits=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")

run=$$
work=$(mktemp -d /tmp/hf-webhooks-image-test.XXXXXX)
base=localhost/hf-webhooks-test-base:$run
image=localhost/hf-webhooks-test:$run
space_image=localhost/hf-webhooks-test-space:$run
started=$SECONDS
step() { say "[$((SECONDS - started))s] $*"; }

# --- The base image: Debian bookworm, minbase, made by debootstrap (about a minute), cached as a
# tarball keyed by suite, variant, architecture and debootstrap's version.
cache=${HF_WEBHOOKS_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hf-webhooks-image}
arch=$(dpkg --print-architecture)
debootstrap_version=$(dpkg-query -W -f '${Version}' debootstrap 2> /dev/null || echo unknown)
rootfs_tar=$cache/debian-bookworm-minbase-$arch-debootstrap$debootstrap_version.tar
mkdir -p "$cache"
if [ -n "$(find "$rootfs_tar" -mtime -7 2> /dev/null)" ]; then
  step "base: cached $rootfs_tar"
else
  step "base: debootstrap --variant=minbase bookworm (cache: $cache)"
  rm -f "$cache"/debian-bookworm-minbase-*.tar
  if ! debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian \
    > "$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log" >&2
    fail "debootstrap could not make the base (log above)"
  fi
  tar -C "$work/rootfs" -cf "$rootfs_tar.part" .
  mv "$rootfs_tar.part" "$rootfs_tar"
  rm -rf "$work/rootfs"
fi
images+=("$base")
pm import -q "$rootfs_tar" "$base" > /dev/null
step "base: imported as $base"

# --- The project's image, from the Dockerfile as it is, on that base.
step "build: Dockerfile with BASE_IMAGE=$base"
images+=("$image")
if ! pm build --layers=false --force-rm --pull=never "${ulimits[@]}" \
  --build-arg "BASE_IMAGE=$base" -t "$image" . > "$work/build.log" 2>&1; then
  tail -n 30 "$work/build.log" >&2
  fail "the Dockerfile did not build (the end of the build log is above)"
fi
step "build: $image, $(pm image inspect --format '{{.Size}}' "$image" | awk '{printf "%d MB", $1 / 1e6}')"

# --- Handlers of each kind: each answers with what identifies it and what it read.
handlers=$work/handlers
mkdir -p "$handlers"
cat > "$handlers/shell.sh" << 'EOF'
#!/bin/sh
# A process handler: the payload on stdin and in WEBHOOK_* variables.
set -eu
cat > /dev/null
printf '{"kind": "shell", "repo": "%s", "uid": "%s"}\n' "$WEBHOOK_REPO_ID" "$(id -u)"
EOF
chmod 755 "$handlers/shell.sh"
cat > "$handlers/script.js" << 'EOF'
// A JavaScript handler, run in-process by GraalJS.
function handle(payload, context) {
  return { kind: "js", repo: payload.repo.name, delivery: context.deliveryId };
}
EOF
cat > "$handlers/app.py" << 'EOF'
# A huggingface_hub webhooks app, unchanged: served without Gradio or FastAPI.
import sys

import pydantic
from huggingface_hub import WebhookPayload, WebhooksServer

app = WebhooksServer()


@app.add_webhook("python")
async def python(payload: WebhookPayload):
    return {"kind": "python", "repo": payload.repo.name, "prefix": sys.prefix,
            "pydantic": pydantic.VERSION}


if __name__ == "__main__":
    app.launch()
EOF
chmod 644 "$handlers/script.js" "$handlers/app.py"

# --- Run it as a Space does.
secret=image-test-$RANDOM$RANDOM
space_host=hf-webhooks-image-test.hf.space
data=$work/data
mkdir -p "$data"
chown 1000:1000 "$data"
container=hf-webhooks-test-$run
containers+=("$container")
pm run -d --name "$container" --user 1000:1000 "${ulimits[@]}" \
  -p 127.0.0.1::7860 -e "SPACE_HOST=$space_host" -e "WEBHOOK_SECRET=$secret" \
  -v "$data:/data" -v "$handlers:/app/handlers:ro" "$image" > /dev/null
current=$container
step "run: $container as uid 1000, SPACE_HOST=$space_host, a secret, /data from $data"

port=
# Waits for /healthz of $1 (at most a minute) and sets port to its port on 127.0.0.1.
wait_healthy() {
  local i
  port=$(pm port "$1" 7860/tcp | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p')
  [ -n "$port" ] || fail "$1 publishes no port on 127.0.0.1"
  for i in $(seq 60); do
    if curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$port/healthz" 2> /dev/null; then
      step "up: $1 answers /healthz on 127.0.0.1:$port"
      return
    fi
    [ "$(pm inspect --format '{{.State.Running}}' "$1")" = true ] || fail "$1 exited before it served"
    sleep 1
  done
  fail "$1 did not answer /healthz within 60 s"
}

body=$work/body
# Posts payload $2 to handler $1 with the secret; the answer's status must be 2xx (a Python
# route answers 503 until its file is imported: that is waited out) and its body, spaces left
# out, must hold $3.
deliver() {
  local status i
  for i in $(seq 60); do
    status=$(curl -sS -m 30 -o "$body" -w '%{http_code}' -H "X-Webhook-Secret: $secret" \
      -H 'Content-Type: application/json' --data-binary "@$2" "http://127.0.0.1:$port/webhooks/$1")
    [ "$status" = 503 ] || break
    sleep 1
  done
  case $status in 2??) ;; *) fail "POST /webhooks/$1 answered $status: $(cat "$body")" ;; esac
  tr -d '[:space:]' < "$body" | grep -qF -- "$3" || fail "POST /webhooks/$1 answered $status without $3: $(cat "$body")"
  say "  POST /webhooks/$1 -> $status $(cat "$body")"
}

payload=payloads/model-repo-content-update.json
repo_name=$(sed -n 's/.*"name": *"\([^"]*\/[^"]*\)".*/\1/p' "$payload" | head -n 1)
[ -n "$repo_name" ] || fail "no repo name found in $payload"

wait_healthy "$container"
status=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' -H 'X-Webhook-Secret: wrong' \
  --data-binary "@$payload" "http://127.0.0.1:$port/webhooks/shell")
[ "$status" = 403 ] || fail "a wrong secret got $status, not 403: WEBHOOK_SECRET was not applied"
say "  a wrong secret -> 403"
deliver shell "$payload" "\"repo\":\"$repo_name\",\"uid\":\"1000\""
deliver script "$payload" "\"kind\":\"js\",\"repo\":\"$repo_name\""
deliver python "$payload" "\"repo\":\"$repo_name\",\"prefix\":\"/opt/venv\""

log=$(pm logs "$container" 2>&1)
grep -qF "Running on public URL: https://$space_host" <<< "$log" \
  || fail "the log does not give the public URL https://$space_host"
grep -qF "Journal: /data/hf-webhooks/" <<< "$log" || fail "the journal is not on /data"
[ -f "$data/hf-webhooks/journal.db" ] || fail "no journal at $data/hf-webhooks/journal.db"
say "  the log gives https://$space_host; the journal is /data/hf-webhooks/journal.db"

# --- A restart keeps the journal: deliveries (in the container, on its default data dir) still
# lists the three, each succeeded.
pm restart -t 10 "$container" > /dev/null
step "restarted $container"
wait_healthy "$container"
listed=$(pm exec "$container" hf-webhooks deliveries)
printf '%s\n' "$listed" | sed 's/^/  | /'
for name in shell script python; do
  grep -Eq "[[:space:]]${name}[[:space:]]+succeeded[[:space:]]" <<< "$listed" \
    || fail "after the restart, deliveries does not list a succeeded delivery to $name"
done
say "  after the restart the journal still lists shell, script and python"

# --- The Dockerfile `hf-webhooks deploy` writes for a Space, FROM this image, with handlers and a
# requirements.txt that Debian's packages already satisfy: built with no network at all, so
# pip proves it needs none for that.
space=$work/space
mkdir -p "$space/handlers"
cp "$handlers/app.py" "$space/handlers/"
echo pydantic > "$space/handlers/requirements.txt"
cat > "$space/Dockerfile" << EOF
# The Space's image: hf-webhooks serving handlers/ (as hf-webhooks deploy writes it).
FROM $image
COPY --chown=1000:1000 handlers/ /app/handlers/
RUN if [ -f /app/handlers/requirements.txt ]; then pip install --no-cache-dir -r /app/handlers/requirements.txt; fi
EOF
step "build: the Space's Dockerfile FROM $image, requirements.txt: pydantic, --network none"
images+=("$space_image")
if ! pm build --layers=false --force-rm --pull=never --network none "${ulimits[@]}" \
  -t "$space_image" "$space" > "$work/space-build.log" 2>&1; then
  tail -n 30 "$work/space-build.log" >&2
  fail "the Space's Dockerfile did not build on the image (the end of its log is above)"
fi
grep -q 'Requirement already satisfied: pydantic' "$work/space-build.log" \
  || fail "pip did not find pydantic already satisfied: $(tail -n 5 "$work/space-build.log")"
say "  pip: Requirement already satisfied: pydantic"

space_container=hf-webhooks-test-space-$run
containers+=("$space_container")
pm run -d --name "$space_container" --user 1000:1000 "${ulimits[@]}" -p 127.0.0.1::7860 \
  -e "SPACE_HOST=$space_host" -e "WEBHOOK_SECRET=$secret" "$space_image" > /dev/null
current=$space_container
step "run: $space_container"
wait_healthy "$space_container"
deliver python "$payload" "\"repo\":\"$repo_name\""

current=
step "passed"
