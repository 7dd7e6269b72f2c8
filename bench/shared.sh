#!/usr/bin/env bash
# What a shared journal costs (issue 18): `serve --async` over one JavaScript handler (the one of
# bench/journal.sh), with wrk (127.0.0.1 only) against
#   sqlite  one server on the default SQLite journal
#   pg1     one server on a PostgreSQL journal
#   pg2     two servers on the same PostgreSQL journal, wrk split between them
# Each mode is measured twice: "full", wrk as fast as it goes (acknowledged deliveries/s, and
# deliveries run per second to the end of the queue), and "paced", each connection waiting 20 ms
# between requests, where the acknowledgement's p99 is the server's own and not the time a request
# waits for a busy CPU. On 2 cores, scaling is not the point: cost per delivery is. CPU per
# delivery counts the servers and, for PostgreSQL, the database's processes too.
#
# Usage: bench/shared.sh [SECONDS] [ROUNDS] [WARMUP]   (measured seconds per run, default 10;
# rounds, 3; warm-up seconds per server, 30). Needs wrk, and PostgreSQL as .ci/postgres sets it
# up (or BENCH_POSTGRES=postgresql://user:pw@host/db whose user may create databases).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
rounds=${2:-3}
warmup=${3:-30}
command -v wrk > /dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
command -v psql > /dev/null || { echo "bench: psql is not installed (run .ci/postgres)" >&2; exit 1; }
admin=${BENCH_POSTGRES:-postgresql://hfwebhooks:tests-only-pw@127.0.0.1:5432/postgres}
database=hfw_bench_$$
journal=${admin%/*}/$database

. cli/src/main/launcher/find-java.sh
java=$(find_java 21)
./mvnw -B -q -DskipTests -Djreleaser.skip package
cp="$(ls cli/target/hf-webhooks-*.jar | head -n 1):cli/target/lib/*"

work=$(mktemp -d)
servers=()
declare -A pid port
cleanup() {
  for p in "${servers[@]}"; do kill "$p" 2> /dev/null || true; done
  for p in "${servers[@]}"; do wait "$p" 2> /dev/null || true; done
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
psql -q "$admin" -c "CREATE DATABASE $database"

mkdir "$work/handlers"
cat > "$work/handlers/bench.js" << 'JS'
function handle(payload, context) {
  const main = (payload.updatedRefs || []).find((r) => r.ref === "refs/heads/main");
  return { repo: payload.repo.name, sha: main ? main.newSha : null, id: context.deliveryId };
}
JS
body=$(tr -d '\n' < payloads/model-repo-content-update.json | sed 's/\\/\\\\/g; s/"/\\"/g')
cat > "$work/post.lua" << LUA
wrk.method = "POST"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Webhook-Secret"] = "bench-secret"
LUA
{ cat "$work/post.lua"; echo 'function delay() return 20 end'; } > "$work/paced.lua"

base_port=${BENCH_PORT:-18865}
start_server() { # name port journal-options...
  local name=$1 p=$2
  shift 2
  "$java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "$cp" \
    dev.hfwebhooks.Main serve --port "$p" --dir "$work/handlers" --secret bench-secret --async \
    "$@" > "$work/serve-$name.log" 2>&1 &
  servers+=($!)
  pid[$name]=$!
  port[$name]=$p
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$p/healthz" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$work/serve-$name.log" >&2
  return 1
}
start_server sqlite "$base_port" --data-dir "$work/data-sqlite"
HF_WEBHOOKS_JOURNAL=$journal start_server pg1 $((base_port + 1))
HF_WEBHOOKS_JOURNAL=$journal start_server pg2a $((base_port + 2))
HF_WEBHOOKS_JOURNAL=$journal start_server pg2b $((base_port + 3))

# What waits or runs: the SQLite server's queue, or the shared journal's.
waiting() { # mode
  if [ "$1" = sqlite ]; then
    curl -fsS "http://127.0.0.1:${port[sqlite]}/healthz" | sed 's/.*"queued":\([0-9]*\).*/\1/'
  else
    psql -tAq "$journal" -c "SELECT count(*) FROM hf_webhooks_deliveries WHERE status IN ('queued', 'running')"
  fi
}
drain() { # mode
  local deadline=$((SECONDS + 600))
  until [ "$(waiting "$1")" = 0 ]; do
    ((SECONDS < deadline)) || { echo "bench: $1's queue did not empty in 10 minutes" >&2; exit 1; }
    sleep 0.2
  done
}
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# CPU of the servers of a mode, and of PostgreSQL's processes for the shared modes.
cpu() { # mode
  local total=0 p
  case $1 in
    sqlite) total=$(ticks "${pid[sqlite]}") ;;
    pg1) total=$(ticks "${pid[pg1]}") ;;
    pg2) total=$(($(ticks "${pid[pg2a]}") + $(ticks "${pid[pg2b]}"))) ;;
  esac
  if [ "$1" != sqlite ]; then
    for p in $(pgrep -u postgres); do total=$((total + $(ticks "$p" 2> /dev/null || echo 0))); done
  fi
  echo "$total"
}
targets() { # mode: the servers wrk loads
  case $1 in
    pg2) echo "${port[pg2a]} ${port[pg2b]}" ;;
    *) echo "${port[$1]}" ;;
  esac
}
# wrk over the mode's servers at once (16 connections in all); prints "acked/s p50 p99 total".
load() { # mode script seconds
  local ports i=0 n loads=()
  read -r -a ports <<< "$(targets "$1")"
  n=${#ports[@]}
  for p in "${ports[@]}"; do
    wrk -t$((2 / n > 0 ? 2 / n : 1)) -c$((16 / n)) -d"$3s" --latency -s "$2" \
      "http://127.0.0.1:$p/webhooks/bench" > "$work/wrk-$i.txt" &
    loads+=($!)
    i=$((i + 1))
  done
  wait "${loads[@]}" # the wrk runs only: the servers are children of this shell too
  cat "$work"/wrk-*.txt | awk '
    function ms(v) { if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 } if (v ~ /ms$/) { sub(/ms$/, "", v); return v } sub(/s$/, "", v); return v * 1000 }
    /^Requests\/sec/ { rps += $2 } /requests in/ { total += $1 } /Non-2xx/ { bad += $NF }
    $1 == "50%" { p50 = ms($2) > p50 ? ms($2) : p50 } $1 == "99%" { p99 = ms($2) > p99 ? ms($2) : p99 }
    END { printf "%.0f %.2f %.2f %d %d\n", rps, p50, p99, total, bad }'
  rm -f "$work"/wrk-*.txt
}

