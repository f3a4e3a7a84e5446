#!/usr/bin/env bash
# run_each.sh CMD [ARGS...] [-- CMD [ARGS...]]...: runs each command in turn
# (all of them, whatever the earlier ones did) and prints one line per command
# with its status and time, then a summary. Exits 1 when any command failed,
# 0 otherwise; a command's exit status 77 counts as skipped.
#
# For the rados suite: it runs the files of the gateway and clients suites,
# one after the other, on a single throwaway cluster (run_with_cluster.sh).
set -uo pipefail
failed=() passed=0 skipped=0
summary=()
run_one() {
  local started=$SECONDS status=0
  printf '\n=== run_each: %s\n' "$*"
  "$@" || status=$?
  local line
  line=$(printf '%-6s %4ss  %s' "$([ $status = 0 ] && echo ok || { [ $status = 77 ] && echo SKIP; } || echo FAIL)" \
    "$((SECONDS - started))" "$*")
  summary+=("$line")
  case $status in
    0) passed=$((passed + 1)) ;;
    77) skipped=$((skipped + 1)) ;;
    *) failed+=("$*") ;;
  esac
}
cmd=()
for arg in "$@"; do
  if [ "$arg" = -- ]; then
    [ ${#cmd[@]} = 0 ] || run_one "${cmd[@]}"
    cmd=()
  else
    cmd+=("$arg")
  fi
done
[ ${#cmd[@]} = 0 ] || run_one "${cmd[@]}"
printf '\n=== run_each: summary\n'
printf '%s\n' "${summary[@]}"
printf '%d passed, %d skipped, %d failed\n' "$passed" "$skipped" "${#failed[@]}"
[ ${#failed[@]} = 0 ]
