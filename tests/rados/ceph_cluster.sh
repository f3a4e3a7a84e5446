#!/usr/bin/env bash
# A throwaway single-node Ceph cluster for the tests, from Debian 12's packages
# (ceph-mon, ceph-osd, ceph-common, python3-rados):
#
#   tests/rados/ceph_cluster.sh start DIR [POOL_PREFIX]   (POOL_PREFIX: default "ostor")
#   tests/rados/ceph_cluster.sh stop DIR
#   tests/rados/ceph_cluster.sh restart-osd DIR [DOWN_SECONDS]
#
# start: one monitor (msgr2 only, on a free port of 26789..26889 taken at random, 127.0.0.1),
# one OSD on memstore (its objects live in the OSD's memory: nothing to
# format, nothing left on disk), no manager (the monitor creates the pools'
# placement groups and the OSD peers them without one), cephx on. Creates the
# replicated pools PREFIX.meta, PREFIX.index, PREFIX.data (size 1) and the
# client "client.ostor", then returns once that client has written and read
# an object in each pool. Everything lives under DIR, which must not exist or
# be empty:
#   DIR/ceph.conf                     the conf for librados (mon host; client.ostor's
#                                     and client.admin's keyrings)
#   DIR/ceph.client.ostor.keyring     client.ostor's key
#   DIR/cluster.env                   CEPH_CONF, OSTOR_CEPH_KEYRING, OSTOR_POOL_PREFIX,
#                                     OSTOR_CEPH_MON_PORT, sourceable
#   DIR/keyring                       mon., client.admin and osd.0 (admin use only)
#   DIR/log/                          the daemons' logs
# A start that fails stops what it started, prints the logs' tails and
# removes DIR. Nothing outside DIR is read or written (no /etc/ceph, no
# /var/lib/ceph, no /var/log/ceph, no /var/run/ceph), and the daemons run as
# the calling user. The daemons stay in the caller's process group, so a
# test runner that kills its test's group on a timeout stops them too.
#
# OSTOR_CEPH_OSD_STORE=bluestore (in the environment of start) puts the OSD on
# BlueStore in a sparse file, DIR/osd.0.block (at most 8 GiB; the pages
# written take disk space), instead of memstore: slower, but its objects
# survive a restart of the OSD (memstore starts empty again).
#
# OSTOR_CEPH_OSD_BYTES=N (in the environment of start) sets the OSD's
# capacity in bytes: memstore's cap (default 512 MiB; the objects take the
# OSD's memory as they are written) or the BlueStore file's size (default
# 8 GiB). bench/rados_load.sh raises it to hold its 1 GiB objects.
#
# restart-osd: SIGKILLs the OSD, waits DOWN_SECONDS (default 0), starts it
# again and returns once client.ostor writes and reads in each pool again
# (printing how long that took). Refused on memstore, which would come back
# empty.
#
# stop: kills the daemons that start recorded (only those, by pid, checked
# against their command line) and removes DIR. Stopping a DIR that start
# did not make (no DIR/.ostor-ceph-cluster) is refused.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
readonly here
readonly marker_name=".ostor-ceph-cluster"
readonly mon_port_first=26789
readonly mon_port_last=26889
readonly ready_timeout_s=60
readonly daemon_stop_timeout_s=10
# Debian's python3, which python3-rados installs into (a python3 earlier on
# PATH, a pyenv one say, does not have the module).
readonly debian_python=/usr/bin/python3
# OSTOR_CEPH_OSD_STORE=bluestore: the block file's size (sparse).
readonly bluestore_block_bytes=8589934592
# memstore's cap (OSTOR_CEPH_OSD_BYTES overrides either).
readonly memstore_bytes=536870912

usage() {
  echo "usage: $0 start DIR [POOL_PREFIX] | stop DIR | restart-osd DIR [DOWN_SECONDS]" >&2
  exit 2
}

die() {
  echo "ceph_cluster.sh: $*" >&2
  exit 1
}

