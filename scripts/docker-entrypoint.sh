#!/bin/sh
# Container entry point: check that the profiles folder is writable before serving, and say
# how to fix it when it is not (a host folder mounted with -v belongs to the host user, while
# the image runs as uid 10001).
set -eu
dir="${PERSONAGEN_PROFILES_DIR:-/data/profiles}"
probe="$dir/.personagen-write-test.$$"
if ! { mkdir -p "$dir" && : > "$probe" && rm -f "$probe"; } 2>/dev/null; then
    owner=$(stat -c '%u:%g' "$dir" 2>/dev/null || echo unknown)
    cat >&2 <<MSG
personagen: cannot write to $dir as uid:gid $(id -u):$(id -g); the folder belongs to $owner.
  Run the container as the folder's owner:  docker run --user "\$(id -u):\$(id -g)" ...
  with compose:  PERSONAGEN_UID=\$(id -u) PERSONAGEN_GID=\$(id -g) docker compose up
  or let uid 10001 own the folder:  sudo chown -R 10001:10001 ./profiles
MSG
    exit 77
fi
exec "$@"
