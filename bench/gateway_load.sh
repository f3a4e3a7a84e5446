#!/usr/bin/env bash
# Gateway load benchmark: ostor-gateway next to nginx, both serving the same
# files from disk over loopback, measured in one run:
#   4 KiB GET ops/s and 4 KiB PUT ops/s with 64 connections (wrk),
#   large-object GET and PUT MiB/s on one connection (curl; 1 GiB by default),
#   the gateway's peak RSS (VmHWM) at the end,
#   and one core's MD5 rate (openssl speed -evp md5, 1 MiB blocks), the bound
#   of a single-stream PUT (its ETag is the body's MD5, which cannot be split),
#   and the disk's durable sequential write rate (dd oflag=direct conv=fdatasync
#   of the large file), its other bound (a PUT is answered once on disk).
# With OLD_GATEWAY, an older ostor-gateway runs beside the new one, on its own
# data directory; every measured figure is taken for each server in turn
# (old, new, nginx, and the MD5 and disk references before each large PUT round), so
# that noise from other work on the machine hits them alike. The summary
# gives the ratios the project's speed targets name: 4 KiB GET against nginx,
# the large PUT against MD5, the 4 KiB PUT absolute and new against old.
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
#   OLD_GATEWAY  an older ostor-gateway binary to measure beside GATEWAY (same
#              path rules); unset: only GATEWAY
#   DURATION   seconds per wrk run (default 20)
#   REPEAT     large transfers per server, alternating, the median reported (default 5)
#   WRK_REPEAT wrk runs per server and kind, alternating, the median reported (default 1)
#   MD5_SECONDS seconds of each `openssl speed` MD5 measurement (default 3)
#   SETTLE_S   seconds of quiet before each large write (the dd reference and
#              every large PUT; default 3). After a large write the disk, a
#              virtual one especially, goes on absorbing it for a few seconds,
#              and a write in that time runs slower: on the 2-core machine of
#              bench/README.md the second of two identical gateways PUTting
#              1 GiB in turn ran 0.91x the first with no pause, 0.99x with 4 s.
#              The gateways' order also turns each round, so that neither
#              always follows the other.
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
WRK_REPEAT="${WRK_REPEAT:-1}"
MD5_SECONDS="${MD5_SECONDS:-3}"
SETTLE_S="${SETTLE_S:-3}"
absolute() {  # a relative binary path is taken from the current directory first, else the repository
  if [[ "$1" == /* ]]; then echo "$1"
  elif [[ -x "$PWD/$1" ]]; then echo "$PWD/$1"
  else echo "$root/$1"; fi
}
GATEWAY="$(absolute "${GATEWAY:-build/gateway-lite/ostor-gateway}")"
OLD_GATEWAY="${OLD_GATEWAY:+$(absolute "$OLD_GATEWAY")}"

die() { echo "gateway_load: $*" >&2; exit 1; }
log() { echo "== $*"; }

[[ -x "$GATEWAY" ]] || die "$GATEWAY is not an executable (set GATEWAY=path/to/ostor-gateway)"
[[ -z "$OLD_GATEWAY" || -x "$OLD_GATEWAY" ]] || die "OLD_GATEWAY: $OLD_GATEWAY is not an executable"
[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -ge 1 ]] || die "DURATION must be a whole number of seconds"
[[ "$LARGE_MIB" =~ ^[0-9]+$ && "$LARGE_MIB" -ge 1 ]] || die "LARGE_MIB must be a whole number of MiB"
for v in REPEAT WRK_REPEAT MD5_SECONDS; do
  [[ "${!v}" =~ ^[0-9]+$ && "${!v}" -ge 1 ]] || die "$v must be a whole number, at least 1"
done
[[ "$SETTLE_S" =~ ^[0-9]+$ ]] || die "SETTLE_S must be a whole number of seconds"
command -v openssl >/dev/null || die "no openssl (apt-get install openssl): it gives the MD5 reference"

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
declare -A gw_pid=()
nginx_pid=""
cleanup() {
  local rc=$?
  local pid
  for pid in "${gw_pid[@]}"; do
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
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

# ---- ostor-gateways ------------------------------------------------------------
# gateways: the labels measured, "new" (GATEWAY) and with OLD_GATEWAY "old"
# first; gw_bin, gw_url, gw_keys, gw_buildtype by label.
declare -A gw_bin=([new]="$GATEWAY") gw_url=() gw_keys=() gw_buildtype=()
gateways=(new)
if [[ -n "$OLD_GATEWAY" ]]; then gw_bin[old]="$OLD_GATEWAY"; gateways=(old new); fi

buildtype_of() {  # buildtype_of BINARY: the meson build type of the build dir it comes from, or "?"
  local build_dir
  build_dir="$(dirname "$(dirname "$1")")"
  if [[ -f "$build_dir/meson-info/intro-buildoptions.json" ]]; then
    "$PYTHON" -c 'import json,sys; print(next((o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"), "?"))' \
      "$build_dir/meson-info/intro-buildoptions.json" 2>/dev/null || echo '?'
  else
    echo '?'
  fi
}

start_gateway() {  # start_gateway LABEL
  local g="$1" bin="${gw_bin[$1]}" log_file="$tmp/gateway-$1.log" url key secret
  log "starting the $g gateway: $bin"
  gw_buildtype[$g]="$(buildtype_of "$bin")"
  [[ "${gw_buildtype[$g]}" == release ]] ||
    echo "   note: this gateway is a '${gw_buildtype[$g]}' build; the figures of record come from a release build"
  "$bin" --data "$tmp/gw-data-$g" --listen 127.0.0.1:0 >"$log_file" 2>&1 &
  gw_pid[$g]=$!
  for _ in $(seq 300); do
    grep -q 'listening on' "$log_file" && break
    kill -0 "${gw_pid[$g]}" 2>/dev/null || { cat "$log_file" >&2; die "the $g gateway exited"; }
    sleep 0.1
  done
  grep -q 'listening on' "$log_file" || { cat "$log_file" >&2; die "the $g gateway did not start listening"; }
  url="$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$log_file" | head -1)"
  key="$(sed -n 's/^S3AccessKeyId: //p' "$log_file")"
  secret="$(sed -n 's/^S3SecretAccessKey: //p' "$log_file")"
  [[ -n "$url" && -n "$key" && -n "$secret" ]] || { cat "$log_file" >&2; die "no URL or keys in the $g gateway's output"; }
  gw_url[$g]="${url%/}"
  gw_keys[$g]="$key $secret"
  echo "   ${gw_url[$g]} (pid ${gw_pid[$g]})"
}

as_gateway() {  # as_gateway LABEL COMMAND...: runs COMMAND with ENDPOINT and keys of that gateway
  local g="$1"; shift
  local key secret
  read -r key secret <<<"${gw_keys[$g]}"
  ENDPOINT="${gw_url[$g]}" AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" "$@"
}

for g in "${gateways[@]}"; do start_gateway "$g"; done

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
put_keys=()
for i in $(seq 0 $((PUT_KEYS - 1))); do put_keys+=("$(printf 'put-%04d' "$i")"); done
for k in "${put_keys[@]}"; do echo "/$bucket/$k"; done >"$tmp/nginx-put-paths"
declare -A gw_get_small=() gw_get_large=() gw_put_large=()
for g in "${gateways[@]}"; do
  log "$g gateway setup: bucket $bucket, objects $small_key and $large_key (boto3)"
  as_gateway "$g" presign setup "$bucket" "$small_key=$tmp/small" "$large_key=$tmp/large"
  gw_get_small[$g]="$(as_gateway "$g" presign urls get "$bucket" "$small_key")"
  gw_get_large[$g]="$(as_gateway "$g" presign urls get "$bucket" "$large_key")"
  gw_put_large[$g]="$(as_gateway "$g" presign urls put "$bucket" large-put)"
  # wrk wants the path?query; the host comes from its URL argument.
  as_gateway "$g" presign urls put "$bucket" "${put_keys[@]}" | sed 's|^https\?://[^/]*||' >"$tmp/$g-put-paths"
  [[ $(wc -l <"$tmp/$g-put-paths") -eq $PUT_KEYS ]] || die "presigning failed"
  probe "$g gateway GET $small_key" "$tmp/small" "${gw_get_small[$g]}"
  probe "$g gateway PUT ${put_keys[0]}" "" -X PUT -H 'Content-Type:' --data-binary "@$tmp/small" \
    "${gw_url[$g]}$(head -1 "$tmp/$g-put-paths")"
done
probe "nginx GET $small_key" "$tmp/small" "$nginx_url/$bucket/$small_key"
probe "nginx PUT ${put_keys[0]}" "" -X PUT -H 'Content-Type:' --data-binary "@$tmp/small" "$nginx_url$(head -1 "$tmp/nginx-put-paths")"

# ---- runs ----------------------------------------------------------------------
declare -A result
declare -A samples

median_of() {  # median_of NAME: the median of samples[NAME] (the lower middle one of an even count)
  tr ' ' '\n' <<<"${samples[$1]}" | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

run_wrk() {  # run_wrk RESULT_NAME URL [SCRIPT_ARGS...]  (with args: requests.lua)
  local name="$1" url="$2"; shift 2
  local out="$tmp/wrk-$name.txt"
  local script=()
  (($#)) && script=(-s "$here/gateway_load/requests.lua")
  log "wrk $name: -t$THREADS -c$CONNECTIONS -d${DURATION}s"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s "${script[@]}" "$url" ${1+--} "$@" |
    tee "$out" | sed 's/^/   /'
  samples[$name]="${samples[$name]:-} $(check_wrk "$name" "$out")"
  result[$name]="$(median_of "$name")"
}

# The disk's durable sequential write rate in MiB/s: the large body written in
# 1 MiB blocks with O_DIRECT, as the engine writes large bodies
# (libengine/src/local/direct_io.hpp), and synced (dd oflag=direct
# conv=fdatasync) into the directory the gateways' data is in. A gateway
# answers a PUT once its body is on disk, so this bounds the large PUT as
# MD5 does.
run_disk() {
  local out bytes secs mibs
  sleep "$SETTLE_S"
  log "dd $large_label to $tmp, oflag=direct conv=fdatasync"
  out="$(dd if="$tmp/large" of="$tmp/disk-reference" bs=1M oflag=direct conv=fdatasync 2>&1 | tail -n 1)"
  rm -f "$tmp/disk-reference"
  bytes="$(awk '{ print $1 }' <<<"$out")"
  secs="$(sed -E 's/.*copied, ([0-9.]+) s.*/\1/' <<<"$out")"
  [[ "$bytes" == "$large_bytes" && "$secs" =~ ^[0-9.]+$ ]] || die "no figure in dd's output: $out"
  mibs="$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / 1048576 / s }')"
  samples[disk]="${samples[disk]:-} $mibs"
  result[disk]="$(median_of disk)"
  echo "   $mibs MiB/s (median so far ${result[disk]})"
}

# One core's MD5 rate over 1 MiB blocks, in MiB/s (openssl reports 1000s of bytes per second).
run_md5() {
  local k mibs
  log "openssl speed -evp md5 -bytes 1048576 -seconds $MD5_SECONDS"
  k="$(openssl speed -evp md5 -bytes 1048576 -seconds "$MD5_SECONDS" 2>/dev/null | awk '$1 == "md5" { sub(/k$/, "", $2); print $2 }')"
  [[ -n "$k" ]] || die "no md5 figure in openssl speed's output"
  mibs="$(awk -v k="$k" 'BEGIN { printf "%.1f", k * 1000 / 1048576 }')"
  samples[md5]="${samples[md5]:-} $mibs"
  result[md5]="$(median_of md5)"
  echo "   $mibs MiB/s (median so far ${result[md5]})"
}

for ((i = 0; i < WRK_REPEAT; i++)); do
  for g in "${gateways[@]}"; do run_wrk "${g}_get_small" "${gw_get_small[$g]}"; done
  run_wrk nginx_get_small "$nginx_url/$bucket/$small_key"
done

for ((i = 0; i < WRK_REPEAT; i++)); do
  for g in "${gateways[@]}"; do run_wrk "${g}_put_small" "${gw_url[$g]}/" PUT "$tmp/$g-put-paths" "$tmp/small"; done
  run_wrk nginx_put_small "$nginx_url/" PUT "$tmp/nginx-put-paths" "$tmp/small"
done
for g in "${gateways[@]}"; do
  as_gateway "$g" presign verify "$bucket" 4096 "${put_keys[@]}" | sed "s/^/   $g gateway /" || die "$g gateway 4 KiB PUTs not stored"
  as_gateway "$g" presign same "$bucket" "${put_keys[$((PUT_KEYS - 1))]}" "$tmp/small" || die "$g gateway 4 KiB PUT stored other bytes"
done
for k in "${put_keys[@]}"; do
  cmp -s "$tmp/www/$bucket/$k" "$tmp/small" || die "nginx 4 KiB PUT of $k not stored"
done
# ...and through HTTP, as a client would see it.
code="$(curl -s -o /dev/null -w '%{http_code}' -I "$nginx_url/$bucket/${put_keys[$((PUT_KEYS - 1))]}")"
[[ "$code" == 200 ]] || die "nginx HEAD of a PUT key: HTTP $code"
echo "   nginx verify: $PUT_KEYS objects of 4096 bytes present"

for ((i = 0; i < REPEAT; i++)); do
  for g in "${gateways[@]}"; do run_curl "${g}_get_large" get "${gw_get_large[$g]}"; done
  run_curl nginx_get_large get "$nginx_url/$bucket/$large_key"
done

# Each large PUT starts on a quiet disk (SETTLE_S), and the gateways take
# turns at going first.
for ((i = 0; i < REPEAT; i++)); do
  run_md5
  run_disk
  order=("${gateways[@]}")
  ((i % 2 == 0)) || order=("${gateways[@]:1}" "${gateways[0]}")
  for g in "${order[@]}"; do
    sleep "$SETTLE_S"
    run_curl "${g}_put_large" put "${gw_put_large[$g]}" "$tmp/large"
  done
  rm -f "$tmp/www/$bucket/large-put"
  sleep "$SETTLE_S"
  run_curl nginx_put_large put "$nginx_url/$bucket/large-put" "$tmp/large"
done
for g in "${gateways[@]}"; do
  as_gateway "$g" presign verify "$bucket" "$large_bytes" large-put | sed "s/^/   $g gateway /" || die "$g gateway $large_label PUT not stored"
  [[ "$(as_gateway "$g" presign etag "$bucket" large-put)" == "$large_md5" ]] || die "$g gateway $large_label PUT: ETag is not the file's MD5"
done
cmp -s "$tmp/www/$bucket/large-put" "$tmp/large" || die "nginx $large_label PUT not stored"
echo "   nginx verify: large-put equals the file"

declare -A vmhwm_mib vmrss_mib
for g in "${gateways[@]}"; do
  kill -0 "${gw_pid[$g]}" 2>/dev/null || die "the $g gateway died"
  vmhwm_mib[$g]="$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/${gw_pid[$g]}/status")"
  vmrss_mib[$g]="$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/${gw_pid[$g]}/status")"
