#!/usr/bin/env bash
# Gateway load benchmark: ostor-gateway next to nginx, both serving the same
# files from disk over loopback, measured in one run:
#   4 KiB GET ops/s and 4 KiB PUT ops/s with 64 connections (wrk),
#   large-object GET and PUT MiB/s on one connection (curl; 1 GiB by default),
#   the gateway's peak RSS (VmHWM) at the end.
# The gateway is driven through presigned SigV4 URLs (boto3, path-style,
# us-east-1); nginx serves GETs from its root and takes PUTs with its WebDAV
# module (dav_methods PUT). Each is checked: any non-2xx response or socket
# error fails the run, and the PUT objects are read back afterwards.
#
# Measure a release build (build/ is one: meson.build's default configuration):
#   ninja -C build && bench/gateway_load.sh
#
# Environment:
#   GATEWAY    the ostor-gateway binary (default build/gateway-lite/ostor-gateway,
#              relative to the repository; a relative path given is taken from
#              the current directory first)
#   DURATION   seconds per wrk run (default 20)
#   REPEAT     large transfers per server, alternating, the median reported (default 5)
#   LARGE_MIB  size of the large object in MiB (default 1024; e.g. 64 for a smoke run)
#   CONNECTIONS, THREADS  wrk -c / -t (default 64 / 2)
#   PUT_KEYS   distinct keys the 4 KiB PUT run cycles over (default 256)
#   TMPDIR     where the temporary directory goes (default /var/tmp: the real
#              disk, not a tmpfs); it holds the data directory, nginx's root and
#              the large file, and is removed on exit
#   PYTHON     a python3 with boto3 (default: python3, else /usr/bin/python3)
# wrk and nginx are installed with apt-get when missing (Debian, as root).
#
# Both servers run on this machine beside the load generator, and the gateway
# commits every PUT to stable storage before answering while nginx does not
# fsync: read the PUT ratios with that in mind.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"

