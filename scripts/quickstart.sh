#!/usr/bin/env bash
# README command 1: install what is needed, build, start the S3 gateway on an
# embedded data directory (./ostor-data, or $OSTOR_DATA) at 127.0.0.1:9000 (or
# $OSTOR_LISTEN), and mount the admin tree beside it at ./ostor-admin (or
# $OSTOR_MOUNT). Runs in the foreground; Ctrl-C stops the gateway and
# unmounts the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
data="${OSTOR_DATA:-$PWD/ostor-data}"
listen="${OSTOR_LISTEN:-127.0.0.1:9000}"
admin_listen="${OSTOR_ADMIN_LISTEN:-127.0.0.1:9001}"
mount="${OSTOR_MOUNT:-$PWD/ostor-admin}"
cat <<MSG
Starting ostor-gateway on http://$listen with data in $data.
On a new data directory it prints the system user's keys once: keep them.
Then, for example:
  AWS_ACCESS_KEY_ID=<S3AccessKeyId> AWS_SECRET_ACCESS_KEY=<S3SecretAccessKey> \\
    aws --endpoint-url http://$listen --region us-east-1 s3 mb s3://my-bucket
Billing API and Prometheus metrics: http://$admin_listen (/v1/info, /v1/bill/fetch, /metrics).
MSG

./build/gateway-lite/ostor-gateway --data "$data" --listen "$listen" --admin-listen "$admin_listen" &
gateway=$!
mounted=""
cleanup() {
  [ -n "$mounted" ] && fusermount3 -u "$mount" 2>/dev/null || true
  kill "$gateway" 2>/dev/null || true
  wait "$gateway" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# The gateway creates the data directory; the tree mounts once it exists.
for _ in $(seq 100); do
  [ -f "$data/volume.id" ] && break
  kill -0 "$gateway" 2>/dev/null || exit 1
  sleep 0.1
done
mkdir -p "$mount"
if [ -e /dev/fuse ] && ./build/fusefs/ostor-fuse --data "$data" "$mount"; then
  mounted=1
  echo "Admin tree mounted at $mount (cat $mount/README; fusermount3 -u $mount unmounts it)."
else
  echo "quickstart: the admin tree was not mounted (no /dev/fuse here?); the gateway runs without it." >&2
fi
wait "$gateway"
