#!/bin/sh
# The container image's commands without Docker (docs/deployment.md): the same binary,
# the same config file (deploy/propusk.toml, as baked at /etc/propusk/propusk.toml)
# with its /var/lib/propusk paths rewritten to a temporary root, the same working
# directory, the same ENTRYPOINT + CMD (`serve --demo`, as `docker run IMAGE serve
# --demo`), the same HEALTHCHECK (`health`), then `check`.
#
#   PROPUSK_BIN=target/release/propusk deploy/container-smoke.sh [PORT]
#
# The port stands for `-p PORT:8080`: set the way an operator would, through the
# environment (PROPUSK_SERVER__LISTEN, PROPUSK_ISSUER).
set -eu

BIN=${PROPUSK_BIN:?set PROPUSK_BIN to the propusk binary}
PORT=${1:-18080}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(mktemp -d)
SERVER=

cleanup() {
    if [ -n "$SERVER" ]; then
        kill "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
    fi
    rm -rf "$ROOT"
}
trap cleanup EXIT INT TERM

# The image: /etc/propusk/propusk.toml, and /var/lib/propusk (0700, the VOLUME and WORKDIR).
mkdir -p "$ROOT/etc/propusk" "$ROOT/var/lib/propusk"
chmod 0700 "$ROOT/var/lib/propusk"
sed "s#/var/lib/propusk#$ROOT/var/lib/propusk#g" "$HERE/propusk.toml" >"$ROOT/etc/propusk/propusk.toml"
CONFIG="$ROOT/etc/propusk/propusk.toml"
cd "$ROOT/var/lib/propusk"

# Only the environment the image has, plus what `docker run -e`/`-p` would add.
for var in $(env | sed -n 's/^\(PROPUSK_[A-Z0-9_]*\)=.*/\1/p'); do unset "$var"; done
export PROPUSK_SERVER__LISTEN="127.0.0.1:$PORT" PROPUSK_ISSUER="http://127.0.0.1:$PORT"

# ENTRYPOINT + CMD of `docker run IMAGE serve --demo`.
"$BIN" --config "$CONFIG" serve --demo >"$ROOT/serve.log" 2>&1 &
SERVER=$!

# HEALTHCHECK, retried as Docker's start period would.
up=
for _ in $(seq 1 100); do
    if "$BIN" --config "$CONFIG" health >/dev/null 2>&1; then up=1; break; fi
    sleep 0.2
done
if [ -z "$up" ]; then
    echo "container-smoke: the server did not become healthy" >&2
    cat "$ROOT/serve.log" >&2
    exit 1
fi
echo "container-smoke: healthy"

# The self-test, as `docker exec CONTAINER propusk --config /etc/propusk/propusk.toml check`.
"$BIN" --config "$CONFIG" check

# The data is in the volume, owner-only.
for f in propusk.db keys/master.key; do
    if [ ! -f "$ROOT/var/lib/propusk/$f" ]; then
        echo "container-smoke: /var/lib/propusk/$f missing" >&2
        exit 1
    fi
done
echo "container-smoke: OK"