DURATION="${DURATION:-20}"
REPEAT="${REPEAT:-5}"
LARGE_MIB="${LARGE_MIB:-1024}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
PUT_KEYS="${PUT_KEYS:-256}"
GATEWAY="${GATEWAY:-build/gateway-lite/ostor-gateway}"
if [[ "$GATEWAY" != /* ]]; then
  if [[ -x "$PWD/$GATEWAY" ]]; then GATEWAY="$PWD/$GATEWAY"; else GATEWAY="$root/$GATEWAY"; fi
fi

die() { echo "gateway_load: $*" >&2; exit 1; }
log() { echo "== $*"; }

[[ -x "$GATEWAY" ]] || die "$GATEWAY is not an executable (set GATEWAY=path/to/ostor-gateway)"
[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -ge 1 ]] || die "DURATION must be a whole number of seconds"
[[ "$LARGE_MIB" =~ ^[0-9]+$ && "$LARGE_MIB" -ge 1 ]] || die "LARGE_MIB must be a whole number of MiB"

# ---- tools -------------------------------------------------------------------
need_pkgs=()
command -v wrk >/dev/null || need_pkgs+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need_pkgs+=(nginx-light)
command -v curl >/dev/null || need_pkgs+=(curl)
if ((${#need_pkgs[@]})); then
  [[ $(id -u) -eq 0 ]] || die "missing ${need_pkgs[*]}: install them (apt-get install ${need_pkgs[*]})"
  log "installing ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  if [[ " ${need_pkgs[*]} " == *" nginx-light "* ]]; then
    # The package may have started the system nginx; this benchmark runs its own.
    if [[ -d /run/systemd/system ]]; then systemctl stop nginx 2>/dev/null || true
    else /usr/sbin/nginx -s stop 2>/dev/null || true; fi
  fi
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
"$NGINX" -V 2>&1 | grep -q -- --with-http_dav_module || die "$NGINX has no WebDAV module (install nginx-light or nginx)"

if [[ -z "${PYTHON:-}" ]]; then
  for p in python3 /usr/bin/python3; do
    if "$p" -c 'import boto3' 2>/dev/null; then PYTHON="$p"; break; fi
  done
fi
if [[ -z "${PYTHON:-}" ]]; then
  [[ $(id -u) -eq 0 ]] || die "no python3 with boto3 (apt-get install python3-boto3)"
  log "installing python3-boto3"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-boto3 >/dev/null
  PYTHON=/usr/bin/python3
fi
presign() { "$PYTHON" "$here/gateway_load/presign.py" "$@"; }

# ---- temporary directory, cleanup ---------------------------------------------
tmp="$(mktemp -d "${TMPDIR:-/var/tmp}/ostor-gwload.XXXXXX")"
gw_pid=""
nginx_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$gw_pid" ]] && kill -0 "$gw_pid" 2>/dev/null; then
    kill -TERM "$gw_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$gw_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$gw_pid" 2>/dev/null || true
    wait "$gw_pid" 2>/dev/null || true
  fi
  if [[ -n "$nginx_pid" ]] && kill -0 "$nginx_pid" 2>/dev/null; then
    kill -TERM "$nginx_pid" 2>/dev/null || true   # fast shutdown of master and workers
    for _ in $(seq 100); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# probe, check_wrk, run_curl, free_port
# shellcheck source=lib/load_runs.sh
source "$here/lib/load_runs.sh"

# ---- the files ----------------------------------------------------------------
bucket=bench
small_key=small-4k
large_key=large
large_bytes=$((LARGE_MIB * 1024 * 1024))
if ((LARGE_MIB % 1024 == 0)); then large_label="$((LARGE_MIB / 1024))GiB"; else large_label="${LARGE_MIB}MiB"; fi

log "files in $tmp (4 KiB and $large_label, random)"
mkdir -p "$tmp/www/$bucket" "$tmp/nginx/body" "$tmp/nginx/logs"
head -c 4096 /dev/urandom >"$tmp/small"
head -c "$large_bytes" /dev/urandom >"$tmp/large"
large_md5="$(md5sum "$tmp/large" | cut -d' ' -f1)"
# nginx serves the very same files (hard links).
ln "$tmp/small" "$tmp/www/$bucket/$small_key"
ln "$tmp/large" "$tmp/www/$bucket/$large_key"

# ---- ostor-gateway ------------------------------------------------------------
log "starting $GATEWAY"
build_dir="$(dirname "$(dirname "$GATEWAY")")"
if [[ -f "$build_dir/meson-info/intro-buildoptions.json" ]]; then
  buildtype="$("$PYTHON" -c 'import json,sys; print(next((o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"), "?"))' \
    "$build_dir/meson-info/intro-buildoptions.json" 2>/dev/null || echo '?')"
else
  buildtype="?"
fi
[[ "$buildtype" == release ]] || echo "   note: this gateway is a '$buildtype' build; the figures of record come from a release build"
"$GATEWAY" --data "$tmp/gw-data" --listen 127.0.0.1:0 >"$tmp/gateway.log" 2>&1 &
gw_pid=$!
for _ in $(seq 300); do
  grep -q 'listening on' "$tmp/gateway.log" && break
  kill -0 "$gw_pid" 2>/dev/null || { cat "$tmp/gateway.log" >&2; die "the gateway exited"; }
  sleep 0.1
done
grep -q 'listening on' "$tmp/gateway.log" || { cat "$tmp/gateway.log" >&2; die "the gateway did not start listening"; }
gw_url="$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$tmp/gateway.log" | head -1)"
gw_url="${gw_url%/}"
AWS_ACCESS_KEY_ID="$(sed -n 's/^S3AccessKeyId: //p' "$tmp/gateway.log")"
AWS_SECRET_ACCESS_KEY="$(sed -n 's/^S3SecretAccessKey: //p' "$tmp/gateway.log")"
[[ -n "$gw_url" && -n "$AWS_ACCESS_KEY_ID" && -n "$AWS_SECRET_ACCESS_KEY" ]] ||
  { cat "$tmp/gateway.log" >&2; die "no URL or keys in the gateway's output"; }
export ENDPOINT="$gw_url" AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
echo "   $gw_url (pid $gw_pid)"

# ---- nginx --------------------------------------------------------------------
nginx_port="$(free_port)"
nginx_url="http://127.0.0.1:$nginx_port"
cat >"$tmp/nginx/nginx.conf" <<EOF
# Written by bench/gateway_load.sh for one run.
user root;
worker_processes auto;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 75s;
    keepalive_requests 100000000;
    default_type application/octet-stream;
    client_max_body_size 0;
    client_body_in_file_only off;
    client_body_buffer_size 16k;
    client_body_temp_path $tmp/nginx/body;
    server {
        listen 127.0.0.1:$nginx_port;
        root $tmp/www;
        location / {
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw;
        }
    }
}
EOF
log "starting nginx ($NGINX)"
"$NGINX" -p "$tmp/nginx" -e "$tmp/nginx/logs/error.log" -c "$tmp/nginx/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do
  curl -s -o /dev/null "$nginx_url/" && break
  kill -0 "$nginx_pid" 2>/dev/null || { cat "$tmp/nginx/logs/error.log" >&2; die "nginx exited"; }
  sleep 0.1
done
curl -s -o /dev/null "$nginx_url/" || { cat "$tmp/nginx/logs/error.log" >&2; die "nginx does not answer on $nginx_url"; }
echo "   $nginx_url (pid $nginx_pid)"

# ---- setup: objects and URLs ---------------------------------------------------
log "gateway setup: bucket $bucket, objects $small_key and $large_key (boto3)"
presign setup "$bucket" "$small_key=$tmp/small" "$large_key=$tmp/large"

put_keys=()
for i in $(seq 0 $((PUT_KEYS - 1))); do put_keys+=("$(printf 'put-%04d' "$i")"); done
gw_get_small="$(presign urls get "$bucket" "$small_key")"
gw_get_large="$(presign urls get "$bucket" "$large_key")"
gw_put_large="$(presign urls put "$bucket" large-put)"
# wrk wants the path?query; the host comes from its URL argument.
presign urls put "$bucket" "${put_keys[@]}" | sed 's|^https\?://[^/]*||' >"$tmp/gw-put-paths"
for k in "${put_keys[@]}"; do echo "/$bucket/$k"; done >"$tmp/nginx-put-paths"
[[ $(wc -l <"$tmp/gw-put-paths") -eq $PUT_KEYS ]] || die "presigning failed"

probe "gateway GET $small_key" "$tmp/small" "$gw_get_small"
probe "nginx GET $small_key" "$tmp/small" "$nginx_url/$bucket/$small_key"
probe "gateway PUT ${put_keys[0]}" "" -X PUT -H 'Content-Type:' --data-binary "@$tmp/small" "$gw_url$(head -1 "$tmp/gw-put-paths")"
probe "nginx PUT ${put_keys[0]}" "" -X PUT -H 'Content-Type:' --data-binary "@$tmp/small" "$nginx_url$(head -1 "$tmp/nginx-put-paths")"

# ---- runs ----------------------------------------------------------------------
declare -A result

run_wrk() {  # run_wrk RESULT_NAME URL [SCRIPT_ARGS...]  (with args: requests.lua)
  local name="$1" url="$2"; shift 2
  local out="$tmp/wrk-$name.txt"
  local script=()
  (($#)) && script=(-s "$here/gateway_load/requests.lua")
  log "wrk $name: -t$THREADS -c$CONNECTIONS -d${DURATION}s"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s "${script[@]}" "$url" ${1+--} "$@" |
    tee "$out" | sed 's/^/   /'
  result[$name]="$(check_wrk "$name" "$out")"
}

declare -A samples

run_wrk gw_get_small "$gw_get_small"
run_wrk nginx_get_small "$nginx_url/$bucket/$small_key"

run_wrk gw_put_small "$gw_url/" PUT "$tmp/gw-put-paths" "$tmp/small"
presign verify "$bucket" 4096 "${put_keys[@]}" | sed 's/^/   gateway /' || die "gateway 4 KiB PUTs not stored"
presign same "$bucket" "${put_keys[$((PUT_KEYS - 1))]}" "$tmp/small" || die "gateway 4 KiB PUT stored other bytes"
run_wrk nginx_put_small "$nginx_url/" PUT "$tmp/nginx-put-paths" "$tmp/small"
for k in "${put_keys[@]}"; do
  cmp -s "$tmp/www/$bucket/$k" "$tmp/small" || die "nginx 4 KiB PUT of $k not stored"
done
# ...and through HTTP, as a client would see it.
code="$(curl -s -o /dev/null -w '%{http_code}' -I "$nginx_url/$bucket/${put_keys[$((PUT_KEYS - 1))]}")"
[[ "$code" == 200 ]] || die "nginx HEAD of a PUT key: HTTP $code"
echo "   nginx verify: $PUT_KEYS objects of 4096 bytes present"

for ((i = 0; i < REPEAT; i++)); do
  run_curl gw_get_large get "$gw_get_large"
  run_curl nginx_get_large get "$nginx_url/$bucket/$large_key"
done

for ((i = 0; i < REPEAT; i++)); do
  run_curl gw_put_large put "$gw_put_large" "$tmp/large"
  rm -f "$tmp/www/$bucket/large-put"
  run_curl nginx_put_large put "$nginx_url/$bucket/large-put" "$tmp/large"
done
presign verify "$bucket" "$large_bytes" large-put | sed 's/^/   gateway /' || die "gateway $large_label PUT not stored"
[[ "$(presign etag "$bucket" large-put)" == "$large_md5" ]] || die "gateway $large_label PUT: ETag is not the file's MD5"
cmp -s "$tmp/www/$bucket/large-put" "$tmp/large" || die "nginx $large_label PUT not stored"
echo "   nginx verify: large-put equals the file"

kill -0 "$gw_pid" 2>/dev/null || die "the gateway died"
vmhwm_kib="$(awk '/^VmHWM:/ { print $2 }' "/proc/$gw_pid/status")"
vmrss_kib="$(awk '/^VmRSS:/ { print $2 }' "/proc/$gw_pid/status")"

# ---- summary -------------------------------------------------------------------
echo
echo "gateway: $GATEWAY ($buildtype build)"
echo "nginx:   $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), worker_processes auto, sendfile on, WebDAV PUT"
echo "load:    wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s on $(nproc) cores, loopback; $large_label transfers with curl, 1 connection, median of $REPEAT"
echo
row() {  # row LABEL GATEWAY_VALUE NGINX_VALUE
  local ratio
  ratio="$(awk -v a="$2" -v b="$3" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }')"
  printf '%-26s %14s %12s %9s\n' "$1" "$2" "$3" "$ratio"
}
printf '%-26s %14s %12s %9s\n' "" "ostor-gateway" "nginx" "ratio"
row "4KiB GET ops/s (c=$CONNECTIONS)" "$(printf '%.0f' "${result[gw_get_small]}")" "$(printf '%.0f' "${result[nginx_get_small]}")"
row "4KiB PUT ops/s (c=$CONNECTIONS)" "$(printf '%.0f' "${result[gw_put_small]}")" "$(printf '%.0f' "${result[nginx_put_small]}")"
row "$large_label GET MiB/s" "${result[gw_get_large]}" "${result[nginx_get_large]}"
row "$large_label PUT MiB/s" "${result[gw_put_large]}" "${result[nginx_put_large]}"
printf '%-26s %14s %12s %9s\n' "gateway VmHWM MiB" "$(awk -v k="$vmhwm_kib" 'BEGIN { printf "%.1f", k / 1024 }')" "-" "-"
echo
echo "(gateway VmRSS at the end: $(awk -v k="$vmrss_kib" 'BEGIN { printf "%.1f", k / 1024 }') MiB; the gateway's PUTs are durable when answered, nginx's are not fsynced)"
