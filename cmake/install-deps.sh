#!/bin/sh
# Installs the Debian/Ubuntu packages libcryptota needs to build, test and run its hosts.
# Usage: cmake/install-deps.sh [build|test]
#   build: compiler, CMake and the C libraries (enough for `make build` and `make demo`)
#   test:  everything `make test` runs (Check, clang for the fuzzers, abigail-tools for the ABI
#          check, Python/Node host deps)
# As root (or with passwordless sudo) it runs apt-get; otherwise it prints the exact command.
set -eu
what=${1:-build}

BUILD_PKGS="build-essential cmake pkg-config libzstd-dev libcurl4-openssl-dev libcjson-dev \
libopenblas-dev liblapacke-dev zstd ca-certificates"
TEST_PKGS="check clang llvm abigail-tools python3 python3-numpy python3-pytest python3-nbclient python3-nbformat python3-matplotlib python3-ipykernel python3-pandas python3-tqdm nodejs npm chromium python3-jsonschema python3-fastapi python3-uvicorn python3-sqlalchemy python3-psycopg2 python3-celery python3-redis redis-server python3-httpx python3-yaml postgresql openmpi-bin libopenmpi-dev \
docker-compose"

case "$what" in
  build) pkgs=$BUILD_PKGS ;;
  test)  pkgs="$BUILD_PKGS $TEST_PKGS" ;;
  *) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "cryptota: not a Debian/Ubuntu system; install the equivalents of: $pkgs" >&2
  exit 0
fi

missing=""
for p in $pkgs; do
  # nodejs/npm may come from outside Debian (nvm, NodeSource); a working `node` is enough.
  case "$p" in nodejs|npm) command -v "${p%js}" >/dev/null 2>&1 && continue ;; esac
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in *"ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "cryptota: missing packages. Run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "cryptota: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/apt/periodic/update-success-stamp
if [ ! -d /var/lib/apt/lists ] || [ -z "$(ls /var/lib/apt/lists 2>/dev/null | grep -v lock | head -1)" ] || [ ! -e "$stamp" ]; then
  $SUDO apt-get update -q >&2 || true
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >&2 || {
  $SUDO apt-get update -q >&2
  $SUDO apt-get install -y -q --no-install-recommends $missing >&2
}
