# What the journal benchmarks share (sourced, not run): the JDK, builds kept apart from
# shellcheck disable=SC2034 # pid, port, java_opts...: used by the scripts that source this
# cli/target, servers started and stopped, the sample request for wrk, wrk's figures, medians.
# The caller sets `set -euo pipefail` and runs from the repository's root.

. cli/src/main/launcher/find-java.sh
java=$(find_java 21)
java_opts=(--enable-native-access=ALL-UNNAMED)
[ "$(java_major "$java")" -ge 23 ] && java_opts+=(--sun-misc-unsafe-memory-access=allow)

work=$(mktemp -d)
servers=()
worktrees=()
cleanup_hooks=()
declare -A pid port
bench_cleanup() {
  for p in "${servers[@]}"; do kill "$p" 2> /dev/null || true; done
  for p in "${servers[@]}"; do wait "$p" 2> /dev/null || true; done
  for hook in "${cleanup_hooks[@]}"; do eval "$hook" || true; done
  for tree in "${worktrees[@]}"; do git worktree remove --force "$tree" || true; done
  rm -rf "$work"
}
trap bench_cleanup EXIT

# Builds the working tree as build NAME, its jar and libraries copied out of cli/target so that a
# later build leaves them be.
build_here() { # name
  echo "building $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- cli || echo '+changes') as $1" >&2
  ./mvnw -B -q -DskipTests -Djreleaser.skip package
  keep_build . "$1"
}

# Builds commit REV in a temporary worktree as build NAME.
build_at() { # rev name
  local tree=$work/source-$2
  echo "building $1 as $2" >&2
  git worktree add --quiet --detach "$tree" "$1"
  worktrees+=("$tree")
  (cd "$tree" && ./mvnw -B -q -DskipTests -Djreleaser.skip package)
  keep_build "$tree" "$2"
}

keep_build() { # from-dir name
  mkdir -p "$work/$2"
  cp "$(ls "$1"/cli/target/hf-webhooks-*.jar | head -n 1)" "$work/$2/"
  cp -r "$1/cli/target/lib" "$work/$2/lib"
}

# The sample push event with the secret, as the Hub posts it, for wrk: $work/post.lua, and
# $work/paced.lua with DELAY ms between a connection's requests.
write_requests() { # delay-ms
  local body
  body=$(tr -d '\n' < payloads/model-repo-content-update.json | sed 's/\\/\\\\/g; s/"/\\"/g')
  cat > "$work/post.lua" << LUA
wrk.method = "POST"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Webhook-Secret"] = "bench-secret"
LUA
  { cat "$work/post.lua"; echo "function delay() return $1 end"; } > "$work/paced.lua"
}

# The JavaScript handler the journal benchmarks run: small, so that the journal's part shows.
write_js_handler() { # dir
  mkdir -p "$1"
  cat > "$1/bench.js" << 'JS'
function handle(payload, context) {
  const main = (payload.updatedRefs || []).find((r) => r.ref === "refs/heads/main");
  return { repo: payload.repo.name, sha: main ? main.newSha : null, id: context.deliveryId };
}
JS
}

next_port=${BENCH_PORT:-18865}
# Starts server NAME from build BUILD with serve's ARGS (and the caller's environment) on the next
# free port, and waits until it answers.
start_server() { # name build args...
  local name=$1 build=$2
  shift 2
  port[$name]=$next_port
  next_port=$((next_port + 1))
  if curl -fsS "http://127.0.0.1:${port[$name]}/healthz" > /dev/null 2>&1; then
    echo "bench: port ${port[$name]} is taken by another server: pass BENCH_PORT" >&2
    return 1
  fi
  "$java" "${java_opts[@]}" -cp "$work/$build/*:$work/$build/lib/*" dev.hfwebhooks.Main serve \
    --port "${port[$name]}" --secret bench-secret "$@" > "$work/serve-$name.log" 2>&1 &
  servers+=($!)
  pid[$name]=$!
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:${port[$name]}/healthz" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$work/serve-$name.log" >&2
  return 1
}

# Waits until an --async server's workers have run everything it acknowledged (10 minutes at
# most: a queue that does not empty by then means workers stuck, and the numbers would be wrong).
drain_queue() { # server
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

# A process's CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# wrk's figures, from its --latency output on stdin (several runs' outputs add up): prints
# "requests/s p50-ms p99-ms requests non-2xx", the percentiles the worst of the runs.
wrk_figures() {
  awk '
    function ms(v) { if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 } if (v ~ /ms$/) { sub(/ms$/, "", v); return v } sub(/s$/, "", v); return v * 1000 }
    /^Requests\/sec/ { rps += $2 } /requests in/ { total += $1 } /Non-2xx/ { bad += $NF }
    $1 == "50%" { p50 = ms($2) > p50 ? ms($2) : p50 } $1 == "99%" { p99 = ms($2) > p99 ? ms($2) : p99 }
    END { printf "%.0f %.2f %.2f %d %d\n", rps, p50, p99, total, bad }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

machine() {
  echo "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $("$java" -version 2>&1 | head -n 1)"
}
