#!/usr/bin/env bash
# Configures (once) and builds ostor into build/ (or $1), with meson options
# given after the directory, e.g.: scripts/build.sh build-asan -Db_sanitize=address,undefined
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "$@"
fi
meson compile -C "$dir"
