#!/usr/bin/env bash
# One command for the benchmark: installs what it compares against from Debian's packages when
# missing (adnanh/webhook, wrk, FastAPI, uvicorn), builds and installs hf-webhooks into a
# temporary prefix, and runs bench/run.py, which writes bench/RESULTS.md. About 15 minutes.
# Not part of the tests. Options go to run.py: --rounds N (3), --seconds S (8), --warmup S (25),
# --pace-seconds S (10), --output FILE, --logs DIR (keep each server's output).
# Python handlers (python-handlers/) run on Debian's /usr/bin/python3, which has FastAPI.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v webhook > /dev/null || missing+=(webhook)
command -v wrk > /dev/null || missing+=(wrk)
/usr/bin/python3 -c 'import fastapi, uvicorn' 2> /dev/null || missing+=(python3-fastapi python3-uvicorn)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
./mvnw -B -q -DskipTests -Djreleaser.skip package
PREFIX=$prefix ./install.sh --no-build > /dev/null
BENCH_PREFIX=$prefix /usr/bin/python3 bench/run.py "$@"
