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

. cli/src/main/launcher/find-java.sh
java=$(find_java 21)
major=$(java_major "$java")
opts=(--enable-native-access=ALL-UNNAMED)
[ "$major" -ge 23 ] && opts+=(--sun-misc-unsafe-memory-access=allow)

work=$(mktemp -d)
source_tree=$work/nolog-source
servers=()
declare -A pid port
cleanup() {
  for p in "${servers[@]}"; do kill "$p" 2> /dev/null || true; done
  for p in "${servers[@]}"; do wait "$p" 2> /dev/null || true; done
  if [ -d "$source_tree" ]; then git worktree remove --force "$source_tree" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Each build's jar and libraries, copied out of cli/target so that the next build leaves them be.
keep_build() { # from-dir name
  mkdir -p "$work/$2"
  cp "$(ls "$1"/cli/target/hf-webhooks-*.jar | head -n 1)" "$work/$2/"
  cp -r "$1/cli/target/lib" "$work/$2/lib"
}
echo "building HEAD ($(git rev-parse --short HEAD)) with the log" >&2
./mvnw -B -q -DskipTests -Djreleaser.skip package
keep_build . log
echo "building it again without the log" >&2
git worktree add --quiet --detach "$source_tree" HEAD
journal=$source_tree/cli/src/main/java/dev/hfwebhooks/journal/sqlite/SqliteJournal.java
sed -i 's/return openForServe(file, retention, LOG_FILE_SIZE);/return openForServe(file, retention, 0);/' "$journal"
grep -q 'return openForServe(file, retention, 0);' "$journal" || {
  echo "bench: could not turn the log off in $journal: has openForServe changed?" >&2
  exit 1
}
(cd "$source_tree" && ./mvnw -B -q -DskipTests -Djreleaser.skip package)
keep_build "$source_tree" nolog

mkdir "$work/handlers"
cat > "$work/handlers/bench.js" << 'JS'
function handle(payload, context) {
  const main = (payload.updatedRefs || []).find((r) => r.ref === "refs/heads/main");
  return { repo: payload.repo.name, sha: main ? main.newSha : null, id: context.deliveryId };
}
JS
printf '#!/bin/sh\ncat > /dev/null\necho "{\\"ok\\": true}"\n' > "$work/handlers/shell.sh"
chmod +x "$work/handlers/shell.sh"
# wrk posts the sample push event with the secret, as the Hub would.
body=$(tr -d '\n' < payloads/model-repo-content-update.json | sed 's/\\/\\\\/g; s/"/\\"/g')
cat > "$work/post.lua" << LUA
wrk.method = "POST"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Webhook-Secret"] = "bench-secret"
LUA
{ cat "$work/post.lua"; echo 'function delay() return 40 end'; } > "$work/paced.lua"

next_port=${BENCH_PORT:-18865}
start_server() { # build kind (sync or async)
  local name=$1-$2 options=()
  [ "$2" = async ] && options=(--async)
  port[$name]=$next_port
  next_port=$((next_port + 1))
  if curl -fsS "http://127.0.0.1:${port[$name]}/healthz" > /dev/null 2>&1; then
    echo "bench: port ${port[$name]} is taken by another server: pass BENCH_PORT" >&2
    return 1
  fi
  "$java" "${opts[@]}" -cp "$work/$1/*:$work/$1/lib/*" dev.hfwebhooks.Main serve \
    --port "${port[$name]}" --dir "$work/handlers" --secret bench-secret \
    --data-dir "$work/data-$name" "${options[@]}" > "$work/serve-$name.log" 2>&1 &
  servers+=($!)
  pid[$name]=$!
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:${port[$name]}/healthz" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$work/serve-$name.log" >&2
  return 1
}

# Waits until an --async server's workers have run everything it acknowledged.
drain() { # server
  local deadline=$((SECONDS + 600))
  until curl -fsS "http://127.0.0.1:${port[$1]}/healthz" | grep -q '"queued":0'; do
    if ((SECONDS > deadline)); then
      echo "bench: the $1 server's queue did not empty in 10 minutes; its log:" >&2
      tail -n 20 "$work/serve-$1.log" >&2
      exit 1
    fi
    sleep 0.05
  done
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; printf "%.2f", v }'; }

for build in log nolog; do
  for kind in sync async; do
    start_server "$build" "$kind"
  done
done
for build in log nolog; do
  echo "warming up the $build servers" >&2
  wrk -t2 -c16 -d"${warmup}s" -s "$work/post.lua" "http://127.0.0.1:${port[$build-async]}/webhooks/bench" > /dev/null
  drain "$build-async"
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
  [ "$kind" = async ] && drain "$server"
  local elapsed ticks total rps p50 p99 bad per_s cpu
  elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
  ticks=$(($(cpu_ticks "${pid[$server]}") - before))
  total=$(awk '/requests in/ { print $1 }' <<< "$out")
  rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' <<< "$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<< "$out" | ms)
  p99=$(awk '$1 == "99%" { print $2 }' <<< "$out" | ms)
  bad=$(awk '/Non-2xx/ { print $NF }' <<< "$out")
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

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
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
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $("$java" -version 2>&1 | head -n 1); data dirs on $(df --output=fstype "$work" | tail -n 1); ${seconds} s per run, each server warmed up for ${warmup} s; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
