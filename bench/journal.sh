#!/usr/bin/env bash
# What the delivery journal costs: wrk (2 threads, 16 connections, 127.0.0.1 only) against
# `serve` over one JavaScript handler (the one of bench/js-runtime.sh) in three ways:
#   off    --no-journal: nothing recorded (serve before the journal)
#   sync   the default: recorded, the handler runs in the request
#   async  --async: 202 once recorded, a worker runs it
# and twice more with --async under a steady load below what the machine can take: "paced", each
# connection waiting 20 ms between requests (at most 800 requests/s), where the time to
# acknowledge is the server's own, not the time a request waits for a busy CPU; and "brisk", 4 ms
# (at most 4,000 requests/s, most of what the machine can run through --async), where the CPU
# starts to be the queue. Last, "ram": --async at full load with its data dir in memory
# (/dev/shm), where a sync costs nothing: the difference from "async" is what syncing to the disk
# costs, and its p99 is what --async would reach at full load here if the disk were free.
#
# The JIT needs about 30 s of load before the JavaScript path is compiled (C2 compiling GraalJS's
# interpreter takes a fifth of the CPU meanwhile), so the servers start once, each is warmed
# up under load (WARMUP seconds, default 40), and the measured runs then alternate between them in
# each round so that the machine's noise hits each alike. After an --async run the next waits
# until its queue is empty, so no run pays for the workers of the one before.
# Prints one markdown row per run, then the medians.
#
# Usage: bench/journal.sh [SECONDS] [ROUNDS] [WARMUP]   (measured seconds per run, default 15;
# rounds, 5; warm-up seconds per server, 40). BENCH_MODES="off sync" runs only those modes (the
# sync-mode cost alone, without --async's syncs disturbing the disk meanwhile).
# Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
rounds=${2:-5}
warmup=${3:-40}
command -v wrk > /dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

. bench/lib.sh
build_here head
write_js_handler "$work/handlers"
write_requests 20
{ cat "$work/post.lua"; echo 'function delay() return 4 end'; } > "$work/brisk.lua"

read -r -a modes <<< "${BENCH_MODES:-off sync async paced brisk ram}"
needed=()
for mode in "${modes[@]}"; do
  case $mode in
    off | sync | async | ram) needed+=("$mode") ;;
    paced | brisk) needed+=(async) ;;
    *) echo "bench: unknown mode $mode (off, sync, async, paced, brisk, ram)" >&2; exit 2 ;;
  esac
done
read -r -a needed <<< "$(printf '%s\n' "${needed[@]}" | sort -u | tr '\n' ' ')"

start() { # mode
  local options=() data=$work/data-$1
  case $1 in
    off) options=(--no-journal) ;;
    sync) options=() ;;
    async) options=(--async) ;;
    ram)
      options=(--async)
      ram=$(mktemp -d /dev/shm/hf-webhooks-bench.XXXXXX)
      cleanup_hooks+=("rm -rf '$ram'")
      data=$ram/data
      ;;
  esac
  start_server "$1" head --dir "$work/handlers" --data-dir "$data" "${options[@]}"
}

for mode in "${needed[@]}"; do
  start "$mode"
  wrk -t2 -c16 -d"${warmup}s" -s "$work/post.lua" "http://127.0.0.1:${port[$mode]}/webhooks/bench" > /dev/null
  case $mode in async | ram) drain_queue "$mode" ;; esac
done

results=$work/results
: > "$results"
echo "| round | mode | requests/s | p50 ms | p99 ms | non-2xx | server CPU us/request |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for round in $(seq 1 "$rounds"); do
  for mode in "${modes[@]}"; do
    server=$mode script=$work/post.lua
    case $mode in paced | brisk) server=async script=$work/$mode.lua ;; esac
    before=$(cpu_ticks "${pid[$server]}")
    out=$(wrk -t2 -c16 -d"${seconds}s" --latency -s "$script" "http://127.0.0.1:${port[$server]}/webhooks/bench")
    case $server in async | ram) drain_queue "$server" ;; esac
    # Counted after the drain: with --async, a request's cost includes running it.
    ticks=$(($(cpu_ticks "${pid[$server]}") - before))
    read -r rps p50 p99 total bad <<< "$(wrk_figures <<< "$out")"
    cpu=$(awk -v t="$ticks" -v n="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", t * 1e6 / hz / n }')
    echo "| $round | $mode | $rps | $p50 | $p99 | ${bad:-0} | $cpu |"
    echo "$mode $rps $p50 $p99 $cpu" >> "$results"
  done
done

echo
echo "Medians of $rounds rounds:"
echo
echo "| mode | requests/s | p50 ms | p99 ms | server CPU us/request |"
echo "| --- | --- | --- | --- | --- |"
for mode in "${modes[@]}"; do
  rps=$(awk -v m="$mode" '$1 == m { print $2 }' "$results" | median)
  p50=$(awk -v m="$mode" '$1 == m { print $3 }' "$results" | median)
  p99=$(awk -v m="$mode" '$1 == m { print $4 }' "$results" | median)
  cpu=$(awk -v m="$mode" '$1 == m { print $5 }' "$results" | median)
  echo "| $mode | $rps | $p50 | $p99 | $cpu |"
done
if [[ " ${modes[*]} " == *" off "* && " ${modes[*]} " == *" sync "* ]]; then
  off=$(awk '$1 == "off" { print $2 }' "$results" | median)
  sync=$(awk '$1 == "sync" { print $2 }' "$results" | median)
  echo
  awk -v off="$off" -v sync="$sync" 'BEGIN { printf "Journaling in sync mode costs %.1f %% of throughput (median against median).\n", (1 - sync / off) * 100 }'
  # Off and sync run back to back in a round, so the same round is the fairer comparison.
  awk '$1 == "off" { off = $2; offcpu = $5 } $1 == "sync" { cost = cost sprintf(" %.1f %%", (1 - $2 / off) * 100); us = us sprintf(" %d", $5 - offcpu) }
    END { print "Round by round: sync costs" cost " of throughput, and" us " us of server CPU per request." }' "$results"
  # On a shared machine throughput moves with the neighbours' load; the server's own CPU per
  # request moves much less, and on 2 cores that wrk shares it is what bounds throughput.
  off_cpu=$(awk '$1 == "off" { print $5 }' "$results" | median)
  sync_cpu=$(awk '$1 == "sync" { print $5 }' "$results" | median)
  awk -v off="$off_cpu" -v sync="$sync_cpu" 'BEGIN { printf "Server CPU per request: off %d us, sync %d us (%+.1f %%).\n", off, sync, (sync / off - 1) * 100 }'
fi
# The floor under a durable acknowledgement: one synced 4 KiB write on the data dir's disk.
dd if=/dev/zero of="$work/sync-test" bs=4k count=200 oflag=dsync 2> "$work/dd.txt"
sync_ms=$(awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") printf "%.2f", $(i - 1) * 1000 / 200 }' "$work/dd.txt")
echo "One synced 4 KiB write on the data dir's disk (dd oflag=dsync, 200 writes): $sync_ms ms on average."
echo "Machine: $(machine); wrk -t2 -c16, ${seconds} s per run, each server warmed up for ${warmup} s; data dir on $(df --output=fstype "$work" | tail -n 1)."
