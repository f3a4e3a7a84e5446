#!/usr/bin/env bash
# RADOS load benchmark: ostor-gateway on a RADOS volume next to Ceph's own
# RADOS Gateway (radosgw) and `rados bench`, all on ONE throwaway single-node
# cluster (tests/rados/ceph_cluster.sh), measured in one run:
#   ostor x1     one gateway: 4 KiB GET and PUT ops/s (wrk, 64 connections),
#                large-object GET and PUT MiB/s on one connection (curl; 1 GiB
#                by default, the median of REPEAT);
#   ostor x3     three gateways on the same volume (each its own --state-dir
#                and port): the same 4 KiB runs with the load spread over
#                them (three wrk at once, CONNECTIONS/3 connections each, the
#                ops/s summed). The large transfers are not run again (one
#                connection goes through one gateway: x1 measured that);
#   RGW          radosgw (Debian 12's, Ceph 16) on the same cluster, the same
#                4 KiB and large runs;
#   rados bench  4 KiB writes (-b 4096 -t CONNECTIONS) then random reads of
#                them, in a pool of its own made like ostor's (size 1, 8 PGs):
#                the cluster's own rate, with no gateway in the way;
# then the ratios the project's goals name, and the gateways' peak RSS.
# The gateways are driven through presigned SigV4 URLs (boto3, path-style,
# us-east-1: bench/gateway_load/presign.py and requests.lua). Each run is
# checked: any non-2xx response or socket error fails it, and the PUT objects
# are read back afterwards. The runs go one after another (ostor x1, x3, RGW,
# rados bench), each server stopped before the next starts.
#
# Measure a release build (build/ is one: meson.build's default configuration):
#   ninja -C build gateway-lite/ostor-gateway && bench/rados_load.sh
#
# Environment:
#   GATEWAY    the ostor-gateway binary (default build/gateway-lite/ostor-gateway,
#              relative to the repository; a relative path given is taken from
#              the current directory first)
#   DURATION   seconds per wrk run and per rados bench phase (default 20)
#   REPEAT     large transfers per server and direction, the median reported (default 3)
#   LARGE_MIB  size of the large object in MiB (default 1024; e.g. 16 for a smoke run)
#   CONNECTIONS, THREADS  wrk -c / -t (default 64 / 2); rados bench -t CONNECTIONS.
#              ostor x3 runs three wrk of CONNECTIONS/3 connections and
#              THREADS/3 threads (at least 1) each
#   PUT_KEYS   distinct keys a 4 KiB PUT run cycles over, per gateway (default 256)
#   TMPDIR     where the temporary directory goes (default /var/tmp); it holds
#              the cluster (its logs; its BlueStore file if any), the gateways'
#              state directories and logs, and the large file, and is removed on exit
#   PYTHON     a python3 with boto3 (default: python3, else /usr/bin/python3)
#   OSTOR_CEPH_OSD_STORE  memstore (default) or bluestore: the OSD's store
#              (tests/rados/ceph_cluster.sh)
#   OSTOR_CEPH_OSD_BYTES  the OSD's capacity (default: enough for this run's
#              objects, see below)
# wrk, curl and radosgw are installed with apt-get when missing (Debian, as
# root); the other Ceph packages come from scripts/install-deps.sh.
#
# What the OSD holds: nothing is freed while a server runs. ostor keeps an
# overwritten body for its 2-hour grace period and RGW's garbage collector
# waits 2 hours too, so a server's large PUTs add REPEAT * LARGE_MIB to its
# setup object, and its 4 KiB PUTs add theirs (each small object costs a
# memstore OSD several times its 4 KiB). Once a server is stopped, its data
# pool is purged (`rados purge`), so that the OSD holds one server's objects
# at a time: with all of them kept, a default run took the memstore OSD to
# 16 GiB. On memstore that is the OSD's memory: the run refuses to start
# unless about 2 * (REPEAT + 1) * LARGE_MIB + 4096 MiB (12 GiB with the
# defaults) are available (else: LARGE_MIB or REPEAT smaller, or
# OSTOR_CEPH_OSD_STORE=bluestore, whose sparse file takes disk instead).
#
# RGW is set up as a provider would, with nothing tuned for speed: its pools
# (.rgw.root, default.rgw.*) are made beforehand like ostor's (8 placement
# groups each: made by RGW, they would take the monitor's default of 32 each,
# too many for one OSD's mon_max_pg_per_osd once there are seven of them
# beside ostor's), its key is client.rgw.bench (mon 'allow rw', osd 'allow
# rwx'), its frontend beast on 127.0.0.1, its logging at Ceph's defaults (an
# access line a request, like any provider's), into the temporary directory.
#
# Everything runs on this machine beside the load generator, the cluster
# included: the figures compare the gateways on the same cluster, not the
# cluster with a real one. The servers are measured one after the other, so
# other work on the machine moves their ratios: the summary shows the load
# average before and after; read figures from a busy machine with that in mind.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"

