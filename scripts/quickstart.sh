#!/usr/bin/env bash
# README command 1: install what is needed, build, and start the S3 gateway on
# an embedded data directory (./ostor-data, or $OSTOR_DATA) at
# 127.0.0.1:9000 (or $OSTOR_LISTEN). Runs in the foreground; Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
data="${OSTOR_DATA:-$PWD/ostor-data}"
listen="${OSTOR_LISTEN:-127.0.0.1:9000}"
cat <<MSG
Starting ostor-gateway on http://$listen with data in $data.
On a new data directory it prints the system user's keys once: keep them.
Then, for example:
  AWS_ACCESS_KEY_ID=<S3AccessKeyId> AWS_SECRET_ACCESS_KEY=<S3SecretAccessKey> \\
    aws --endpoint-url http://$listen --region us-east-1 s3 mb s3://my-bucket
MSG
admin_listen="${OSTOR_ADMIN_LISTEN:-127.0.0.1:9001}"
echo "Billing API and Prometheus metrics: http://$admin_listen (/v1/info, /v1/bill/fetch, /metrics)."
exec ./build/gateway-lite/ostor-gateway --data "$data" --listen "$listen" --admin-listen "$admin_listen"