require_packages() {
  local missing=() tool pkg
  for tool in ceph-mon:ceph-mon ceph-osd:ceph-osd ceph-authtool:ceph-common monmaptool:ceph-base; do
    pkg="${tool#*:}"
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("$pkg (for ${tool%%:*})")
  done
  if ! "$debian_python" -c 'import rados' 2>/dev/null; then missing+=("python3-rados"); fi
  if [ "${#missing[@]}" -gt 0 ]; then
    die "missing: ${missing[*]}; scripts/install-deps.sh installs them"
  fi
}

# A port of the private range that nothing listens on, nor holds bound, at
# random: clusters started at the same moment (tests of several builds) then
# rarely race for one port between this check and the monitor's bind.
free_port() {
  "$debian_python" - "$mon_port_first" "$mon_port_last" <<'EOF'
import random, socket, sys
ports = list(range(int(sys.argv[1]), int(sys.argv[2]) + 1))
random.shuffle(ports)
for port in ports:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit(1)
EOF
}

# The pids that start recorded and that still run one of our daemons.
our_pids() {
  local dir="$1" pid
  [ -f "$dir/pids" ] || return 0
  while read -r pid; do
    [ -n "$pid" ] || continue
    # A recorded pid whose process ended may have been reused: ours have
    # DIR's conf on their command line.
    if { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$dir/ceph.conf"; then echo "$pid"; fi
  done <"$dir/pids"
}

# Last started first: an OSD told to stop reports to the monitor and waits
# for it (up to 5 s) when the monitor is already gone.
kill_daemons() {
  local dir="$1" pid deadline
  for pid in $(our_pids "$dir" | tac); do
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + daemon_stop_timeout_s))
    while [ "$SECONDS" -lt "$deadline" ] && our_pids "$dir" | grep -qx "$pid"; do sleep 0.05; done
    if our_pids "$dir" | grep -qx "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
}

print_log_tails() {
  local dir="$1" log
  for log in "$dir"/log/*.out "$dir"/log/*.log; do
    # The cluster log repeats what the monitor's log says.
    [ -s "$log" ] && [ "${log##*/}" != cluster.log ] || continue
    echo "---- tail of ${log#"$dir"/} ----" >&2
    # The monitor's store logs pages of statistics that say nothing here.
    grep -v -e ' rocksdb: ' -e '^ *$' "$log" | tail -n 20 >&2
  done
}

# Seconds since an $EPOCHREALTIME, to a tenth.
elapsed_since() {
  awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

cmd_stop() {
  local dir="$1"
  [ -d "$dir" ] || return 0
  [ -f "$dir/$marker_name" ] || die "$dir was not made by ceph_cluster.sh start (no $marker_name); not touching it"
  kill_daemons "$dir"
  rm -rf -- "$dir"
}

# The [osd] section's store lines.
osd_store_conf() {
  local dir="$1"
  case "${OSTOR_CEPH_OSD_STORE:-memstore}" in
    memstore)
      cat <<EOF
osd objectstore = memstore
# The OSD's whole store is in memory; a test volume is small.
memstore device bytes = ${OSTOR_CEPH_OSD_BYTES:-$memstore_bytes}
EOF
      ;;
    bluestore)
      # One sparse file for data, metadata and journal; small caches: a test
      # machine's memory is shared.
      cat <<EOF
osd objectstore = bluestore
bluestore block path = $dir/osd.0.block
bluestore block create = true
bluestore block size = ${OSTOR_CEPH_OSD_BYTES:-$bluestore_block_bytes}
bluestore block db create = false
bluestore block wal create = false
bluestore fsck on mount = false
osd memory target = 1073741824
EOF
      ;;
    *) die "OSTOR_CEPH_OSD_STORE='${OSTOR_CEPH_OSD_STORE}': memstore or bluestore" ;;
  esac
}

