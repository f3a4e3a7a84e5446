#!/usr/bin/env bash
# run_with_cluster.sh PROGRAM [ARGS...]: starts a throwaway Ceph cluster (see
# ceph_cluster.sh) in a new temporary directory, runs PROGRAM with
#   OSTOR_TEST_VOLUME  the volume spec of the cluster's pools for client.ostor
#                      (rados:PREFIX?conf=...&id=ostor&keyring=...)
#   OSTOR_TEST_CEPH_DIR the cluster's directory (ceph.conf, keyrings, logs)
# then stops the cluster, whatever PROGRAM did, and exits with its status. A
# cluster that does not start fails the run (with the daemons' log tails).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 PROGRAM [ARGS...]" >&2; exit 2; }

dir="$(mktemp -d "${TMPDIR:-/tmp}/ostor-ceph.XXXXXX")"
# mktemp made it; ceph_cluster.sh start takes an empty directory.
child=""
trap '[ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true; "$here/ceph_cluster.sh" stop "$dir"' EXIT
# A test runner's timeout sends TERM: stop the program and the cluster then
# too (the program runs in the background so that the trap runs at once).
trap 'exit 143' TERM
trap 'exit 130' INT
if ! "$here/ceph_cluster.sh" start "$dir" ostor-test; then
  echo "run_with_cluster.sh: the Ceph cluster did not start (see above); not running $1" >&2
  exit 1
fi
# shellcheck source=/dev/null
. "$dir/cluster.env"
export OSTOR_TEST_VOLUME="rados:$OSTOR_POOL_PREFIX?conf=$CEPH_CONF&id=ostor&keyring=$OSTOR_CEPH_KEYRING"
export OSTOR_TEST_CEPH_DIR="$dir"
"$@" &
child=$!
status=0
wait "$child" || status=$?
child=""
exit "$status"
