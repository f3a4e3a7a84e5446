#!/usr/bin/env bash
# The fuzz targets of tests/fuzz (libFuzzer): built with clang under
# AddressSanitizer and UndefinedBehaviorSanitizer into build-fuzz/, then each
# run for SECONDS (default 60), two at a time, from its seeds in tests/fuzz/corpus/<name>/
# (copied: the seeds stay as committed). A crash, a sanitizer report or a
# broken invariant stops the run with a non-zero exit; the input that did it
# is left in build-fuzz/artifacts/. --build-only builds the targets only.
#   scripts/fuzz.sh [SECONDS | --build-only]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is needed (Debian: clang)" >&2; exit 1; }
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=enabled -Db_sanitize=address,undefined -Db_lundef=false \
    -Dtests=false -Dexamples=false -Dbench=false -Dfuse=disabled -Drados=disabled
fi
targets=(aws_chunked request_head xml_bodies complete_multipart acl_policy bucket_policy post_form lifecycle_config
  bucket_access_controls)
# The whole output when the build fails (its errors), else its last lines.
ninja_log=$(mktemp)
if ! ninja -C build-fuzz "${targets[@]/#/tests/fuzz/fuzz-}" >"$ninja_log" 2>&1; then
  cat "$ninja_log"
  rm -f "$ninja_log"
  exit 1
fi
tail -n 3 "$ninja_log"
rm -f "$ninja_log"
[ "$seconds" = --build-only ] && exit 0
mkdir -p build-fuzz/artifacts
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# One target from a copy of its seeds; its output in build-fuzz/artifacts/<name>.log.
run_target() {
  local t=$1 seconds=$2 corpus rc=0
  corpus=$(mktemp -d)
  cp tests/fuzz/corpus/"$t"/* "$corpus"/
  "build-fuzz/tests/fuzz/fuzz-$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t-" "$corpus" >"build-fuzz/artifacts/$t.log" 2>&1 ||
    rc=$?
  rm -rf "$corpus"
  return "$rc"
}
export -f run_target
# Two at a time (FUZZ_JOBS): each target runs on one core.
echo "fuzz.sh: ${targets[*]} for ${seconds}s each, ${FUZZ_JOBS:-2} at a time"
status=0
printf '%s\n' "${targets[@]}" | xargs -P "${FUZZ_JOBS:-2}" -I{} bash -c 'run_target "$1" "$2"' _ {} "$seconds" ||
  status=$?
for t in "${targets[@]}"; do
  echo "fuzz.sh: $t"
  tail -n 12 "build-fuzz/artifacts/$t.log"
done
[ "$status" -eq 0 ] || echo "fuzz.sh: a target failed (see above; its input is in build-fuzz/artifacts/)" >&2
exit "$status"