write_conf() {
  local dir="$1" fsid="$2" port="$3"
  # The daemons' conf; librados clients read the same file (the clients'
  # sections name their keyrings, so that none is looked for in /etc/ceph).
  cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$port
public addr = 127.0.0.1
ms bind msgr1 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
run dir = $dir/run
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
mon cluster log file = $dir/log/cluster.log
crash dir = $dir/crash
# A daemon or client that cannot reach the monitor gives up in seconds, not
# the default five minutes.
client mount timeout = 15
log to stderr = false
err to stderr = false
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
# Each map change (the OSD, each pool) waits for a monitor proposal: 1 s
# apart by default, most of the start time.
paxos propose interval = 0.1
# A test machine's disk may be fuller than a monitor likes; the monitor
# stops below mon data avail crit (5 %) by default.
mon data avail warn = 1
mon data avail crit = 0
auth allow insecure global id reclaim = false

[mon]
mon data = $dir/mon.\$id
keyring = $dir/keyring

[osd]
osd data = $dir/osd.\$id
keyring = $dir/keyring
$(osd_store_conf "$dir")

[client.admin]
keyring = $dir/keyring

[client.ostor]
keyring = $dir/ceph.client.ostor.keyring
EOF
}

cmd_start() {
  local dir="$1" prefix="$2"
  [[ "$prefix" =~ ^[A-Za-z0-9_.-]+$ ]] || die "pool prefix '$prefix' is not made of [A-Za-z0-9_.-]"
  [[ "${OSTOR_CEPH_OSD_BYTES:-1}" =~ ^[1-9][0-9]*$ ]] || die "OSTOR_CEPH_OSD_BYTES='${OSTOR_CEPH_OSD_BYTES}': a number of bytes"
  require_packages
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then die "$dir exists and is not empty"; fi
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  touch "$dir/$marker_name"
  mkdir -p "$dir/run" "$dir/log" "$dir/crash" "$dir/mon.a" "$dir/osd.0"
  : >"$dir/pids"
  # From here on, a failure stops what started and removes DIR.
  trap 'status=$?; if [ $status -ne 0 ]; then echo "ceph_cluster.sh: start failed; the logs:" >&2; print_log_tails "'"$dir"'"; cmd_stop "'"$dir"'"; fi' EXIT

  local started=$EPOCHREALTIME fsid osd_uuid port
  fsid="$(cat /proc/sys/kernel/random/uuid)"
  osd_uuid="$(cat /proc/sys/kernel/random/uuid)"
  port="$(free_port)" || die "no free port in $mon_port_first..$mon_port_last"
  write_conf "$dir" "$fsid" "$port"

  # Every key in one keyring that the monitor imports at mkfs: no `auth add`
  # round trips later. client.ostor's capabilities are the backend's needs:
  # read the maps, blocklist a dead instance's connection before adopting it
  # (fencing), and read, write and call object classes in its three pools.
  local keyring="$dir/keyring"
  ceph-authtool --create-keyring "$keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$keyring" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap osd 'allow *' --cap mgr 'allow profile osd' >/dev/null
  ceph-authtool --create-keyring "$dir/ceph.client.ostor.keyring" --gen-key -n client.ostor \
    --cap mon 'allow r, allow command "osd blocklist"' \
    --cap osd "allow rwx pool=$prefix.meta, allow rwx pool=$prefix.index, allow rwx pool=$prefix.data" >/dev/null
  ceph-authtool "$keyring" --import-keyring "$dir/ceph.client.ostor.keyring" >/dev/null

  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$port]" "$dir/monmap" >/dev/null
  ceph-mon -c "$dir/ceph.conf" -i a --mkfs --monmap "$dir/monmap" --keyring "$keyring" >"$dir/log/mon.a.out" 2>&1
  # The OSD's store needs no monitor to be made (the fsid is in the conf).
  ceph-osd -c "$dir/ceph.conf" -i 0 --mkfs --no-mon-config --osd-uuid "$osd_uuid" >"$dir/log/osd.0.out" 2>&1

  ceph-mon -c "$dir/ceph.conf" -i a -f </dev/null >>"$dir/log/mon.a.out" 2>&1 &
  echo $! >>"$dir/pids"
  # The OSD must be in the osdmap before it boots; the pools are created
  # while it boots.
  "$debian_python" "$here/ceph_admin.py" "$dir/ceph.conf" osd-new "$osd_uuid"
  ceph-osd -c "$dir/ceph.conf" -i 0 -f </dev/null >>"$dir/log/osd.0.out" 2>&1 &
  echo $! >>"$dir/pids"
  "$debian_python" "$here/ceph_admin.py" "$dir/ceph.conf" pools "$prefix"
  "$debian_python" "$here/ceph_admin.py" "$dir/ceph.conf" ready "$prefix" "$dir/ceph.client.ostor.keyring" "$ready_timeout_s" "$dir/pids"

  cat >"$dir/cluster.env" <<EOF
