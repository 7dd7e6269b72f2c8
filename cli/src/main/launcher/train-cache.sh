#!/bin/sh
# Makes the class cache the launcher uses to start faster: runs `serve` once over a folder with
# one handler, sends it a delivery when curl or wget is there, and stops it; the JVM then writes
# what it loaded. Java 25+ writes an AOT cache (lib/hf-webhooks.aot: classes loaded and linked,
# and profiles), Java 21-24 a CDS archive (lib/hf-webhooks.jsa). Run by install.sh after it has
# put the program in place (the cache remembers the class path). Best effort: a failure leaves no
# cache, and the launcher starts without one.
#
# Usage: train-cache.sh APP_HOME
set -u
app_home=$1
launcher=$app_home/bin/hf-webhooks
major=
if [ -f "$app_home/java.conf" ]; then
  . "$app_home/java.conf"
  major=${HF_WEBHOOKS_JAVA_MAJOR:-}
fi
[ -n "$major" ] || exit 0

rm -f "$app_home/lib/hf-webhooks.aot" "$app_home/lib/hf-webhooks.jsa"
if [ "$major" -ge 25 ]; then
  flag="-XX:AOTCacheOutput=$app_home/lib/hf-webhooks.aot"
else
  flag="-XX:ArchiveClassesAtExit=$app_home/lib/hf-webhooks.jsa"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/handlers"
printf '#!/bin/sh\ncat > /dev/null\necho "{}"\n' > "$work/handlers/warm-up.sh"
chmod 755 "$work/handlers/warm-up.sh"
# A JavaScript handler too: the cache then holds the JavaScript engine's classes, which are most
# of what serve and list load when a folder has JS handlers.
printf 'function handle(payload) {\n  return { repo: payload.repo.name };\n}\n' > "$work/handlers/warm-up-js.js"

HF_WEBHOOKS_OPTS="$flag -Xlog:cds=off -Xlog:cds+dynamic=off" \
  "$launcher" serve --port 0 --no-journal --dir "$work/handlers" > "$work/out" 2>&1 &
pid=$!
url=
tries=0
while [ -z "$url" ] && [ $tries -lt 300 ] && kill -0 "$pid" 2> /dev/null; do
  sleep 0.1
  tries=$((tries + 1))
  url=$(sed -n 's/^Running on local URL: //p' "$work/out")
done
if [ -n "$url" ]; then
  printf '%s' '{"event":{"action":"update","scope":"repo.content"},"repo":{"type":"model","name":"acme/warm-up","id":"1","private":false,"url":{"web":"https://huggingface.co/acme/warm-up"},"owner":{"id":"2"}},"webhook":{"id":"3","version":3}}' > "$work/payload.json"
  for name in warm-up warm-up-js; do
    if command -v curl > /dev/null; then
      curl -s -o /dev/null -X POST --data-binary "@$work/payload.json" "$url/webhooks/$name" || true
    elif command -v wget > /dev/null; then
      wget -q -O /dev/null --post-file="$work/payload.json" "$url/webhooks/$name" || true
    fi
  done
fi
kill -TERM "$pid" 2> /dev/null
wait "$pid" 2> /dev/null
exit 0
