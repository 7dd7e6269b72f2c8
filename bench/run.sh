#!/usr/bin/env bash
# One command for the benchmark: installs what it compares against from Debian's packages when
# missing (adnanh/webhook, wrk, FastAPI, uvicorn), builds and installs hf-webhooks into a
# temporary prefix, and runs bench/run.py, which writes bench/RESULTS.md. About 15 minutes.
# Not part of the tests. Options go to run.py: --rounds N (3), --seconds S (8), --warmup S (25),
# --pace-seconds S (10), --output FILE, --logs DIR (keep each server's output).
# Python handlers (python-handlers/) run on Debian's /usr/bin/python3, which has FastAPI.
#
# --baseline REF   an earlier build beside this one in the same run: a git commit (built in a
#                  temporary worktree and installed into a temporary prefix) or the install
#                  prefix of a build (a folder).
# --from-start     issue 17's scenarios instead (bench/fromstart.py): each server from its start,
#                  at the Hub's pace, with its start time, idle dispatch, warm-up and memory; its
#                  own section of RESULTS.md. About 35 minutes with a baseline (11 a round, 10 of
#                  soak), plus the builds. Its options: --rounds N (2), --pace-seconds S (30),
#                  --starts N (5), --load-seconds S (60), --warmup S (25), --seconds S (8),
#                  --soak-minutes M (10, 0 skips), --raw FILE (every sample as JSON), --output
#                  FILE, --logs DIR; --from-raw FILE writes the section again from a --raw file.
#                  A check of the instrument alone, about 8 minutes: --rounds 1 --pace-seconds 5
#                  --soak-minutes 0; about 4 with --starts 2 --load-seconds 15 --warmup 5
#                  --seconds 3 too (the load figures then mean little).
set -euo pipefail
cd "$(dirname "$0")/.."

script=bench/run.py
baseline=
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --from-start) script=bench/fromstart.py ;;
    --baseline)
      [ $# -ge 2 ] || { echo "run.sh: --baseline needs a git commit or an install prefix" >&2; exit 2; }
      baseline=$2
      shift
      ;;
    --baseline=*) baseline=${1#*=} ;;
    *) args+=("$1") ;;
  esac
  shift
done

missing=()
command -v webhook > /dev/null || missing+=(webhook)
command -v wrk > /dev/null || missing+=(wrk)
/usr/bin/python3 -c 'import fastapi, uvicorn' 2> /dev/null || missing+=(python3-fastapi python3-uvicorn)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

work=$(mktemp -d)
worktree=
cleanup() {
  if [ -n "$worktree" ] && [ -d "$worktree" ]; then
    git worktree remove --force "$worktree" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "$baseline" ]; then
  if [ -d "$baseline" ]; then
    args+=(--baseline "$(cd "$baseline" && pwd)")
  else
    # A commit, not a branch: the worktree is detached, so it never holds a branch another
    # worktree might want.
    commit=$(git rev-parse --verify --quiet "$baseline^{commit}") || {
      echo "run.sh: --baseline $baseline is neither a folder nor a git commit" >&2
      exit 2
    }
    echo "building the baseline, $baseline ($(git rev-parse --short "$commit"))" >&2
    worktree=$work/baseline-source
    git worktree add --quiet --detach "$worktree" "$commit"
    (cd "$worktree" && ./mvnw -B -q -DskipTests -Djreleaser.skip package &&
      PREFIX=$work/baseline ./install.sh --no-build > /dev/null)
    args+=(--baseline "$work/baseline")
  fi
fi

echo "building this checkout" >&2
./mvnw -B -q -DskipTests -Djreleaser.skip package
PREFIX=$work/this ./install.sh --no-build > /dev/null
# In the background, so that a Ctrl-C or a kill of this script reaches the benchmark at once (a
# shell acts on a signal only once its foreground command is done): it then stops every server it
# started, and this script removes the builds after it has.
BENCH_PREFIX=$work/this /usr/bin/python3 "$script" ${args[@]+"${args[@]}"} &
bench=$!
trap 'kill -TERM "$bench" 2> /dev/null || true' INT TERM HUP
status=0
while kill -0 "$bench" 2> /dev/null; do
  wait "$bench" || status=$?
done
exit "$status"
