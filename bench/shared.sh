#!/usr/bin/env bash
# What a shared journal costs (issue 18): `serve --async` over one JavaScript handler (the one of
# bench/journal.sh), with wrk (127.0.0.1 only) against
#   sqlite     one server on the default SQLite journal
#   pg1-head   one server on a PostgreSQL journal
#   pg2-head   two servers on one PostgreSQL journal, wrk split between them
# and with --baseline REV, pg1-base and pg2-base: the same from commit REV, built in a temporary
# worktree and run beside this tree's build, so that a change is measured against what it
# changes in one run. Each PostgreSQL mode has a database of its own.
# Each mode is measured twice: "full", wrk as fast as it goes (acknowledged deliveries/s, and
# deliveries run per second to the end of the queue), and "paced", each connection waiting 100 ms
# between requests (at most 160/s, below what any mode runs), where the acknowledgement's p99 is
# the server's own and not the time a request waits for a busy CPU. On 2 cores, scaling is not
# the point: cost per delivery is. CPU per delivery counts the mode's servers and, for
# PostgreSQL, the database's processes too.
#
# Usage: bench/shared.sh [--baseline REV] [SECONDS] [ROUNDS] [WARMUP]   (measured seconds per
# run, default 10; rounds, 3; warm-up seconds per mode, 30). Needs wrk, and PostgreSQL as
# .ci/postgres sets it up (or BENCH_POSTGRES=postgresql://user:pw@host/db whose user may create
# databases).
set -euo pipefail
cd "$(dirname "$0")/.."
baseline=
if [ "${1:-}" = --baseline ]; then
  baseline=$2
  shift 2
fi
seconds=${1:-10}
rounds=${2:-3}
warmup=${3:-30}
command -v wrk > /dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
command -v psql > /dev/null || { echo "bench: psql is not installed (run .ci/postgres)" >&2; exit 1; }
admin=${BENCH_POSTGRES:-postgresql://hfwebhooks:tests-only-pw@127.0.0.1:5432/postgres}

. bench/lib.sh
build_here head
[ -n "$baseline" ] && build_at "$baseline" base
write_js_handler "$work/handlers"
write_requests 100

# A database for each PostgreSQL mode: servers of one mode must not take another's deliveries.
declare -A journal
new_database() { # mode
  local name=hfw_bench_$$_${1//-/_}
  psql -q "$admin" -c "CREATE DATABASE $name"
  cleanup_hooks+=("psql -q '$admin' -c 'DROP DATABASE IF EXISTS $name WITH (FORCE)' 2> /dev/null")
  journal[$1]=${admin%/*}/$name
}
declare -A members # mode: its servers
modes=(sqlite)
start_server sqlite head --dir "$work/handlers" --async --data-dir "$work/data-sqlite"
members[sqlite]=sqlite
for build in head ${baseline:+base}; do
  for n in 1 2; do
    mode=pg$n-$build
    modes+=("$mode")
    new_database "$mode"
    for i in $(seq 1 "$n"); do
      HF_WEBHOOKS_JOURNAL=${journal[$mode]} start_server "$mode.$i" "$build" --dir "$work/handlers" --async
      members[$mode]="${members[$mode]:-} $mode.$i"
    done
  done
done

# What waits or runs: the SQLite server's queue, or the mode's shared journal's.
waiting() { # mode
  if [ "$1" = sqlite ]; then
    curl -fsS "http://127.0.0.1:${port[sqlite]}/healthz" | sed 's/.*"queued":\([0-9]*\).*/\1/'
  else
    psql -tAq "${journal[$1]}" -c "SELECT count(*) FROM hf_webhooks_deliveries WHERE status IN ('queued', 'running')"
  fi
}
drain() { # mode
  local deadline=$((SECONDS + 600))
  until [ "$(waiting "$1")" = 0 ]; do
    ((SECONDS < deadline)) || { echo "bench: $1's queue did not empty in 10 minutes" >&2; exit 1; }
    sleep 0.2
  done
}
# CPU of a mode's servers, and for PostgreSQL of the database's processes too (the idle servers of
# the other modes poll it twice a second: a little of that is counted).
cpu() { # mode
  local total=0 p s
  for s in ${members[$1]}; do total=$((total + $(cpu_ticks "${pid[$s]}"))); done
  if [ "$1" != sqlite ]; then
    for p in $(pgrep -u postgres); do total=$((total + $(cpu_ticks "$p" 2> /dev/null || echo 0))); done
  fi
  echo "$total"
}
# wrk over the mode's servers at once (16 connections in all); prints "acked/s p50 p99 total bad".
load() { # mode script seconds
  local s n i=0 loads=()
  read -r -a list <<< "${members[$1]}"
  n=${#list[@]}
  for s in "${list[@]}"; do
    wrk -t$((2 / n > 0 ? 2 / n : 1)) -c$((16 / n)) -d"$3s" --latency -s "$2" \
      "http://127.0.0.1:${port[$s]}/webhooks/bench" > "$work/wrk-$i.txt" &
    loads+=($!)
    i=$((i + 1))
  done
  wait "${loads[@]}" # the wrk runs only: the servers are children of this shell too
  cat "$work"/wrk-*.txt | wrk_figures
  rm -f "$work"/wrk-*.txt
}

for mode in "${modes[@]}"; do
  load "$mode" "$work/post.lua" "$warmup" > /dev/null
  drain "$mode"
done

results=$work/results
: > "$results"
echo "| round | mode | run | acked/s | ran/s to the end | ack p50 ms | ack p99 ms | non-2xx | CPU us/delivery | load avg |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for round in $(seq 1 "$rounds"); do
  for mode in "${modes[@]}"; do
    for run in full paced; do
      before=$(cpu "$mode")
      start=$(date +%s.%N)
      read -r rps p50 p99 total bad <<< "$(load "$mode" "$work/$([ $run = full ] && echo post || echo paced).lua" "$seconds")"
      drain "$mode"
      end=$(date +%s.%N)
      used=$(($(cpu "$mode") - before))
      ran=$(awk -v n="$total" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')
      us=$(awk -v t="$used" -v n="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", t * 1e6 / hz / n }')
      echo "| $round | $mode | $run | $rps | $ran | $p50 | $p99 | $bad | $us | $(cut -d' ' -f1 /proc/loadavg) |"
      echo "$mode $run $rps $ran $p50 $p99 $us" >> "$results"
    done
  done
done

echo
echo "Medians of $rounds rounds (head: $(git rev-parse --short HEAD)${baseline:+; base: $baseline}):"
echo
echo "| mode | run | acked/s | ran/s to the end | ack p50 ms | ack p99 ms | CPU us/delivery |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for mode in "${modes[@]}"; do
  for run in full paced; do
    row="| $mode | $run |"
    for column in 3 4 5 6 7; do
      row="$row $(awk -v m="$mode" -v r="$run" -v c="$column" '$1 == m && $2 == r { print $c }' "$results" | median) |"
    done
    echo "$row"
  done
done
echo
echo "Machine: $(machine); $(psql -tAq "$admin" -c 'SHOW server_version' | cut -d' ' -f1) PostgreSQL on the same machine; wrk 16 connections in all, ${seconds} s per run, each mode warmed up for ${warmup} s; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
