#!/usr/bin/env bash
# README command 2: build and run the whole test suite. With --sanitize, the
# same suites run in a separate AddressSanitizer + UndefinedBehaviorSanitizer
# build (build-asan/).
set -euo pipefail
cd "$(dirname "$0")/.."
# What the suites need, the real S3 clients of the `clients` suite included
# (quick when all is installed already).
scripts/install-deps.sh
tests/clients/install.sh
if [ "${1:-}" = "--sanitize" ]; then
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
  # -O1, as the sanitizers' documentation advises: reports stay exact and
  # the build takes less time than at -O2.
  scripts/build.sh build-asan -Ddebug=true -Doptimization=1 -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbench=false
  # Every process of this build starts about ten times slower than a plain
  # one (the sanitizers map and check the engine's libraries, librados and
  # Ceph's common library among them), and the admin and fuse suites start
  # a few thousand CLI and gateway processes: their time limits are tripled.
  # The rados suite's system tests (suite rados-system: several gateways,
  # or whole gateway and client suites, on a cluster) run in the plain run
  # only: under the sanitizers they would add some 20 minutes, and the code
  # they drive is checked here by the engine's unit suite on RADOS
  # (unit-on-rados) and the rados suite's other tests. The clients suite
  # (real S3 clients) runs in the plain run only too: the gateway code it
  # drives is checked here by the gateway suite, whose requests are more
  # varied, and the request parsers by the fuzz targets (scripts/fuzz.sh).
  meson test -C build-asan --print-errorlogs --num-processes 1 --timeout-multiplier 3 --no-suite rados-system \
    --no-suite clients
else
  scripts/build.sh build
  # A name defined inline in a header and again in a .cpp: which one runs
  # depends on the optimizer, so no test of the other build type would see it.
  scripts/check-odr.py build
  meson test -C build --print-errorlogs --num-processes 1
fi