for mode in sqlite pg1 pg2; do
  load "$mode" "$work/post.lua" "$warmup" > /dev/null
  drain "$mode"
done

results=$work/results
: > "$results"
echo "| round | mode | run | acked/s | ran/s to the end | ack p50 ms | ack p99 ms | non-2xx | CPU us/delivery |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for round in $(seq 1 "$rounds"); do
  for mode in sqlite pg1 pg2; do
    for run in full paced; do
      before=$(cpu "$mode")
      start=$(date +%s.%N)
      read -r rps p50 p99 total bad <<< "$(load "$mode" "$work/$([ $run = full ] && echo post || echo paced).lua" "$seconds")"
      drain "$mode"
      end=$(date +%s.%N)
      used=$(($(cpu "$mode") - before))
      ran=$(awk -v n="$total" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')
      us=$(awk -v t="$used" -v n="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", t * 1e6 / hz / n }')
      echo "| $round | $mode | $run | $rps | $ran | $p50 | $p99 | $bad | $us |"
      echo "$mode $run $rps $ran $p50 $p99 $us" >> "$results"
    done
  done
done

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
echo
echo "Medians of $rounds rounds:"
echo
echo "| mode | run | acked/s | ran/s to the end | ack p50 ms | ack p99 ms | CPU us/delivery |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for mode in sqlite pg1 pg2; do
  for run in full paced; do
    row="| $mode | $run |"
    for column in 3 4 5 6 7; do
      row="$row $(awk -v m="$mode" -v r="$run" -v c="$column" '$1 == m && $2 == r { print $c }' "$results" | median) |"
    done
    echo "$row"
  done
done
echo
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $("$java" -version 2>&1 | head -n 1); $(psql -tAq "$admin" -c 'SHOW server_version' | cut -d' ' -f1) PostgreSQL on the same machine; wrk 16 connections in all, ${seconds} s per run, each mode warmed up for ${warmup} s; load average $(cut -d' ' -f1-3 /proc/loadavg)."
