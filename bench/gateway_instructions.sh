#!/usr/bin/env bash
# User-space instructions per presigned 4 KiB GET, counted by callgrind: a
# figure that, unlike requests per second, does not move with the other work
# of a shared machine. N keep-alive GETs on 4 connections, after 200 of warm
# up; the counts of every thread of the gateway are summed.
#   bench/gateway_instructions.sh [GATEWAY [N]]
# GATEWAY defaults to build/gateway-lite/ostor-gateway, N to 2000. Compare
# two builds by running it on each (instructions are what valgrind counts in
# user space: the kernel's share, context switches, are not in it).
# KEEP_DUMPS=DIR (new or empty) keeps callgrind's dumps, one per process
# part, each for `callgrind_annotate --inclusive=yes DIR/callgrind.out.N`.
# Needs valgrind, a C compiler and python3 with boto3.
set -euo pipefail
keep_dumps="${KEEP_DUMPS:+$(realpath -m "$KEEP_DUMPS")}"
if [ -n "$keep_dumps" ] && [ -n "$(ls -A "$keep_dumps" 2>/dev/null)" ]; then
  echo "gateway_instructions.sh: KEEP_DUMPS=$keep_dumps is not empty" >&2
  exit 1
fi
cd "$(dirname "$0")/.."
gateway="$(realpath "${1:-build/gateway-lite/ostor-gateway}")"
requests="${2:-2000}"
python="${PYTHON:-python3}"
for tool in valgrind callgrind_control cc; do
  command -v "$tool" >/dev/null || { echo "gateway_instructions.sh: $tool is missing (apt-get install valgrind gcc)" >&2; exit 1; }
done
tmp="$(mktemp -d "${TMPDIR:-/var/tmp}/ostor-instructions.XXXXXX")"
pid=
cleanup() {
  [ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; } || true
  rm -rf "$tmp"
}
trap cleanup EXIT
cc -shared -fPIC -O2 -o "$tmp/small_map_shim.so" bench/lib/small_map_shim.c -ldl
LD_PRELOAD="$tmp/small_map_shim.so" valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind.out" \
  --dump-instr=no "$gateway" --data "$tmp/data" --listen 127.0.0.1:0 >"$tmp/gateway.log" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q 'listening on' "$tmp/gateway.log" && break; sleep 0.1; done
url="$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$tmp/gateway.log" | head -1)"
[ -n "$url" ] || { echo "gateway_instructions.sh: the gateway did not start:" >&2; cat "$tmp/gateway.log" >&2; exit 1; }
export ENDPOINT="${url%/}"
AWS_ACCESS_KEY_ID="$(sed -n 's/^S3AccessKeyId: //p' "$tmp/gateway.log")"
AWS_SECRET_ACCESS_KEY="$(sed -n 's/^S3SecretAccessKey: //p' "$tmp/gateway.log")"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
head -c 4096 /dev/urandom >"$tmp/small"
"$python" bench/gateway_load/presign.py setup bench "small-4k=$tmp/small"
get_url="$("$python" bench/gateway_load/presign.py urls get bench small-4k)"

# GETs of the presigned URL: N in all, on 4 keep-alive connections.
load() {
  "$python" - "$get_url" "$1" <<'PY'
import http.client, sys, threading, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
count = int(sys.argv[2])
target = url.path + '?' + url.query
def run(n):
    connection = http.client.HTTPConnection(url.hostname, url.port)
    for _ in range(n):
        connection.request('GET', target)
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200 and len(body) == 4096, response.status
threads = [threading.Thread(target=run, args=(count // 4,)) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
PY
}
load 200
callgrind_control -z "$pid" >/dev/null 2>&1
load "$requests"
callgrind_control -d "$pid" >/dev/null 2>&1
sleep 1
total=0
for dump in "$tmp"/callgrind.out.*; do
  [ -e "$dump" ] || continue
  count="$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$dump" | head -1)"
  total=$((total + ${count:-0}))
done
[ "$total" -gt 0 ] || { echo "gateway_instructions.sh: callgrind wrote no counts" >&2; exit 1; }
if [ -n "$keep_dumps" ]; then
  mkdir -p "$keep_dumps" && cp "$tmp"/callgrind.out.* "$keep_dumps"/
fi
echo "instructions per 4 KiB GET: $((total / requests)) ($total over $requests GETs, $gateway)"
