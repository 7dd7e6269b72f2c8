#!/bin/sh
# Installs hf-webhooks for the current user:
#   $PREFIX/share/hf-webhooks/   the program (bin/, lib/, and java.conf or its own Java runtime)
#   $PREFIX/bin/hf-webhooks      a link to its launcher
# PREFIX defaults to $HOME/.local. Run from a checkout, it builds first (that needs a JDK 21+);
# run from an unpacked release archive, it installs that archive. Running it again replaces what
# it installed before.
#
# Options: --no-build    from a checkout, install what the last build left in cli/target
#          --uninstall   remove what install.sh put under $PREFIX
set -eu

usage() {
  sed -n '2,10s/^# \{0,1\}//p' "$0"
}

build=yes
action=install
for arg in "$@"; do
  case $arg in
    --no-build) build=no ;;
    --uninstall) action=uninstall ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
# The copy of this script inside an install knows its prefix: .../share/hf-webhooks/install.sh.
case $here in
  */share/hf-webhooks) default_prefix=${here%/share/hf-webhooks} ;;
  *) default_prefix=$HOME/.local ;;
esac
prefix=${PREFIX:-$default_prefix}
case $prefix in
  /*) ;;
  *) prefix=$(pwd)/$prefix ;;
esac
dest=$prefix/share/hf-webhooks
link=$prefix/bin/hf-webhooks
# Folders this script created (so --uninstall removes them again when they are left empty).
created_list=.created-folders

uninstall() {
  removed=no
  if [ -L "$link" ] && [ "$(readlink "$link")" = "$dest/bin/hf-webhooks" ]; then
    rm -f "$link"
    echo "Removed $link"
    removed=yes
  elif [ -e "$link" ] || [ -L "$link" ]; then
    echo "Left $link alone: it is not the link install.sh made."
  fi
  created=
  if [ -f "$dest/$created_list" ]; then
    created=$(sort -r "$dest/$created_list") # deepest first
  fi
  if [ -d "$dest" ]; then
    rm -rf "$dest"
    echo "Removed $dest"
    removed=yes
  fi
  rm -rf "$dest".new.*
  printf '%s\n' "$created" | while IFS= read -r dir; do
    if [ -n "$dir" ] && rmdir "$dir" 2> /dev/null; then
      echo "Removed $dir (empty)"
    fi
  done
  if [ "$removed" = no ]; then
    echo "Nothing to remove: hf-webhooks is not installed under $prefix."
  fi
}

if [ "$action" = uninstall ]; then
  uninstall
  exit 0
fi

if [ "$here" = "$dest" ]; then
  echo "error: this is the installed copy in $dest; to update, run install.sh from a new" >&2
  echo "checkout or release archive. To remove it: $dest/install.sh --uninstall" >&2
  exit 2
fi

if [ -f "$here/cli/pom.xml" ]; then
  from=checkout
  . "$here/cli/src/main/launcher/find-java.sh"
elif [ -x "$here/bin/hf-webhooks" ]; then
  from=archive
  # Absent from the archive that carries its own Java runtime, which needs no search.
  [ ! -f "$here/lib/find-java.sh" ] || . "$here/lib/find-java.sh"
else
  echo "error: run install.sh from a checkout of hf-webhooks or from an unpacked release archive" >&2
  exit 1
fi

# The runtime the launcher will use: a release archive made with jlink carries its own.
java=
major=
if [ -x "$here/bin/java" ]; then
  runtime="its own Java runtime ($dest/bin/java)"
else
  if [ "$from" = checkout ]; then
    java=$(find_java 21 javac || true)
  else
    java=$(find_java 21 || true)
  fi
  if [ -z "$java" ]; then
    if [ "$from" = checkout ]; then
      echo "error: building hf-webhooks needs a JDK 21 or newer, and none was found" >&2
    else
      echo "error: this hf-webhooks archive needs Java 21 or newer, and none was found" >&2
    fi
    echo "(looked at JAVA_HOME, the java on PATH, /usr/lib/jvm and the usual JDK folders)." >&2
    echo "Install one, e.g. 'sudo apt-get install openjdk-21-jdk-headless', 'brew install openjdk@21'," >&2
    echo "or Temurin 21 from https://adoptium.net, then run install.sh again (or set JAVA_HOME)." >&2
    echo "Or take the release archive named for your platform (e.g. ...-linux-x86_64.tgz):" >&2
    echo "it brings its own Java." >&2
    exit 1
  fi
  major=$(java_major "$java")
  runtime="Java $major: $java"
fi

if [ "$from" = checkout ]; then
  if [ "$build" = yes ]; then
    JAVA_HOME=$(cd "$(dirname "$java")/.." && pwd)
    export JAVA_HOME
    echo "Building with Java $major ($JAVA_HOME)..."
    # Tests and release archives are for developers (./mvnw verify); an install needs the jars.
    (cd "$here" && ./mvnw -B -q -DskipTests -Djreleaser.skip package)
  fi
  jar=
  for file in "$here"/cli/target/hf-webhooks-*.jar; do
    case $file in
      *-sources.jar | *-javadoc.jar) ;;
      *) if [ -f "$file" ]; then jar=$file; fi ;;
    esac
  done
  if [ -z "$jar" ] || [ ! -d "$here/cli/target/lib" ]; then
    echo "error: no build found in cli/target; run ./install.sh without --no-build" >&2
    exit 1
  fi
fi

# Assemble beside the old install, then swap, so a failed run leaves the old one working.
staging=$dest.new.$$
trap 'rm -rf "$staging"' EXIT
created=
for dir in "$prefix" "$prefix/share" "$prefix/bin"; do
  [ -d "$dir" ] || created="$created$dir
"
done
mkdir -p "$staging" "$prefix/bin"
if [ "$from" = checkout ]; then
  mkdir -p "$staging/bin" "$staging/lib"
  cp "$jar" "$here"/cli/target/lib/*.jar "$staging/lib/"
  cp "$here/cli/src/main/launcher/find-java.sh" "$here/cli/src/main/launcher/train-cache.sh" \
    "$staging/lib/"
  cp "$here/cli/src/main/launcher/hf-webhooks" "$staging/bin/"
  cp "$here/install.sh" "$staging/"
  chmod 755 "$staging/bin/hf-webhooks" "$staging/install.sh"
else
  cp -R "$here/." "$staging/"
  rm -f "$staging/java.conf" "$staging/$created_list"
fi
if [ -n "$java" ]; then
  {
    echo "# The Java runtime install.sh found; the launcher looks for another if it disappears."
    echo "HF_WEBHOOKS_JAVA='$java'"
    echo "HF_WEBHOOKS_JAVA_MAJOR=$major"
  } > "$staging/java.conf"
fi
# Keep the folders an earlier run created on the list, so that they go with --uninstall too.
{
  [ ! -f "$dest/$created_list" ] || cat "$dest/$created_list"
  printf '%s' "$created"
} | sort -u | grep -v '^$' > "$staging/$created_list" || true
rm -rf "$dest"
mv "$staging" "$dest"
ln -sf "$dest/bin/hf-webhooks" "$link"
if [ -n "$java" ] && [ -f "$dest/lib/train-cache.sh" ]; then
  # After the move: the cache remembers where the jars are.
  echo "Preparing a class cache for a faster start (a few seconds)..."
  sh "$dest/lib/train-cache.sh" "$dest"
fi

echo "Installed $("$link" --version | head -n 1) in $dest"
echo "Launcher: $link (runs on $runtime)"
echo "To remove it: $dest/install.sh --uninstall"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *)
    echo
    echo "$prefix/bin is not on your PATH. Add it (and put the line in ~/.profile or ~/.bashrc):"
    echo "  export PATH=\"$prefix/bin:\$PATH\""
    ;;
esac
