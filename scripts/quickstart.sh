#!/usr/bin/env bash
# README command 1: install what is needed, build the gateway, the admin tree and the CLIs
# (not the tests: scripts/test.sh builds those), start the S3 gateway on an
# embedded data directory (./ostor-data, or $OSTOR_DATA) at 127.0.0.1:9000 (or
# $OSTOR_LISTEN) with the billing API at 127.0.0.1:9001 (or
# $OSTOR_ADMIN_LISTEN), and mount the admin tree beside it at ./ostor-admin
# (or $OSTOR_MOUNT). Runs in the foreground; Ctrl-C stops the gateway and
# unmounts the tree. $OSTOR_BUILD_DIR builds elsewhere than build/.
#
# A gateway that cannot start (a port in use, say) changes nothing on disk;
# the script then exits with the gateway's status, its message last.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${OSTOR_BUILD_DIR:-build}"
data="${OSTOR_DATA:-$PWD/ostor-data}"
listen="${OSTOR_LISTEN:-127.0.0.1:9000}"
admin_listen="${OSTOR_ADMIN_LISTEN:-127.0.0.1:9001}"
mount="${OSTOR_MOUNT:-$PWD/ostor-admin}"
readonly poll_interval_s=0.1

step() { printf '\n== quickstart: %s\n' "$*"; }

step "1/3 installing the Debian 12 packages ostor needs (nothing to do when present)"
scripts/install-deps.sh
step "2/3 building ostor-gateway, ostor-fuse, ostor-s3-admin and ostor-ctl in $build/ (a few minutes the first time)"
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build"
fi
meson compile -C "$build" ostor-gateway ostor-fuse ostor-s3-admin ostor-ctl
step "3/3 starting ostor-gateway on http://$listen with data in $data"

run_dir="$(mktemp -d)"
: > "$run_dir/stdout"
gateway=""
log_tail=""
mounted=""
cleanup() {
  [ -n "$mounted" ] && fusermount3 -u "$mount" 2>/dev/null || true
  if [ -n "$gateway" ]; then
    kill "$gateway" 2>/dev/null || true
    wait "$gateway" 2>/dev/null || true
  fi
  [ -n "$log_tail" ] && kill "$log_tail" 2>/dev/null || true
  rm -rf "$run_dir"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# Its stdout (keys, listening line) shows as it comes; its stderr is held
# until it listens, so that a failed start ends with its own message.
"$build/gateway-lite/ostor-gateway" --data "$data" --listen "$listen" --admin-listen "$admin_listen" \
  > >(tee "$run_dir/stdout") 2> "$run_dir/stderr" &
gateway=$!
while ! grep -q '^ostor-gateway: listening on ' "$run_dir/stdout"; do
  if ! kill -0 "$gateway" 2>/dev/null; then
    status=0
    wait "$gateway" || status=$?
    gateway=""
    [ "$status" -ne 0 ] || status=1
    echo "quickstart: ostor-gateway did not start (exit status $status); nothing was created." >&2
    echo "quickstart: if a port is in use, pick others, e.g.:" \
         "OSTOR_LISTEN=127.0.0.1:9100 OSTOR_ADMIN_LISTEN=127.0.0.1:9101 scripts/quickstart.sh" >&2
    cat "$run_dir/stderr" >&2
    exit "$status"
  fi
  sleep "$poll_interval_s"
done
tail -n +1 -f --pid="$gateway" "$run_dir/stderr" >&2 &
log_tail=$!

s3_url="$(sed -n 's/^ostor-gateway: listening on \([^ ]*\).*/\1/p' "$run_dir/stdout")"
admin_url="$(sed -n 's/^ostor-gateway: billing and metrics on \([^ ]*\).*/\1/p' "$run_dir/stdout")"
admin_url="${admin_url:-http://$admin_listen}"
cat <<MSG
quickstart: the gateway runs. With the system user's keys (printed above on a
new data directory; shown again by
  $build/cli/ostor-s3-admin query-user-info -e admin@localhost --data $data):
  AWS_ACCESS_KEY_ID=<S3AccessKeyId> AWS_SECRET_ACCESS_KEY=<S3SecretAccessKey> \\
    aws --endpoint-url $s3_url --region us-east-1 s3 mb s3://my-bucket
Billing API and Prometheus metrics: $admin_url (/v1/info, /v1/bill/fetch, /metrics).
MSG

mkdir -p "$mount"
if [ -e /dev/fuse ] && "$build/fusefs/ostor-fuse" --data "$data" "$mount"; then
  mounted=1
  echo "quickstart: admin tree mounted at $mount (cat $mount/README; fusermount3 -u $mount unmounts it)."
else
  echo "quickstart: the admin tree was not mounted (no /dev/fuse here?); the gateway runs without it." >&2
fi
wait "$gateway"
