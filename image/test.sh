#!/usr/bin/env bash
# Builds the server image from the repository's Dockerfile and runs it as a Hugging Face Space
# would, on this machine only: uid 1000, SPACE_HOST, a WEBHOOK_SECRET and a /data volume; one
# delivery each to a shell, a JavaScript and a Python (huggingface_hub app.py) handler; a restart,
# after which the journal on /data still lists them; then the Space that `hf-webhooks deploy
# --export` writes, built on top of it with a requirements.txt, run, and sent deliveries.
#
# No base image can be pulled here, so the base is Debian bookworm made by debootstrap (cached
# under $HF_WEBHOOKS_IMAGE_CACHE, default ~/.cache/hf-webhooks-image, and remade after a week) and
# passed as the BASE_IMAGE build argument. Everything else is what a real build does, apt-get
# from deb.debian.org included. Traffic to the containers stays on 127.0.0.1.
#
# With --jreleaser CLONE, the image under test is the one a release publishes: JReleaser's own
# package step (jreleaser.yml, the hf-webhooks-image distribution) builds it in CLONE, a clone of
# this repository whose origin names the GitHub repository and whose cli/target holds the
# archives (.ci/run makes one), with podman standing in for docker and --dry-run (nothing is
# pushed). The root Dockerfile is built as well, as `docker build .` does.
#
# Needs: root, podman with runc, debootstrap, iptables, curl (.ci/run installs them), and the
# release archive that `./mvnw -B verify` assembles. Removes the containers and images it made
# (builds keep no intermediate layers, so nothing is left behind).
set -Eeuo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: image/test.sh [--jreleaser CLONE]" >&2; exit 2; }
clone=
case $# in
  0) ;;
  2) { [ "$1" = --jreleaser ] && [ -d "$2" ]; } || usage
     clone=$(cd "$2" && pwd) ;;
  *) usage ;;
esac

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
[ "${#archives[@]}" -ge 1 ] \
  || fail "no release archive in cli/target/jreleaser/assemble: run ./mvnw -B verify first"
[ "${#archives[@]}" -eq 1 ] \
  || fail "more than one release archive: ${archives[*]}; run ./mvnw -B clean verify"
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

if [ -n "$clone" ]; then
  # JReleaser runs `docker --log-level error build ...` with the Dockerfile's default base: here
  # docker is podman (runc, the host's limits and no pulls, through CONTAINERS_CONF) and that
  # base is the debootstrap one under the default's name, unless the real one is already here.
  default_base=$(sed -n 's/^ARG BASE_IMAGE=//p' Dockerfile)
  [ -n "$default_base" ] || fail "the Dockerfile has no ARG BASE_IMAGE=... default"
  if pm image exists "$default_base"; then
    say "release build: $default_base is already here: building on it"
  else
    images+=("$default_base")
    pm tag "$base" "$default_base"
  fi
  mkdir -p "$work/bin"
  ln -s "$(command -v podman)" "$work/bin/docker"
  cat > "$work/containers.conf" << EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
pull_policy = "never"
EOF
  step "release build: jreleaser:package --dry-run in $clone, docker being podman"
  if ! (cd "$clone" && PATH="$work/bin:$PATH" CONTAINERS_CONF="$work/containers.conf" \
    BUILDAH_LAYERS=false JRELEASER_GITHUB_TOKEN=dummy \
    ./mvnw -B -pl cli jreleaser:package -Djreleaser.dry.run=true) > "$work/jreleaser.log" 2>&1; then
    grep -E '\[(ERROR|WARNING)\]' "$work/jreleaser.log" | tail -n 30 >&2 || tail -n 30 "$work/jreleaser.log" >&2
    fail "JReleaser's package step did not build the image (above)"
  fi
  mapfile -t published < <(sed -n 's/^\[INFO\] *\[docker\]  - \([^ ]*\)$/\1/p' "$work/jreleaser.log")
  if [ "${#published[@]}" -eq 0 ]; then
    tail -n 30 "$work/jreleaser.log" >&2
    fail "JReleaser named no image it would publish (the end of its log is above)"
  fi
  images+=("${published[@]}")
  for name in "${published[@]}"; do
    pm image exists "$name" || fail "JReleaser named $name but built no such image"
    say "  built $name (a release pushes this name)"
  done
  # The tags README, "The image", promises: a snapshot is early-access and nothing else
  # (never latest); a release is vX.Y.Z, X.Y.Z and latest.
  version=${archives[0]##*/hf-webhooks-}
  version=${version%-linux-x86_64.tgz}
  case $version in
    *-SNAPSHOT) expected=(early-access) ;;
    *) expected=("v$version" "$version" latest) ;;
  esac
  tags=$(printf '%s\n' "${published[@]##*:}" | sort)
  [ "$tags" = "$(printf '%s\n' "${expected[@]}" | sort)" ] \
    || fail "version $version: JReleaser would push the tags $(echo "$tags"), not ${expected[*]}"
  rendered=$clone/cli/target/jreleaser/package/hf-webhooks-image/docker/Dockerfile
  cmp -s "$rendered" Dockerfile \
    || fail "JReleaser's Dockerfile ($rendered) is not the root Dockerfile"
  say "  JReleaser's build context holds the root Dockerfile, unchanged, and assembly/"
  image=${published[0]}
fi

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
  tr -d '[:space:]' < "$body" | grep -qF -- "$3" \
    || fail "POST /webhooks/$1 answered $status without $3: $(cat "$body")"
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

# --- The Space's files as `hf-webhooks deploy --export` writes them (run in the image itself, with
# no network: export calls no Hub), FROM this image, for handlers with a requirements.txt that
# Debian's packages already satisfy. Built with no network at all: pip needs none for that.
space_handlers=$work/space-handlers
mkdir -p "$space_handlers"
cp -p "$handlers/app.py" "$handlers/shell.sh" "$space_handlers/"
echo pydantic > "$space_handlers/requirements.txt"
space=$work/space
mkdir -p "$space"
chown 1000:1000 "$space"
if ! pm run --rm --network none --user 1000:1000 "${ulimits[@]}" -v "$space_handlers:/handlers:ro" \
  -v "$space:/export" "$image" deploy hf-webhooks-test/space --dir /handlers --image "$image" \
  --export /export > "$work/export.log" 2>&1; then
  cat "$work/export.log" >&2
  fail "hf-webhooks deploy --export did not write the Space's files (above)"
fi
[ -f "$space/README.md" ] && [ -f "$space/handlers/requirements.txt" ] \
  || fail "deploy --export wrote no README.md or handlers/requirements.txt into $space"
# The Space's git checkout has no executable bits (the Hub's commit API keeps no file modes):
# the Dockerfile's chmod line must give shell.sh its bit back, as it does on a Space.
find "$space" -type f -exec chmod 644 {} +
[ "$(sed -n 's/^FROM //p' "$space/Dockerfile")" = "$image" ] \
  || fail "the exported Dockerfile does not start FROM $image: $(grep -v '^#' "$space/Dockerfile")"
say "  deploy --export wrote $(cd "$space" && find . -type f | sort | sed 's|^\./||' | paste -sd ' ')"
grep -v '^#' "$space/Dockerfile" | sed 's/^/  | /'
step "build: the exported Space, requirements.txt: pydantic, --network none"
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
deliver shell "$payload" "\"repo\":\"$repo_name\",\"uid\":\"1000\""

current=
step "passed"
