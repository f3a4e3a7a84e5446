#!/usr/bin/env bash
# run_in_namespaces.sh NAME PROGRAM [ARGS...] [-- NAME PROGRAM [ARGS...]]...
# Runs each PROGRAM in turn on the cluster that run_with_cluster.sh started
# (one cluster for them all: a start costs seconds), each in a RADOS
# namespace of its own, NAME, so that none sees another's objects:
#   tests/rados/run_with_cluster.sh tests/rados/run_in_namespaces.sh \
#     rados-versions build/tests/rados/rados-versions-test -- \
#     rados-uploads build/tests/rados/rados-uploads-test --gtest_filter='*Abort*'
# Each line a program prints is prefixed with [NAME]. A failure does not stop
# the run; the run ends with a summary naming each program that failed and
# its failed GoogleTest cases (or the case running when it died), and exits
# non-zero when any failed.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 NAME PROGRAM [ARGS...] [-- NAME PROGRAM [ARGS...]]..." >&2; exit 2; }
[ -n "${OSTOR_TEST_VOLUME:-}" ] ||
  { echo "run_in_namespaces.sh: OSTOR_TEST_VOLUME is not set: run this through tests/rados/run_with_cluster.sh" >&2; exit 2; }
if [[ "$OSTOR_TEST_VOLUME" =~ [?\&]ns= ]]; then
  echo "run_in_namespaces.sh: OSTOR_TEST_VOLUME already names a namespace: $OSTOR_TEST_VOLUME" >&2
  exit 2
fi
case "$OSTOR_TEST_VOLUME" in
  *'?'*) base_volume="$OSTOR_TEST_VOLUME&" ;;
  *) base_volume="$OSTOR_TEST_VOLUME?" ;;
esac

work="$(mktemp -d "${TMPDIR:-/tmp}/ostor-run-in-ns.XXXXXX")"
child=""
trap '[ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true; rm -rf -- "$work"' EXIT
# A test runner's timeout, or run_with_cluster.sh's, sends TERM: stop the
# running program too (it runs in the background so that the trap runs at once).
trap 'exit 143' TERM
trap 'exit 130' INT

# The GoogleTest cases a program's output reports failed, one a line; when it
# reports none but failed, the case it had begun and not ended (a crash).
failed_cases() {
  local log="$1" last_run
  # "[  FAILED  ] Suite.Case (12 ms)" and the summary's "[  FAILED  ] Suite.Case";
  # not the count ("[  FAILED  ] 2 tests, listed below:").
  sed -n 's/^\[  FAILED  \] \([A-Za-z_][^ ,]*\).*/\1/p' "$log" | sort -u | grep . && return 0
  last_run="$(sed -n 's/^\[ RUN      \] \([^ ]*\).*/\1/p' "$log" | tail -n 1)"
  if [ -n "$last_run" ] && ! grep -q -e "^\[       OK \] $last_run " -e "^\[  SKIPPED \] $last_run " "$log"; then
    echo "$last_run (did not end)"
  fi
}

# Seconds since an $EPOCHREALTIME, to a tenth.
elapsed_since() {
  awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

passed=()
failed=()
count=0
while [ $# -gt 0 ]; do
  name="$1"
  shift
  [ $# -ge 1 ] || { echo "run_in_namespaces.sh: $name: no program given" >&2; exit 2; }
  [[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "run_in_namespaces.sh: '$name' is not made of [A-Za-z0-9_.-] (it names a namespace)" >&2; exit 2; }
  command=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    command+=("$1")
    shift
  done
  [ $# -eq 0 ] || shift
  count=$((count + 1))
  log="$work/$name.log"
  fifo="$work/$name.fifo"
  mkfifo "$fifo"
  echo "run_in_namespaces.sh: [$name] ${command[*]} (namespace $name)"
  started=$EPOCHREALTIME
  # The output goes to the log (for the summary) and, prefixed, to ours.
  { tee "$log" | sed -u "s/^/[$name] /"; } <"$fifo" &
  printer=$!
  OSTOR_TEST_VOLUME="${base_volume}ns=$name" "${command[@]}" >"$fifo" 2>&1 </dev/null &
  child=$!
  status=0
  wait "$child" || status=$?
  child=""
  wait "$printer" || true
  took="$(elapsed_since "$started")"
  if [ "$status" -eq 0 ]; then
    passed+=("$name")
    echo "run_in_namespaces.sh: [$name] passed in $took s"
  else
    cases="$(failed_cases "$log" | paste -sd ' ' -)" || cases=""
    failed+=("$name (exit status $status${cases:+: $cases})")
    echo "run_in_namespaces.sh: [$name] FAILED in $took s, exit status $status${cases:+; failed: $cases}"
  fi
done

echo "run_in_namespaces.sh: ${#passed[@]} of $count programs passed${passed[*]:+: ${passed[*]}}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "run_in_namespaces.sh: ${#failed[@]} FAILED:"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
