# Shared by the load benchmarks (gateway_load.sh, rados_load.sh): sourced
# after the caller defined die, log, PYTHON, $tmp (the run's temporary
# directory), $large_bytes (the large object's size) and the associative
# arrays result and samples (declare -A).

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# One request of each kind first, so that a refusal shows its reason here
# rather than as a count of non-2xx responses.
probe() {  # probe NAME EXPECTED_FILE curl-args...
  local name="$1" expected="$2"; shift 2
  local code
  code="$(curl -sS -o "$tmp/probe.out" -w '%{http_code}' "$@")" || die "$name: curl failed"
  if [[ "$code" != 2* ]]; then
    echo "$name: HTTP $code" >&2; head -c 2000 "$tmp/probe.out" >&2; echo >&2
    die "$name refused"
  fi
  if [[ -n "$expected" ]]; then cmp -s "$tmp/probe.out" "$expected" || die "$name: wrong body"; fi
}

# check_wrk NAME OUTPUT_FILE: fails on non-2xx or socket errors; prints Requests/sec.
check_wrk() {
  local name="$1" out="$2" non2xx errors rps
  non2xx="$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$out")"
  errors="$(grep 'Socket errors:' "$out" || true)"
  rps="$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$out")"
  [[ -z "$non2xx" || "$non2xx" == 0 ]] || die "$name: $non2xx non-2xx responses"
  [[ -z "$errors" ]] || die "$name: $errors"
  [[ -n "$rps" ]] || die "$name: no Requests/sec in wrk's output"
  echo "$rps"
}

run_curl() {  # run_curl RESULT_NAME get|put URL [FILE_TO_PUT]
  local name="$1" method="$2" url="$3" file="${4:-}"
  local w
  log "curl $name"
  if [[ "$method" == get ]]; then
    w="$(curl -sS --fail -o /dev/null -w '%{http_code} %{size_download} %{time_total}' "$url")" || die "$name: curl failed"
  else
    # No 'Expect: 100-continue' pause, for either server.
    w="$(curl -sS --fail -H 'Expect:' -H 'Content-Type:' -T "$file" -o /dev/null \
      -w '%{http_code} %{size_upload} %{time_total}' "$url")" || die "$name: curl failed"
  fi
  local code bytes secs
  read -r code bytes secs <<<"$w"
  [[ "$code" == 2* ]] || die "$name: HTTP $code"
  [[ "$bytes" == "$large_bytes" ]] || die "$name: $bytes bytes moved, expected $large_bytes"
  local mibs
  mibs="$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / 1048576 / s }')"
  samples[$name]="${samples[$name]:-} $mibs"
  # One transfer is noisy on a shared machine: report the median of them all.
  result[$name]="$(tr ' ' '\n' <<<"${samples[$name]}" | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
  echo "   HTTP $code, $bytes bytes in ${secs}s: $mibs MiB/s (median so far ${result[$name]})"
}
