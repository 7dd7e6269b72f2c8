#!/bin/sh
# Builds hf-webhooks from this checkout and installs it for the current user:
#   $PREFIX/share/hf-webhooks/   the program (bin/, lib/, java.conf)
#   $PREFIX/bin/hf-webhooks      a link to its launcher
# PREFIX defaults to $HOME/.local. Running it again replaces what it installed before.
#
# Options: --no-build   install what the last build left in cli/target (the tests use it)
set -eu

usage() {
  sed -n '2,7s/^# \{0,1\}//p' "$0"
}

build=yes
for arg in "$@"; do
  case $arg in
    --no-build) build=no ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
. "$here/cli/src/main/launcher/find-java.sh"

java=$(find_java 21 javac || true)
if [ -z "$java" ]; then
  echo "error: building hf-webhooks needs a JDK 21 or newer, and none was found" >&2
  echo "(looked at JAVA_HOME, the java on PATH, /usr/lib/jvm and the usual JDK folders)." >&2
  echo "Install one, e.g. 'sudo apt-get install openjdk-21-jdk-headless', 'brew install openjdk@21'," >&2
  echo "or Temurin 21 from https://adoptium.net, then run ./install.sh again (or set JAVA_HOME)." >&2
  exit 1
fi
major=$(java_major "$java")
JAVA_HOME=$(cd "$(dirname "$java")/.." && pwd)
export JAVA_HOME

if [ "$build" = yes ]; then
  echo "Building with Java $major ($JAVA_HOME)..."
  (cd "$here" && ./mvnw -B -q -DskipTests package)
fi

jar=$(ls "$here"/cli/target/hf-webhooks-*.jar 2>/dev/null | grep -v -e '-sources' -e '-javadoc' | head -n 1 || true)
if [ -z "$jar" ] || [ ! -d "$here/cli/target/lib" ]; then
  echo "error: no build found in cli/target; run ./install.sh without --no-build" >&2
  exit 1
fi

# Assemble beside the old install, then swap, so a failed run leaves the old one working.
dest=$prefix/share/hf-webhooks
staging=$dest.new.$$
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging/bin" "$staging/lib" "$prefix/bin"
cp "$jar" "$here"/cli/target/lib/*.jar "$staging/lib/"
cp "$here/cli/src/main/launcher/find-java.sh" "$staging/lib/"
cp "$here/cli/src/main/launcher/hf-webhooks" "$staging/bin/"
chmod 755 "$staging/bin/hf-webhooks"
{
  echo "# The Java runtime install.sh found; the launcher looks for another if it disappears."
  echo "HF_WEBHOOKS_JAVA='$java'"
  echo "HF_WEBHOOKS_JAVA_MAJOR=$major"
} > "$staging/java.conf"
rm -rf "$dest"
mv "$staging" "$dest"
ln -sf "$dest/bin/hf-webhooks" "$prefix/bin/hf-webhooks"

echo "Installed $("$prefix/bin/hf-webhooks" --version | head -n 1) in $dest"
echo "Launcher: $prefix/bin/hf-webhooks (runs on Java $major: $java)"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *)
    echo
    echo "$prefix/bin is not on your PATH. Add it (and put the line in ~/.profile or ~/.bashrc):"
    echo "  export PATH=\"$prefix/bin:\$PATH\""
    ;;
esac