CEPH_CONF=$dir/ceph.conf
OSTOR_CEPH_KEYRING=$dir/ceph.client.ostor.keyring
OSTOR_POOL_PREFIX=$prefix
OSTOR_CEPH_MON_PORT=$port
EOF
  trap - EXIT
  echo "ceph cluster up in $(elapsed_since "$started") s: conf $dir/ceph.conf, client.ostor, pools $prefix.{meta,index,data}, monitor 127.0.0.1:$port"
}

# The recorded pid of the OSD (the second line of DIR/pids), if it runs.
osd_pid() {
  local dir="$1" pid
  pid="$(sed -n 2p "$dir/pids")"
  if [ -n "$pid" ] && our_pids "$dir" | grep -qx "$pid"; then echo "$pid"; fi
}

cmd_restart_osd() {
  local dir="$1" down_s="$2" pid prefix
  [ -f "$dir/$marker_name" ] || die "$dir was not made by ceph_cluster.sh start (no $marker_name)"
  [[ "$down_s" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "DOWN_SECONDS '$down_s' is not a number"
  grep -q '^osd objectstore = bluestore$' "$dir/ceph.conf" ||
    die "the OSD is on memstore: it would come back empty (start with OSTOR_CEPH_OSD_STORE=bluestore)"
  pid="$(osd_pid "$dir")"
  [ -n "$pid" ] || die "the OSD does not run"
  kill -KILL "$pid"
  while our_pids "$dir" | grep -qx "$pid"; do sleep 0.05; done
  sleep "$down_s"
  local started=$EPOCHREALTIME
  ceph-osd -c "$dir/ceph.conf" -i 0 -f </dev/null >>"$dir/log/osd.0.out" 2>&1 &
  # The monitor's pid stays first, the OSD's second.
  { sed -n 1p "$dir/pids"; echo $!; } >"$dir/pids.new" && mv "$dir/pids.new" "$dir/pids"
  # shellcheck source=/dev/null
  prefix="$(. "$dir/cluster.env" && echo "$OSTOR_POOL_PREFIX")"
  "$debian_python" "$here/ceph_admin.py" "$dir/ceph.conf" ready "$prefix" "$dir/ceph.client.ostor.keyring" "$ready_timeout_s" "$dir/pids"
  # A new client (the check above) can take up to librados's objecter_timeout
  # (10 s) more than a running one to find the restarted OSD.
  echo "ceph_cluster.sh: the OSD was down for ${down_s} s; a new client wrote and read $(elapsed_since "$started") s after its start"
}

[ $# -ge 2 ] || usage
case "$1" in
  start) [ $# -le 3 ] || usage; cmd_start "$2" "${3:-ostor}" ;;
  restart-osd) [ $# -le 3 ] || usage; cmd_restart_osd "$(cd "$2" && pwd)" "${3:-0}" ;;
  stop) [ $# -eq 2 ] || usage; cmd_stop "$(cd "$2" 2>/dev/null && pwd || echo "$2")" ;;
  *) usage ;;
esac
