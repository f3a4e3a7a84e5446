#!/usr/bin/env bash
# README command 2: build and run the whole test suite. With --sanitize, the
# suites that drive the engine and the gateway run in a separate
# AddressSanitizer + UndefinedBehaviorSanitizer build (build-asan/).
# --build-only builds (and installs nothing): CI builds build-asan/ while the
# plain suites run.
#   scripts/test.sh [--sanitize] [--build-only]
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=false build_only=false
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=true ;;
    --build-only) build_only=true ;;
    *) echo "usage: scripts/test.sh [--sanitize] [--build-only]" >&2; exit 2 ;;
  esac
done
if ! $build_only; then
  # What the suites need, the real S3 clients of the `clients` suite included
  # (quick when all is installed already).
  scripts/install-deps.sh
  tests/clients/install.sh
fi
build_started=$SECONDS
if $sanitize; then
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
  # -O1, as the sanitizers' documentation advises: reports stay exact and
  # the build takes less time than at -O2. -g1: the line tables the reports'
  # stacks need (file:line) and no more; full -g costs some 40% more compile
  # time, and this build is CI's largest.
  scripts/build.sh build-asan -Ddebug=false -Dc_args=-g1 -Dcpp_args=-g1 -Doptimization=1 \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbench=false
  echo "test.sh: build-asan built in $((SECONDS - build_started)) s"
  $build_only && exit 0
  # The suites that drive the engine and the gateway: `unit` (also on RADOS
  # volumes, in `rados`), `rados` but its system tests, `crash`, `gateway`,
  # the admin plane's requests (`admin-requests`: REST API, enforcement,
  # usage, billing, ostor-ctl) and the FUSE daemon's file paths
  # (`fuse-files`). Left to the plain run:
  # - the CLI's golden and startup tests and the rest of `fuse`: a few
  #   thousand CLI and tree starts, each loading librados and Ceph's common
  #   library, which under the sanitizers costs about a second (the leak
  #   checker scans Ceph's 130 MB of globals); what they print is formatted
  #   by code the `unit` suite runs;
  # - `rados-system` (several gateways, or the whole gateway and client
  #   suites, on a cluster: some 20 minutes more), whose code is driven here
  #   by `unit-on-rados` and the rest of `rados`;
  # - `clients`: the gateway code the real clients drive is driven here by
  #   the gateway suite, whose requests are more varied, and the request
  #   parsers by the fuzz targets (scripts/fuzz.sh).
  # Every process of this build starts about ten times slower than a plain
  # one: time limits are tripled. The crash suite runs 12 rounds of each
  # writer here (24 in the plain run): each round's recovery is what the
  # sanitizers look at, and its rounds took some 200 s here.
  # Two tests at a time: nothing else runs beside this phase, and a gateway
  # file (a Python client and one gateway) keeps about one core busy. Tests
  # that measure against the wall clock or start a Ceph cluster are
  # registered `is_parallel: false` and still run alone.
  CRASH_ROUNDS=12 meson test -C build-asan --print-errorlogs --num-processes 2 --timeout-multiplier 3 \
    --suite unit --suite rados --suite crash --suite gateway --suite admin-requests --suite fuse-files \
    --no-suite rados-system
else
  scripts/build.sh build
  echo "test.sh: build built in $((SECONDS - build_started)) s"
  $build_only && exit 0
  # A name defined inline in a header and again in a .cpp: which one runs
  # depends on the optimizer, so no test of the other build type would see it.
  scripts/check-odr.py build
  meson test -C build --print-errorlogs --num-processes 1
fi
