#!/usr/bin/env bash
# Compares GraalVM's JavaScript interpreter (what hf-webhooks runs by default on a stock JDK) with
# the optimizing runtime (Graal compiler through JVMCI), side by side in one run, through the
# same delivery path serve uses (dev.hfwebhooks.bench.JsBench). Prints a markdown table.
#
# Usage: bench/js-runtime.sh [SECONDS]   (throughput run per runtime; default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}

. cli/src/main/launcher/find-java.sh
java=$(find_java 21)
./mvnw -B -q -DskipTests package test-compile

# The Graal compiler is not a runtime dependency: fetch it from Maven Central for the comparison.
graal_version=$(sed -n 's:.*<graalvm.version>\(.*\)</graalvm.version>.*:\1:p' pom.xml)
compiler_dir=cli/target/bench-compiler
./mvnw -B -q dependency:copy -Dartifact="org.graalvm.compiler:compiler:$graal_version" \
  -DoutputDirectory="$compiler_dir" -N

lib=cli/target/lib
graal='/(polyglot|truffle-api|truffle-runtime|js-language|regex|icu4j|xz|jniutils)-'
upgrade='/(truffle-compiler|word|collections|nativeimage)-'
module_path=$(ls "$lib"/*.jar | grep -E "$graal" | paste -sd:)
upgrade_path=$compiler_dir/compiler-$graal_version.jar:$(ls "$lib"/*.jar | grep -E "$upgrade" | paste -sd:)
other=$(ls "$lib"/*.jar | grep -vE "$graal|$upgrade" | paste -sd:)
classes=cli/target/test-classes:cli/target/classes
payload=payloads/model-repo-content-update.json

run_interpreter() {
  "$java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
    -Dbench.runtime=interpreter -cp "$classes:$lib/*" \
    dev.hfwebhooks.bench.JsBench "$payload" "$seconds"
}

run_optimizing() {
  "$java" --enable-native-access=ALL-UNNAMED,org.graalvm.truffle \
    --sun-misc-unsafe-memory-access=allow \
    -XX:+UnlockExperimentalVMOptions -XX:+EnableJVMCI \
    --upgrade-module-path "$upgrade_path" --module-path "$module_path" --add-modules ALL-MODULE-PATH \
    -Dbench.runtime=optimizing -cp "$classes:$other" \
    dev.hfwebhooks.bench.JsBench "$payload" "$seconds"
}

echo "| runtime | new context (median / p90) | warm delivery (median / p99) | 16 threads |"
echo "| --- | --- | --- | --- |"
for mode in interpreter optimizing interpreter optimizing; do
  out=$(run_$mode 2> /dev/null)
  new=$(sed -n 's/^new-context median=\(.*\) p90=\(.*\)$/\1 \/ \2/p' <<< "$out")
  warm=$(sed -n 's/^warm median=\(.*\) p99=\(.*\)$/\1 \/ \2/p' <<< "$out")
  tput=$(sed -n 's/^throughput-16-threads=\(.*\)$/\1/p' <<< "$out")
  echo "| $mode | $new | $warm | $tput |"
done
echo
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $("$java" -version 2>&1 | head -n 1); $seconds s per throughput run."