DURATION="${DURATION:-20}"
REPEAT="${REPEAT:-3}"
LARGE_MIB="${LARGE_MIB:-1024}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
PUT_KEYS="${PUT_KEYS:-256}"
GATEWAY="${GATEWAY:-build/gateway-lite/ostor-gateway}"
if [[ "$GATEWAY" != /* ]]; then
  if [[ -x "$PWD/$GATEWAY" ]]; then GATEWAY="$PWD/$GATEWAY"; else GATEWAY="$root/$GATEWAY"; fi
fi

die() { echo "rados_load: $*" >&2; exit 1; }
log() { echo "== $*"; }

[[ -x "$GATEWAY" ]] || die "$GATEWAY is not an executable (set GATEWAY=path/to/ostor-gateway)"
[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -ge 1 ]] || die "DURATION must be a whole number of seconds"
[[ "$LARGE_MIB" =~ ^[0-9]+$ && "$LARGE_MIB" -ge 1 ]] || die "LARGE_MIB must be a whole number of MiB"
[[ "$REPEAT" =~ ^[0-9]+$ && "$REPEAT" -ge 1 ]] || die "REPEAT must be a whole number, at least 1"
[[ "$CONNECTIONS" =~ ^[0-9]+$ && "$CONNECTIONS" -ge 3 ]] || die "CONNECTIONS must be a whole number, at least 3"
[[ "$THREADS" =~ ^[0-9]+$ && "$THREADS" -ge 1 && "$THREADS" -le "$CONNECTIONS" ]] ||
  die "THREADS must be a whole number from 1 to CONNECTIONS"
[[ "$PUT_KEYS" =~ ^[0-9]+$ && "$PUT_KEYS" -ge 1 ]] || die "PUT_KEYS must be a whole number, at least 1"

# ---- tools -------------------------------------------------------------------
need_pkgs=()
command -v wrk >/dev/null || need_pkgs+=(wrk)
command -v curl >/dev/null || need_pkgs+=(curl)
command -v radosgw >/dev/null || need_pkgs+=(radosgw)
if ((${#need_pkgs[@]})); then
  [[ $(id -u) -eq 0 ]] || die "missing ${need_pkgs[*]}: install them (apt-get install ${need_pkgs[*]})"
  log "installing ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
for tool in ceph rados radosgw-admin; do
  command -v "$tool" >/dev/null || die "no $tool: install ceph-common (scripts/install-deps.sh installs the Ceph packages)"
done

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

# ---- what the OSD must hold ------------------------------------------------------
large_bytes=$((LARGE_MIB * 1024 * 1024))
need_mib=$((2 * (REPEAT + 1) * LARGE_MIB + 4096))
if [[ -z "${OSTOR_CEPH_OSD_BYTES:-}" ]]; then
  export OSTOR_CEPH_OSD_BYTES=$(((need_mib > 8192 ? need_mib : 8192) * 1024 * 1024))
fi
if [[ "${OSTOR_CEPH_OSD_STORE:-memstore}" == memstore ]]; then
  avail_mib=$(($(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) / 1024))
  ((avail_mib > need_mib + 2048)) ||
    die "the memstore OSD would hold about $need_mib MiB in memory, and $avail_mib MiB are available: make LARGE_MIB or REPEAT smaller, or set OSTOR_CEPH_OSD_STORE=bluestore"
fi

# The machine's load before the run: others' work shifts figures measured one
# server after another (the summary shows it with the load at the end).
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- temporary directory, cleanup ---------------------------------------------
tmp="$(mktemp -d "${TMPDIR:-/var/tmp}/ostor-radosload.XXXXXX")"
cluster="$tmp/cluster"
cluster_started=""
gw_pids=()
rgw_pid=""
wrk_pids=()

stop_pid() {  # stop_pid PID: TERM, up to 30 s, then KILL
  local pid="$1"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? pid
  for pid in "${wrk_pids[@]}"; do stop_pid "$pid"; done
  for pid in "${gw_pids[@]}"; do stop_pid "$pid"; done
  stop_pid "$rgw_pid"
  if [[ -n "$cluster_started" ]]; then
    "$root/tests/rados/ceph_cluster.sh" stop "$cluster" || echo "rados_load: stopping the cluster failed" >&2
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

vmhwm_mib() {  # vmhwm_mib PID: the process's peak RSS in MiB
  awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}
vmrss_mib() {  # vmrss_mib PID: the process's RSS in MiB
  awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# ---- the files ----------------------------------------------------------------
bucket=bench
small_key=small-4k
large_key=large
if ((LARGE_MIB % 1024 == 0)); then large_label="$((LARGE_MIB / 1024))GiB"; else large_label="${LARGE_MIB}MiB"; fi

log "files in $tmp (4 KiB and $large_label, random)"
head -c 4096 /dev/urandom >"$tmp/small"
head -c "$large_bytes" /dev/urandom >"$tmp/large"
large_md5="$(md5sum "$tmp/large" | cut -d' ' -f1)"

# ---- the cluster ----------------------------------------------------------------
log "starting a Ceph cluster (${OSTOR_CEPH_OSD_STORE:-memstore} OSD of $((OSTOR_CEPH_OSD_BYTES / 1048576)) MiB) in $cluster"
cluster_started=1
"$root/tests/rados/ceph_cluster.sh" start "$cluster" ostor-bench >"$tmp/cluster-start.txt" 2>&1 ||
  { cat "$tmp/cluster-start.txt" >&2; die "the cluster did not start"; }
sed 's/^/   /' "$tmp/cluster-start.txt"
# shellcheck source=/dev/null
. "$cluster/cluster.env"
ceph_admin() { ceph -c "$CEPH_CONF" -n client.admin --keyring "$cluster/keyring" --connect-timeout 15 "$@"; }
osd_pid="$(sed -n 2p "$cluster/pids")"
volume="rados:$OSTOR_POOL_PREFIX?conf=$CEPH_CONF&id=ostor&keyring=$OSTOR_CEPH_KEYRING"
# purge_pools POOL...: every object of the pools removed, once their server is
# stopped (the OSD then holds one server's objects at a time).
purge_pools() {
  local p
  echo "   the OSD's RSS: $(vmrss_mib "$osd_pid") MiB"
  for p in "$@"; do
    rados -c "$CEPH_CONF" -n client.admin purge "$p" --yes-i-really-really-mean-it >"$tmp/purge.out" 2>&1 ||
      { cat "$tmp/purge.out" >&2; die "rados purge $p failed"; }
  done
  echo "   purged $*: the OSD's RSS now $(vmrss_mib "$osd_pid") MiB"
}

declare -A result samples rss

# ---- runs ----------------------------------------------------------------------
# probe, check_wrk, run_curl, free_port
# shellcheck source=lib/load_runs.sh
source "$here/lib/load_runs.sh"

wrk_args() {  # wrk_args THREADS CONNECTIONS URL [SCRIPT_ARGS...]: wrk's argument list, one a line
  local t="$1" c="$2" url="$3"; shift 3
  printf '%s\n' -t"$t" -c"$c" -d"${DURATION}s" --timeout 10s
  (($#)) && printf '%s\n' -s "$here/gateway_load/requests.lua"
  printf '%s\n' "$url"
  (($#)) && printf '%s\n' -- "$@"
  return 0
}

# check_puts NAME WRK_OUTPUT THREADS KEYS_PREFIX: the keys a 4 KiB PUT run
# wrote hold the 4 KiB file. Each wrk thread goes through the keys in order
# from its own place, so a run of N requests reached at least
# min(PUT_KEYS, N / THREADS) of them (all of them, unless a run is short).
check_puts() {
  local name="$1" out="$2" threads="$3" keys n least present
  mapfile -t keys < <(put_keys_for "$4")
  n="$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$out")"
  [[ -n "$n" ]] || die "$name: no request count in wrk's output"
  least=$(((n + threads - 1) / threads))
  ((least <= PUT_KEYS)) || least=$PUT_KEYS
  present="$(presign present "$bucket" "$tmp/small" "${keys[@]}")" || die "$name: PUT objects stored other bytes"
  ((present >= least)) || die "$name: $present of the $PUT_KEYS keys present after $n PUTs, expected at least $least"
  echo "   $name verify: $present of $PUT_KEYS keys present, each the 4 KiB file (at least $least expected)"
}

run_wrk() {  # run_wrk RESULT_NAME URL [SCRIPT_ARGS...]  (with args: requests.lua)
  local name="$1"; shift
  local out="$tmp/wrk-$name.txt" args
  mapfile -t args < <(wrk_args "$THREADS" "$CONNECTIONS" "$@")
  log "wrk $name: -t$THREADS -c$CONNECTIONS -d${DURATION}s"
  wrk "${args[@]}" | tee "$out" | sed 's/^/   /'
  result[$name]="$(check_wrk "$name" "$out")"
}

# run_wrk3 RESULT_NAME ARGS_FILE_1 ARGS_FILE_2 ARGS_FILE_3: three wrk at once
# (each file: its URL and script arguments, one a line), ops/s summed.
t3=$((THREADS >= 3 ? THREADS / 3 : 1))
c3=$((CONNECTIONS / 3))
run_wrk3() {
  local name="$1"; shift
  local i args rps sum=0 pid
  log "wrk $name: 3 x (-t$t3 -c$c3 -d${DURATION}s), one per gateway, at once"
  wrk_pids=()
  for i in 1 2 3; do
    mapfile -t args <"$1"; shift
    mapfile -t args < <(wrk_args "$t3" "$c3" "${args[@]}")
    wrk "${args[@]}" >"$tmp/wrk-$name-$i.txt" 2>&1 &
    wrk_pids+=($!)
  done
  for pid in "${wrk_pids[@]}"; do wait "$pid" || die "$name: a wrk failed"; done
  wrk_pids=()
  for i in 1 2 3; do
    sed "s/^/   [$i] /" "$tmp/wrk-$name-$i.txt"
    rps="$(check_wrk "$name [$i]" "$tmp/wrk-$name-$i.txt")"
    sum="$(awk -v a="$sum" -v b="$rps" 'BEGIN { printf "%.2f", a + b }')"
  done
  echo "   sum: $sum requests/s"
  result[$name]="$sum"
}

put_keys_for() {  # put_keys_for PREFIX: PUT_KEYS key names, one a line
  local i
  for ((i = 0; i < PUT_KEYS; i++)); do printf '%s-%04d\n' "$1" "$i"; done
}

# small_and_large NAME: through $ENDPOINT (and its keys), the bucket and
# objects, then the 4 KiB GET and PUT runs and the large GETs and PUTs,
# each checked. Results NAME_get_small, NAME_put_small, NAME_get_large,
# NAME_put_large.
small_and_large() {
  local name="$1" get_small get_large put_large keys
  log "$name setup: bucket $bucket, objects $small_key and $large_key (boto3)"
  presign setup "$bucket" "$small_key=$tmp/small" "$large_key=$tmp/large"
  mapfile -t keys < <(put_keys_for "put-$name")
  get_small="$(presign urls get "$bucket" "$small_key")"
  get_large="$(presign urls get "$bucket" "$large_key")"
  put_large="$(presign urls put "$bucket" large-put)"
  # wrk wants the path?query; the host comes from its URL argument.
  presign urls put "$bucket" "${keys[@]}" | sed 's|^https\?://[^/]*||' >"$tmp/$name-put-paths"
  [[ $(wc -l <"$tmp/$name-put-paths") -eq $PUT_KEYS ]] || die "presigning failed"
  probe "$name GET $small_key" "$tmp/small" "$get_small"
  probe "$name PUT ${keys[0]}" "" -X PUT -H 'Content-Type:' --data-binary "@$tmp/small" "$ENDPOINT$(head -1 "$tmp/$name-put-paths")"

  run_wrk "${name}_get_small" "$get_small"
  run_wrk "${name}_put_small" "$ENDPOINT/" PUT "$tmp/$name-put-paths" "$tmp/small"
  check_puts "$name" "$tmp/wrk-${name}_put_small.txt" "$THREADS" "put-$name"

  for ((i = 0; i < REPEAT; i++)); do run_curl "${name}_get_large" get "$get_large"; done
  for ((i = 0; i < REPEAT; i++)); do run_curl "${name}_put_large" put "$put_large" "$tmp/large"; done
  presign verify "$bucket" "$large_bytes" large-put | sed "s/^/   $name /" || die "$name $large_label PUT not stored"
  [[ "$(presign etag "$bucket" large-put)" == "$large_md5" ]] || die "$name $large_label PUT: ETag is not the file's MD5"
  echo "   $name verify: large-put's ETag is the file's MD5"
}

# ---- ostor-gateway ------------------------------------------------------------
build_dir="$(dirname "$(dirname "$GATEWAY")")"
if [[ -f "$build_dir/meson-info/intro-buildoptions.json" ]]; then
  buildtype="$("$PYTHON" -c 'import json,sys; print(next((o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"), "?"))' \
    "$build_dir/meson-info/intro-buildoptions.json" 2>/dev/null || echo '?')"
else
  buildtype="?"
fi

gw_urls=()
start_gateway() {  # start_gateway N: gateway N on the volume; its pid and URL appended
  local n="$1" glog="$tmp/gateway-$1.log" pid url
  "$GATEWAY" --data "$volume" --state-dir "$tmp/gw-state-$n" --listen 127.0.0.1:0 >"$glog" 2>&1 &
  pid=$!
  gw_pids+=("$pid")
  for _ in $(seq 600); do
    grep -q 'listening on' "$glog" && break
    kill -0 "$pid" 2>/dev/null || { cat "$glog" >&2; die "gateway $n exited"; }
    sleep 0.1
  done
  grep -q 'listening on' "$glog" || { cat "$glog" >&2; die "gateway $n did not start listening"; }
  url="$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$glog" | head -1)"
  url="${url%/}"
  [[ -n "$url" ]] || { cat "$glog" >&2; die "no URL in gateway $n's output"; }
  gw_urls+=("$url")
  echo "   gateway $n: $url (pid $pid)"
}

log "ostor x1: starting $GATEWAY on $volume"
[[ "$buildtype" == release ]] || echo "   note: this gateway is a '$buildtype' build; the figures of record come from a release build"
start_gateway 1
# The first gateway on a new volume makes the system user and prints its keys.
AWS_ACCESS_KEY_ID="$(sed -n 's/^S3AccessKeyId: //p' "$tmp/gateway-1.log")"
AWS_SECRET_ACCESS_KEY="$(sed -n 's/^S3SecretAccessKey: //p' "$tmp/gateway-1.log")"
[[ -n "$AWS_ACCESS_KEY_ID" && -n "$AWS_SECRET_ACCESS_KEY" ]] ||
  { cat "$tmp/gateway-1.log" >&2; die "no keys in the first gateway's output"; }
export ENDPOINT="${gw_urls[0]}" AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

small_and_large ostor1
kill -0 "${gw_pids[0]}" 2>/dev/null || die "the gateway died"
rss[ostor1]="$(vmhwm_mib "${gw_pids[0]}")"

# ---- ostor x3 -------------------------------------------------------------------
log "ostor x3: two more gateways on the same volume"
start_gateway 2
start_gateway 3
for n in 1 2 3; do
  export ENDPOINT="${gw_urls[$((n - 1))]}"
  # Each gateway its own presigned URLs (the host is signed) and its own keys to PUT.
  printf '%s\n' "$(presign urls get "$bucket" "$small_key")" >"$tmp/x3-get-$n.args"
  mapfile -t keys < <(put_keys_for "put-x3-$n")
  presign urls put "$bucket" "${keys[@]}" | sed 's|^https\?://[^/]*||' >"$tmp/x3-put-paths-$n"
  [[ $(wc -l <"$tmp/x3-put-paths-$n") -eq $PUT_KEYS ]] || die "presigning failed"
  printf '%s\n' "$ENDPOINT/" PUT "$tmp/x3-put-paths-$n" "$tmp/small" >"$tmp/x3-put-$n.args"
  probe "gateway $n GET $small_key" "$tmp/small" "$(head -1 "$tmp/x3-get-$n.args")"
  probe "gateway $n PUT ${keys[0]}" "" -X PUT -H 'Content-Type:' --data-binary "@$tmp/small" "$ENDPOINT$(head -1 "$tmp/x3-put-paths-$n")"
done
run_wrk3 ostor3_get_small "$tmp"/x3-get-{1,2,3}.args
run_wrk3 ostor3_put_small "$tmp"/x3-put-{1,2,3}.args
for n in 1 2 3; do
  # Read back through another gateway than the one that took the PUTs.
  export ENDPOINT="${gw_urls[$((n % 3))]}"
  check_puts "ostor3 [$n]" "$tmp/wrk-ostor3_put_small-$n.txt" "$t3" "put-x3-$n"
done
rss3=()
for n in 1 2 3; do
  kill -0 "${gw_pids[$((n - 1))]}" 2>/dev/null || die "gateway $n died"
  rss3+=("$(vmhwm_mib "${gw_pids[$((n - 1))]}")")
done
rss[ostor3]="$(printf '%s\n' "${rss3[@]}" | sort -n | tail -1)"

log "stopping the ostor gateways"
for pid in "${gw_pids[@]}"; do stop_pid "$pid"; done
gw_pids=()
purge_pools "$OSTOR_POOL_PREFIX".{data,index,meta}

# ---- RGW ------------------------------------------------------------------------
log "RGW: pools, key, conf"
# RGW's pools, made as ostor's are (8 placement groups each, application
# tagged): left to RGW, each would take the monitor's default pg_num (32),
# and seven of them beside ostor's three pools and rados bench's would pass
# mon_max_pg_per_osd (250) on this single OSD.
for p in .rgw.root default.rgw.control default.rgw.meta default.rgw.log \
  default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec; do
  ceph_admin osd pool create "$p" 8 8 >/dev/null 2>&1 || die "creating pool $p failed"
  ceph_admin osd pool application enable "$p" rgw >/dev/null 2>&1 || die "tagging pool $p failed"
done
ceph_admin auth get-or-create client.rgw.bench mon 'allow rw' osd 'allow rwx' \
  -o "$cluster/ceph.client.rgw.bench.keyring" 2>/dev/null || die "creating client.rgw.bench failed"
rgw_port="$(free_port)"
rgw_url="http://127.0.0.1:$rgw_port"
mkdir -p "$tmp/rgw"
cat >>"$CEPH_CONF" <<EOF

# Added by bench/rados_load.sh: the RADOS Gateway, at Ceph's defaults but
# for its paths and address.
[client.rgw.bench]
keyring = $cluster/ceph.client.rgw.bench.keyring
rgw data = $tmp/rgw
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
log file = $tmp/rgw/radosgw.log
EOF

log "RGW: starting radosgw ($(radosgw --version 2>/dev/null | sed -n 's/^ceph version \([^ ]*\).*/\1/p'))"
radosgw -c "$CEPH_CONF" -n client.rgw.bench -f </dev/null >"$tmp/rgw/radosgw.out" 2>&1 &
rgw_pid=$!
for _ in $(seq 600); do
  curl -s -o /dev/null "$rgw_url/" && break
  kill -0 "$rgw_pid" 2>/dev/null || { tail -n 30 "$tmp/rgw/radosgw.out" "$tmp/rgw/radosgw.log" >&2; die "radosgw exited"; }
  sleep 0.1
done
curl -s -o /dev/null "$rgw_url/" || { tail -n 30 "$tmp/rgw/radosgw.log" >&2; die "radosgw does not answer on $rgw_url"; }
echo "   $rgw_url (pid $rgw_pid)"
echo "   pools: $(ceph_admin osd pool ls 2>/dev/null | tr '\n' ' ')"
radosgw-admin -c "$CEPH_CONF" -n client.admin user create --uid bench --display-name bench >"$tmp/rgw/user.json" 2>"$tmp/rgw/user.err" ||
  { cat "$tmp/rgw/user.err" >&2; die "radosgw-admin user create failed"; }
read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY < <("$PYTHON" -c \
  'import json, sys; k = json.load(open(sys.argv[1]))["keys"][0]; print(k["access_key"], k["secret_key"])' "$tmp/rgw/user.json")
[[ -n "$AWS_ACCESS_KEY_ID" && -n "$AWS_SECRET_ACCESS_KEY" ]] || die "no keys in radosgw-admin's output"
export ENDPOINT="$rgw_url" AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

small_and_large rgw
kill -0 "$rgw_pid" 2>/dev/null || die "radosgw died"
rss[rgw]="$(vmhwm_mib "$rgw_pid")"
# Where RGW put the 4 KiB objects: its data pool, as usual (a head object each).
rgw_data_objects="$(rados -c "$CEPH_CONF" -n client.admin -p default.rgw.buckets.data ls 2>/dev/null | grep -c "put-rgw-" || true)"
echo "   default.rgw.buckets.data holds $rgw_data_objects of the $PUT_KEYS 4 KiB PUT keys' objects"
((rgw_data_objects >= PUT_KEYS)) || die "RGW's 4 KiB objects are not in its data pool"
log "stopping radosgw"
stop_pid "$rgw_pid"
rgw_pid=""
purge_pools default.rgw.buckets.data default.rgw.buckets.index

# ---- rados bench ---------------------------------------------------------------------
bench_pool="$OSTOR_POOL_PREFIX.radosbench"
log "rados bench: pool $bench_pool (size 1, 8 placement groups, like ostor's)"
ceph_admin osd pool create "$bench_pool" 8 8 >/dev/null 2>&1 || die "creating pool $bench_pool failed"
ceph_admin osd pool application enable "$bench_pool" bench >/dev/null 2>&1 || die "tagging pool $bench_pool failed"
rados_bench() {  # rados_bench RESULT_NAME MODE [ARGS...]
  local name="$1" mode="$2"; shift 2
  local out="$tmp/rados-bench-$mode.txt" iops
  log "rados bench -p $bench_pool $DURATION $mode -t $CONNECTIONS $*"
  rados -c "$CEPH_CONF" -n client.admin bench -p "$bench_pool" "$DURATION" "$mode" -t "$CONNECTIONS" "$@" \
    >"$out" 2>&1 || { cat "$out" >&2; die "rados bench $mode failed"; }
  sed -n '/^Total time run/,$p' "$out" | sed 's/^/   /'
  iops="$(sed -n 's/^Average IOPS: *\([0-9.]*\).*/\1/p' "$out")"
  [[ -n "$iops" ]] || die "rados bench $mode: no Average IOPS in its output"
  result[$name]="$iops"
}
rados_bench bench_put_small write -b 4096 --no-cleanup
rados_bench bench_get_small rand
rados -c "$CEPH_CONF" -n client.admin -p "$bench_pool" cleanup >/dev/null 2>&1 || die "rados cleanup failed"
echo "   rados cleanup: the OSD's RSS now $(vmrss_mib "$osd_pid") MiB"

osd_rss="$(vmhwm_mib "$osd_pid" 2>/dev/null || echo '?')"

# ---- summary -------------------------------------------------------------------
echo
echo "ostor:  $GATEWAY ($buildtype build) on $volume"
echo "RGW:    radosgw $(radosgw --version 2>/dev/null | sed -n 's/^ceph version \([^ ]*\).*/\1/p'), beast, Ceph's defaults (pools pre-made with 8 PGs)"
echo "ceph:   one monitor, one ${OSTOR_CEPH_OSD_STORE:-memstore} OSD (peak RSS $osd_rss MiB), pools of size 1, on this machine"
echo "load:   wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s (ostor x3: 3 x -t$t3 -c$c3 at once) on $(nproc) cores, loopback;"
echo "        $large_label transfers with curl, 1 connection, median of $REPEAT; rados bench -t $CONNECTIONS, ${DURATION}s write -b 4096 then rand"
echo "        the machine's load average (1, 5, 15 min): $load_start before the run, $(cut -d' ' -f1-3 /proc/loadavg) at its end"
echo
fmt0() { [[ -n "${1:-}" ]] && printf '%.0f' "$1" || echo "-"; }
row() { printf '%-18s %10s %10s %10s %12s\n' "$@"; }
row "" "ostor x1" "ostor x3" "RGW" "rados bench"
row "4KiB GET ops/s" "$(fmt0 "${result[ostor1_get_small]}")" "$(fmt0 "${result[ostor3_get_small]}")" \
  "$(fmt0 "${result[rgw_get_small]}")" "$(fmt0 "${result[bench_get_small]}")"
row "4KiB PUT ops/s" "$(fmt0 "${result[ostor1_put_small]}")" "$(fmt0 "${result[ostor3_put_small]}")" \
  "$(fmt0 "${result[rgw_put_small]}")" "$(fmt0 "${result[bench_put_small]}")"
row "$large_label GET MiB/s" "${result[ostor1_get_large]}" "-" "${result[rgw_get_large]}" "-"
row "$large_label PUT MiB/s" "${result[ostor1_put_large]}" "-" "${result[rgw_put_large]}" "-"
row "peak RSS MiB" "${rss[ostor1]}" "${rss[ostor3]}" "${rss[rgw]}" "-"
echo
echo "(ostor x3: the three gateways' peak RSS ${rss3[*]} MiB, the largest shown; the large transfers"
echo " were not run through three gateways; rados bench GET is its 'rand' 4 KiB reads)"
echo
goal() {  # goal LABEL A B MIN
  local ratio verdict
  ratio="$(awk -v a="$2" -v b="$3" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }')"
  verdict="$(awk -v r="$ratio" -v m="$4" 'BEGIN { if (r == "-") print "?"; else if (r + 0 >= m + 0) print "met"; else print "NOT met" }')"
  printf '%-40s %6s   goal >= %-4s %s\n' "$1" "$ratio" "$4" "$verdict"
}
goal "ostor x1 / RGW, 4KiB PUT" "${result[ostor1_put_small]}" "${result[rgw_put_small]}" 2
goal "ostor x1 / RGW, 4KiB GET" "${result[ostor1_get_small]}" "${result[rgw_get_small]}" 3
goal "ostor x1 PUT / rados bench write (4KiB)" "${result[ostor1_put_small]}" "${result[bench_put_small]}" 0.5
