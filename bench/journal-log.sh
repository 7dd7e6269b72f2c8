#!/usr/bin/env bash
# What SQLite's write-ahead log (JournalLog) costs and saves (issue 18): serve as it is ("log")
# against the same commit with the log off ("nolog": SqliteJournal.openForServe passes a log size
# of 0, so each write is a transaction of its own through the writer thread, as `replay` has
# them). The "nolog" build comes from a temporary worktree of HEAD with that one line patched:
# nothing in the product turns the log off.
#
# Three workloads, each on a server of each build, started once and warmed up:
#   js-async   --async over a JavaScript handler: 202 once recorded, a worker runs it
#   js-sync    the default, the same handler run in the request
#   sh-sync    the default, a shell handler (a process per delivery)
# each measured twice: "max", wrk -t2 -c16 as fast as it goes, for deliveries/s (with --async:
# requests over the time until the queue is empty again, so the workers' part counts), and
# "paced", wrk -t1 -c4 with 40 ms between a connection's requests (at most 100/s, far below what
# either build can take), where p50 and p99 are the server's own time, not a queue for the CPU.
# The builds run back to back for each measurement, in the other order every other round (ABBA),
# so that the shared machine's noise hits both alike; the medians of the rounds come last.
#
# Usage: bench/journal-log.sh [SECONDS] [ROUNDS] [WARMUP]   (measured seconds per run, default 10;
# rounds, 5; warm-up seconds per server, 30). Needs wrk, and no uncommitted change under cli/
# (both builds are HEAD's).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
rounds=${2:-5}
warmup=${3:-30}
command -v wrk > /dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
git diff --quiet HEAD -- cli || { echo "bench: commit cli/ first: both builds are HEAD's" >&2; exit 2; }

. bench/lib.sh
build_here log
echo "building it again without the log" >&2
source_tree=$work/nolog-source
worktrees+=("$source_tree")
git worktree add --quiet --detach "$source_tree" HEAD
journal=$source_tree/cli/src/main/java/dev/hfwebhooks/journal/sqlite/SqliteJournal.java
sed -i 's/return openForServe(file, retention, LOG_FILE_SIZE);/return openForServe(file, retention, 0);/' "$journal"
grep -q 'return openForServe(file, retention, 0);' "$journal" || {
  echo "bench: could not turn the log off in $journal: has openForServe changed?" >&2
  exit 1
}
(cd "$source_tree" && ./mvnw -B -q -DskipTests -Djreleaser.skip package)
keep_build "$source_tree" nolog

write_js_handler "$work/handlers"
printf '#!/bin/sh\ncat > /dev/null\necho "{\\"ok\\": true}"\n' > "$work/handlers/shell.sh"
chmod +x "$work/handlers/shell.sh"
write_requests 40

start() { # build kind (sync or async)
  local options=()
  [ "$2" = async ] && options=(--async)
  start_server "$1-$2" "$1" --dir "$work/handlers" --data-dir "$work/data-$1-$2" "${options[@]}"
}

for build in log nolog; do
  for kind in sync async; do
    start "$build" "$kind"
  done
done
for build in log nolog; do
  echo "warming up the $build servers" >&2
  wrk -t2 -c16 -d"${warmup}s" -s "$work/post.lua" "http://127.0.0.1:${port[$build-async]}/webhooks/bench" > /dev/null
  drain_queue "$build-async"
  wrk -t2 -c16 -d"${warmup}s" -s "$work/post.lua" "http://127.0.0.1:${port[$build-sync]}/webhooks/bench" > /dev/null
  wrk -t2 -c16 -d"$((warmup / 3 + 1))s" -s "$work/post.lua" "http://127.0.0.1:${port[$build-sync]}/webhooks/shell" > /dev/null
done

# One measurement: prints its row and appends it to the results.
measure() { # build workload load
  local build=$1 workload=$2 load=$3 kind=sync handler=bench wrk_args script out
  case $workload in
    js-async) kind=async ;;
    sh-sync) handler=shell ;;
  esac
  local server=$build-$kind
  if [ "$load" = max ]; then
    wrk_args=(-t2 -c16) script=$work/post.lua
  else
    wrk_args=(-t1 -c4) script=$work/paced.lua
  fi
  local before start
  before=$(cpu_ticks "${pid[$server]}")
  start=$(date +%s.%N)
  out=$(wrk "${wrk_args[@]}" -d"${seconds}s" --latency -s "$script" "http://127.0.0.1:${port[$server]}/webhooks/$handler")
  [ "$kind" = async ] && drain_queue "$server"
  local elapsed ticks total rps p50 p99 bad per_s cpu
  elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
  ticks=$(($(cpu_ticks "${pid[$server]}") - before))
  read -r rps p50 p99 total bad <<< "$(wrk_figures <<< "$out")"
  # With --async a delivery is done once a worker ran it, not when it is acknowledged.
  per_s=$rps
  [ "$kind" = async ] && per_s=$(awk -v n="$total" -v t="$elapsed" 'BEGIN { printf "%.0f", n / t }')
  cpu=$(awk -v t="$ticks" -v n="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", t * 1e6 / hz / n }')
  echo "| $round | $workload | $load | $build | $per_s | $p50 | $p99 | ${bad:-0} | $cpu | $(cut -d' ' -f1 /proc/loadavg) |"
  echo "$workload $load $build $per_s $p50 $p99 $cpu" >> "$work/results"
}

: > "$work/results"
echo "| round | workload | load | build | deliveries/s | p50 ms | p99 ms | non-2xx | server CPU us/delivery | load avg |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for round in $(seq 1 "$rounds"); do
  order=(log nolog)
  ((round % 2 == 0)) && order=(nolog log)
  for workload in js-async js-sync sh-sync; do
    for load in max paced; do
      for build in "${order[@]}"; do
        measure "$build" "$workload" "$load"
      done
    done
  done
done

column_median() { # workload load build column
  awk -v w="$1" -v l="$2" -v b="$3" -v c="$4" '$1 == w && $2 == l && $3 == b { print $c }' "$work/results" | median
}
echo
echo "Medians of $rounds rounds (max: deliveries/s and CPU; paced: p50 and p99):"
echo
echo "| workload | load | deliveries/s log | nolog | p50 ms log | nolog | p99 ms log | nolog | CPU us/delivery log | nolog |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for workload in js-async js-sync sh-sync; do
  for load in max paced; do
    row="| $workload | $load"
    for column in 4 5 6 7; do
      row="$row | $(column_median "$workload" "$load" log "$column") | $(column_median "$workload" "$load" nolog "$column")"
    done
    echo "$row |"
  done
done
echo
echo "Machine: $(machine); data dirs on $(df --output=fstype "$work" | tail -n 1); ${seconds} s per run, each server warmed up for ${warmup} s; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
