#!/usr/bin/env bash
# README command 1: install what is needed, build, and run ostor against an
# embedded data directory (./ostor-data, or $OSTOR_DATA).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
data="${OSTOR_DATA:-$PWD/ostor-data}"
# Until the S3 gateway lands, the main program is the engine example: it
# opens (or creates) the data directory, stores an object and reads it back.
./build/examples/put_get "$data" hello.txt "Hello from ostor"
echo "data directory: $data"
