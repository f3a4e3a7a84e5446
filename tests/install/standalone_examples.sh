#!/usr/bin/env bash
# Installs the engine into a scratch root and builds the examples on their
# own, through the installed ostor-engine.pc only, then runs them.
#   standalone_examples.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build_dir="$1"
source_dir="$2"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT

meson install -C "$build_dir" --destdir "$root" --no-rebuild --quiet >/dev/null

pc_dir="$(dirname "$(find "$root" -name ostor-engine.pc | head -1)")"
test -f "$pc_dir/ostor-engine.pc" || { echo "ostor-engine.pc was not installed"; exit 1; }
test -f "$(find "$root" -path '*/include/ostor/engine.hpp' | head -1)" || { echo "headers were not installed under include/ostor/"; exit 1; }

export PKG_CONFIG_PATH="$pc_dir"
export PKG_CONFIG_SYSROOT_DIR="$root"
libdir="$(pkg-config --variable=libdir ostor-engine)"
for name in put_get create_user; do
  # shellcheck disable=SC2046
  c++ -std=c++20 -Wall -Wextra -Werror "$source_dir/examples/$name.cpp" -o "$root/$name" \
    $(pkg-config --cflags --libs ostor-engine)
done

export LD_LIBRARY_PATH="$libdir"  # pkg-config already prefixed the sysroot
"$root/put_get" "$root/data" greeting.txt "standalone works" | grep -q "read back: standalone works"
"$root/create_user" "$root/data" someone@example.com | grep -q "^UserEmail:someone@example.com$"
echo "examples built and ran against the installed engine"