done

# ---- summary -------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
ops() { [[ -n "$1" ]] && printf '%.0f' "$1" || echo -; }
echo
for g in "${gateways[@]}"; do echo "$g gateway: ${gw_bin[$g]} (${gw_buildtype[$g]} build)"; done
echo "nginx:       $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), worker_processes auto, sendfile on, WebDAV PUT"
echo "MD5:         $(openssl version), openssl speed -evp md5 -bytes 1048576 -seconds $MD5_SECONDS, one core, median of $REPEAT"
echo "load:        wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s on $(nproc) cores, loopback, median of $WRK_REPEAT;" \
  "$large_label transfers with curl, 1 connection, median of $REPEAT; servers taken in turn," \
  "${SETTLE_S} s of quiet before each large write"
echo "uptime:      $(uptime)"
echo
old_col() { if [[ -n "$OLD_GATEWAY" ]]; then echo "$1"; fi; }
printf '%-24s %10s %10s %10s %10s  %s\n' "" "new" "old" "nginx" "new/old" "target"
printf '%-24s %10s %10s %10s %10s  %s\n' "4KiB GET ops/s" "$(ops "${result[new_get_small]}")" \
  "$(ops "${result[old_get_small]:-}")" "$(ops "${result[nginx_get_small]}")" \
  "$(ratio "${result[new_get_small]}" "${result[old_get_small]:-}")" \
  "new/nginx $(ratio "${result[new_get_small]}" "${result[nginx_get_small]}") (0.80 or better)$(old_col ", old/nginx $(ratio "${result[old_get_small]:-}" "${result[nginx_get_small]}")")"
