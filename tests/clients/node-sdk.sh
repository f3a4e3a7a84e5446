#!/bin/bash
# AWS SDK for JavaScript v3 (@aws-sdk/client-s3, latest from npm, pinned by
# node/package-lock.json) against a live ostor-gateway: node/s3.mjs does the
# work; this starts and stops the gateway.
. "$(dirname "$0")/lib.sh"

need node "apt-get install nodejs, or run tests/clients/install.sh"
[ -f "$CLIENTS_DIR/node/node_modules/@aws-sdk/client-s3/package.json" ] ||
    fail "@aws-sdk/client-s3 is not installed in $CLIENTS_DIR/node (run tests/clients/install.sh, or npm ci there)"
log "node $(node --version), @aws-sdk/client-s3 $(node -p 'require(process.argv[1]).version' "$CLIENTS_DIR/node/node_modules/@aws-sdk/client-s3/package.json")"

gateway_start
export WORK
# no AWS settings from the user's environment or ~/.aws
unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_REQUEST_CHECKSUM_CALCULATION AWS_RESPONSE_CHECKSUM_VALIDATION
export AWS_CONFIG_FILE=$WORK/aws-config AWS_SHARED_CREDENTIALS_FILE=$WORK/aws-credentials
node "$CLIENTS_DIR/node/s3.mjs"
