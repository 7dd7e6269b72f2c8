#!/usr/bin/env bash
# Issue 20's long run (bench/soak_accounting.py): one `serve --async` over a shell, a JS and a
# Python handler for MINUTES (default 30), a delivery every 1.5 s and a burst of 20 every 3
# minutes, one in ten failing and one in ten timing out (retried twice), the console read every
# 2 s, --keep 100 so that retention runs every ten deliveries. Samples memory, threads, open
# files and the journal every minute; at the end, counts what the handlers saw against what was
# accepted and recorded. Exit 1 when a delivery was lost, refused or seen without a reason.
#
# Usage: bench/soak.sh [MINUTES] [soak_accounting.py options: --raw FILE, --keep-work, ...]
# A check of the instrument: bench/soak.sh 2 --burst-every 40 --sample 20
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
[ $# -gt 0 ] && shift

. cli/src/main/launcher/find-java.sh
java=$(find_java 23) # for --sun-misc-unsafe-memory-access, as the launcher passes it
[ -n "$java" ] || { echo "soak: needs Java 23 or newer (JAVA_HOME)" >&2; exit 1; }
./mvnw -B -q -DskipTests -Djreleaser.skip package
jar=$(ls cli/target/hf-webhooks-*.jar | head -n 1)
echo "Commit $(git rev-parse --short HEAD); $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB;" \
  "$("$java" -version 2>&1 | head -n 1); load average $(cut -d' ' -f1-3 /proc/loadavg)"
exec /usr/bin/python3 bench/soak_accounting.py --java "$java" --cp "$PWD/$jar:$PWD/cli/target/lib/*" \
  --minutes "$minutes" "$@"