printf '%-24s %10s %10s %10s %10s  %s\n' "4KiB PUT ops/s" "$(ops "${result[new_put_small]}")" \
  "$(ops "${result[old_put_small]:-}")" "$(ops "${result[nginx_put_small]}")" \
  "$(ratio "${result[new_put_small]}" "${result[old_put_small]:-}")" "no slower than old (gateway PUTs are durable, nginx's not fsynced)"
printf '%-24s %10s %10s %10s %10s  %s\n' "$large_label GET MiB/s" "${result[new_get_large]}" \
  "${result[old_get_large]:--}" "${result[nginx_get_large]}" "$(ratio "${result[new_get_large]}" "${result[old_get_large]:-}")" \
  "new/nginx $(ratio "${result[new_get_large]}" "${result[nginx_get_large]}")"
printf '%-24s %10s %10s %10s %10s  %s\n' "$large_label PUT MiB/s" "${result[new_put_large]}" \
  "${result[old_put_large]:--}" "${result[nginx_put_large]}" "$(ratio "${result[new_put_large]}" "${result[old_put_large]:-}")" \
  "new/MD5 $(ratio "${result[new_put_large]}" "${result[md5]}") (0.85 or better)$(old_col ", old/MD5 $(ratio "${result[old_put_large]:-}" "${result[md5]}")")"
printf '%-24s %10s %10s %10s %10s  %s\n' "MD5 MiB/s (one core)" "${result[md5]}" "" "" "" "samples:${samples[md5]}"
printf '%-24s %10s %10s %10s %10s  %s\n' "disk write MiB/s (dd)" "${result[disk]}" "" "" "" \
  "samples:${samples[disk]}; new PUT/disk $(ratio "${result[new_put_large]}" "${result[disk]}")$(old_col ", old PUT/disk $(ratio "${result[old_put_large]:-}" "${result[disk]}")")"
printf '%-24s %10s %10s %10s %10s\n' "gateway VmHWM MiB" "${vmhwm_mib[new]}" "${vmhwm_mib[old]:--}" "-" "-"
echo
echo "(samples: $(for n in "${!samples[@]}"; do printf '%s:%s; ' "$n" "${samples[$n]}"; done))"
echo "(gateway VmRSS at the end: new ${vmrss_mib[new]} MiB$(old_col ", old ${vmrss_mib[old]:-} MiB"); the gateways' PUTs are durable when answered, nginx's are not fsynced)"
