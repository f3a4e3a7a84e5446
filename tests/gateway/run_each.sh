#!/usr/bin/env bash
# run_each.sh [--jobs N] CMD [ARGS...] [-- CMD [ARGS...]]...: runs each
# command (all of them, whatever the earlier ones did) and prints one line per
# command with its status and time, then a summary. Exits 1 when any command
# failed, 0 otherwise; a command's exit status 77 counts as skipped.
#
# --jobs N runs up to N commands at once, in the order given; each one's
# output is kept aside and printed whole when it ends, so that the log reads
# as if they had run one after the other. Worth it for a command that mostly
# waits (the lifecycle file waits for its worker's "days"): given first, it
# runs beside the others.
#
# For the rados suite: it runs the files of the gateway and clients suites on
# a single throwaway cluster (run_with_cluster.sh).
set -uo pipefail
jobs=1
if [ "${1:-}" = --jobs ]; then
  jobs=$2
  shift 2
fi
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "run_each.sh: --jobs wants a positive number, not '$jobs'" >&2; exit 2; }
outputs=$(mktemp -d)
trap 'rm -rf "$outputs"' EXIT
failed=() passed=0 skipped=0
summary=()
declare -A command_of started_of output_of
running=0 count=0
# Ended from outside (meson's timeout): what the running commands printed so
# far is shown, not lost with the kept-aside files.
on_signal() {
  local pid
  for pid in "${!command_of[@]}"; do
    kill "$pid" 2>/dev/null
    printf '\n=== run_each: %s (still running, ended)\n' "${command_of[$pid]}"
    cat "${output_of[$pid]}"
  done
  wait  # before the caller (run_with_cluster.sh) stops the cluster under them
  exit 1
}
trap on_signal TERM INT

# Waits for one running command to end, prints its output and its line.
reap_one() {
  local pid status=0
  wait -n -p pid || status=$?
  running=$((running - 1))
  printf '\n=== run_each: %s\n' "${command_of[$pid]}"
  cat "${output_of[$pid]}"
  local line
  line=$(printf '%-6s %4ss  %s' "$([ $status = 0 ] && echo ok || { [ $status = 77 ] && echo SKIP; } || echo FAIL)" \
    "$((SECONDS - started_of[$pid]))" "${command_of[$pid]}")
  summary+=("$line")
  case $status in
    0) passed=$((passed + 1)) ;;
    77) skipped=$((skipped + 1)) ;;
    *) failed+=("${command_of[$pid]}") ;;
  esac
  unset "command_of[$pid]"  # the running ones stay: what a signal ends
}

start_one() {
  [ "$running" -lt "$jobs" ] || reap_one
  count=$((count + 1))
  local output="$outputs/$count"
  "$@" >"$output" 2>&1 &
  command_of[$!]="$*"
  started_of[$!]=$SECONDS
  output_of[$!]=$output
  running=$((running + 1))
}

cmd=()
for arg in "$@"; do
  if [ "$arg" = -- ]; then
    [ ${#cmd[@]} = 0 ] || start_one "${cmd[@]}"
    cmd=()
  else
    cmd+=("$arg")
  fi
done
[ ${#cmd[@]} = 0 ] || start_one "${cmd[@]}"
while [ "$running" -gt 0 ]; do
  reap_one
done
printf '\n=== run_each: summary\n'
printf '%s\n' "${summary[@]}"
printf '%d passed, %d skipped, %d failed\n' "$passed" "$skipped" "${#failed[@]}"
[ ${#failed[@]} = 0 ]
