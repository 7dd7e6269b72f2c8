# Finds a Java runtime of a given major version or newer. Sourced by install.sh and by the
# hf-webhooks launcher, so both pick a JDK the same way. POSIX sh.

# java_major JAVA: the major version of the java binary JAVA (8 for 1.8), or nothing.
java_major() {
  "$1" -version 2>&1 | sed -n '1s/^[^"]*"\(1\.\)\{0,1\}\([0-9][0-9]*\).*/\2/p'
}

# find_java MIN [javac]: prints the newest java binary of major version MIN or newer, looking at
# $JAVA_HOME, the java on PATH, and the usual JDK folders. With "javac", only full JDKs count
# (building needs the compiler). Prints nothing when there is none.
find_java() {
  _min=$1
  _need=${2:-}
  _best=
  _best_major=0
  for _java in \
    "${JAVA_HOME:+$JAVA_HOME/bin/java}" \
    "$(command -v java 2>/dev/null || true)" \
    /usr/lib/jvm/*/bin/java \
    /usr/java/*/bin/java \
    /opt/java/*/bin/java \
    /opt/*jdk*/bin/java \
    "$HOME"/.sdkman/candidates/java/*/bin/java \
    "$HOME"/.jdks/*/bin/java \
    /Library/Java/JavaVirtualMachines/*/Contents/Home/bin/java \
    /opt/homebrew/opt/openjdk*/bin/java \
    /usr/local/opt/openjdk*/bin/java; do
    [ -n "$_java" ] && [ -x "$_java" ] || continue
    if [ "$_need" = javac ] && [ ! -x "$(dirname "$_java")/javac" ]; then
      continue
    fi
    _major=$(java_major "$_java")
    [ -n "$_major" ] || continue
    if [ "$_major" -ge "$_min" ] && [ "$_major" -gt "$_best_major" ]; then
      _best=$_java
      _best_major=$_major
    fi
  done
  [ -n "$_best" ] && printf '%s\n' "$_best"
}
