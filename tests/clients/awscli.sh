#!/bin/bash
# aws cli (Debian `awscli`) with its default settings against a live ostor-gateway:
# s3 mb/ls/cp (small and 40 MiB multipart, up and down)/sync/rm --recursive/rb,
# s3 cp server-side copy of the 40 MiB object (multipart copy), prefix and
# delimiter listing, s3api put-object --metadata, head-object, ranged
# get-object, s3 presign + curl; negative cases: wrong secret, unknown key,
# expired presigned URL, missing key, removing a non-empty bucket; s3api
# put/get/delete-bucket-cors with curl preflights (allowed and refused);
# put/get/delete-bucket-lifecycle(-configuration), a refused transition, a
# rule that expires objects (the gateway runs with a 2 s lifecycle "day");
# put/get-bucket-versioning, get-object and delete-object by version id;
# object lock: put-object with a retention, get/put-object-retention,
# put/get-object-legal-hold, deletes by id refused, the owner's bypass.
#
# Most of its time is python starting (once per aws command) and waiting (a
# lifecycle rule taking effect, a COMPLIANCE date): its sections run in
# groups, each in a background subshell against the one gateway with its own
# buckets, files and log, AWSCLI_JOBS (default 3) at a time; the groups that
# wait start first. Their logs are printed in a fixed order; a group that
# fails fails the test, named.
#
# AWS_CLI selects the binary (default: Debian's /usr/bin/aws, else `aws` on PATH).
. "$(dirname "$0")/lib.sh"

if [ -z "${AWS_CLI:-}" ]; then
    if [ -x /usr/bin/aws ]; then AWS_CLI=/usr/bin/aws; else need aws; AWS_CLI=$(command -v aws); fi
fi
need curl
log "using $AWS_CLI: $("$AWS_CLI" --version 2>&1)"

# A lifecycle "day" of 2 s, a pass looked for every second: a rule of 10 days
# takes effect within 20 to 23 s.
LIFECYCLE_DAY_SECONDS=2
gateway_start --lifecycle-day-seconds "$LIFECYCLE_DAY_SECONDS" --lifecycle-interval-seconds 1

# Nothing from the user's own ~/.aws: keys and region from the environment only.
export AWS_CONFIG_FILE=$WORK/aws-config AWS_SHARED_CREDENTIALS_FILE=$WORK/aws-credentials
: >"$AWS_CONFIG_FILE"; : >"$AWS_SHARED_CREDENTIALS_FILE"
export AWS_ACCESS_KEY_ID=$OSTOR_KEY AWS_SECRET_ACCESS_KEY=$OSTOR_SECRET AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER='' AWS_EC2_METADATA_DISABLED=true
DEBUG=()
[ "${OSTOR_CLIENT_DEBUG:-}" = 1 ] && DEBUG=(--debug)

aws() { "$AWS_CLI" --endpoint-url "$OSTOR_URL" "${DEBUG[@]}" "$@"; }

# The inputs, shared by the groups and read only: each group writes in its
# own directory $D.
IN=$WORK/inputs
make_file "$IN/small.bin" 12345
make_file "$IN/big.bin" 40M
make_tree "$IN/tree"

B=clients-awscli

# The bucket $B: objects up and down, copied, synced, listed, presigned, then
# all removed and the bucket with them.
group_main() {
    cp -r "$IN/tree" "$D/tree" # its sync changes a file of the tree
    step "s3 mb / s3 ls"
    out=$(aws s3 mb "s3://$B")
    expect_eq "mb output" "make_bucket: $B" "$out"
    out=$(aws s3 ls)
    expect_match "bucket listing" "[0-9-]+ [0-9:]+ $B" "$out"
    # Of a bucket one owns already: in us-east-1 AWS answers 200 and changes nothing.
    out=$(aws s3 mb "s3://$B")
    expect_eq "mb of an existing bucket of one's own" "make_bucket: $B" "$out"

    step "s3 cp up and down: small object and 40 MiB (multipart)"
    aws s3 cp --no-progress "$IN/small.bin" "s3://$B/small.bin"
    aws s3 cp --no-progress "$IN/big.bin" "s3://$B/dir/big.bin"
    aws s3 cp --no-progress "s3://$B/small.bin" "$D/small.down"
    aws s3 cp --no-progress "s3://$B/dir/big.bin" "$D/big.down"
    same_file "$IN/small.bin" "$D/small.down"
    same_file "$IN/big.bin" "$D/big.down"
    # stdin/stdout streaming upload and download
    aws s3 cp --no-progress - "s3://$B/stdin.bin" <"$IN/small.bin"
    aws s3 cp --no-progress "s3://$B/stdin.bin" - >"$D/stdout.down"
    same_file "$IN/small.bin" "$D/stdout.down"

    step "s3api head-object"
    aws s3api head-object --bucket "$B" --key dir/big.bin >"$D/head.json"
    expect_eq "ContentLength of the 40 MiB object" 41943040 \
        "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ContentLength"])' "$D/head.json")"
    etag=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ETag"])' "$D/head.json")
    # the cli's default multipart chunk is 8 MiB: 40 MiB = 5 parts
    expect_match "multipart ETag" '^"[0-9a-f]{32}-5"$' "$etag"
    aws s3api head-object --bucket "$B" --key small.bin >"$D/head.json"
    etag=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ETag"])' "$D/head.json")
    expect_eq "ETag of the small object" "\"$(md5sum <"$IN/small.bin" | cut -d' ' -f1)\"" "$etag"
    expect_fail "head-object of a missing key" aws s3api head-object --bucket "$B" --key nope
    grep -q '404' "$WORK/expect_fail.out" || fail "head-object of a missing key: expected a 404, got: $(cat "$WORK/expect_fail.out")"

    step "s3api put-object --metadata / head-object"
    aws s3api put-object --bucket "$B" --key meta.txt --body "$IN/tree/hello.txt" \
        --content-type 'text/plain; charset=utf-8' --metadata color=blue,Shape=round \
        --cache-control max-age=60 >/dev/null
    aws s3api head-object --bucket "$B" --key meta.txt >"$D/head.json"
    python3 - "$D/head.json" <<'EOF'
import json, sys
h = json.load(open(sys.argv[1]))
meta = {k.lower(): v for k, v in h.get("Metadata", {}).items()}
assert meta == {"color": "blue", "shape": "round"}, f"Metadata: {h.get('Metadata')}"
assert h["ContentType"] == "text/plain; charset=utf-8", h["ContentType"]
assert h.get("CacheControl") == "max-age=60", h.get("CacheControl")
assert h["ContentLength"] == 13, h["ContentLength"]
EOF
    log "ok: metadata, content type, cache control"

    step "s3api get-object --range"
    aws s3api get-object --bucket "$B" --key dir/big.bin --range bytes=1000000-1999999 "$D/range.down" >"$D/get.json"
    dd if="$IN/big.bin" of="$D/range.exp" bs=1000000 skip=1 count=1 status=none
    same_file "$D/range.exp" "$D/range.down"
    expect_match "ContentRange" '"ContentRange": "bytes 1000000-1999999/41943040"' "$(cat "$D/get.json")"

    step "s3 cp server-side copy (40 MiB: multipart copy with UploadPartCopy)"
    aws s3 cp --no-progress "s3://$B/dir/big.bin" "s3://$B/copy/big.bin"
    aws s3 cp --no-progress "s3://$B/small.bin" "s3://$B/copy/small.bin"
    aws s3 cp --no-progress "s3://$B/copy/big.bin" "$D/bigcopy.down"
    aws s3 cp --no-progress "s3://$B/copy/small.bin" "$D/smallcopy.down"
    same_file "$IN/big.bin" "$D/bigcopy.down"
    same_file "$IN/small.bin" "$D/smallcopy.down"

    step "s3 sync a tree up and back"
    aws s3 sync --no-progress "$D/tree" "s3://$B/tree/"
    aws s3 sync --no-progress "s3://$B/tree/" "$D/tree.down"
    same_tree "$D/tree" "$D/tree.down"
    out=$(aws s3 sync --no-progress "$D/tree" "s3://$B/tree/")
    expect_eq "second sync up (nothing to do)" "" "$out"
    printf 'changed\n' >"$D/tree/a/one.bin"
    out=$(aws s3 sync --no-progress "$D/tree" "s3://$B/tree/")
    expect_match "sync after a change uploads just that file" "^upload: .*a/one.bin to s3://$B/tree/a/one.bin$" "$out"
    aws s3 sync --no-progress --delete "s3://$B/tree/" "$D/tree.down"
    same_tree "$D/tree" "$D/tree.down"

    step "s3 ls: prefix and delimiter, recursive"
    out=$(aws s3 ls "s3://$B/tree/a/")
    log "$out"
    expect_match "common prefix" "PRE b/" "$out"
    expect_match "object under the prefix" " 8 one.bin" "$out"
    [[ $out != *two.bin* ]] || fail "delimiter listing shows a key below the common prefix"
    out=$(aws s3 ls "s3://$B/")
    expect_match "top level" "PRE tree/" "$out"
    expect_match "top level" "12345 small.bin" "$out"
    n=$(aws s3 ls --recursive "s3://$B/tree/" | wc -l)
    expect_eq "objects in the synced tree" "$(find "$D/tree" -type f | wc -l)" "$n"
    # ListObjectsV2 paginated 3 keys at a time by the cli
    n=$(aws s3api list-objects-v2 --bucket "$B" --prefix tree/ --page-size 3 --query 'length(Contents)')
    expect_eq "paginated list-objects-v2" "$(find "$D/tree" -type f | wc -l)" "$n"

    step "s3 presign + curl"
    url=$(aws s3 presign "s3://$B/dir/big.bin" --expires-in 300)
    curl -fsS -o "$D/presigned.down" "$url"
    same_file "$IN/big.bin" "$D/presigned.down"
    url=$(aws s3 presign "s3://$B/small.bin" --expires-in 1)
    sleep 2
    code=$(curl -sS -o "$D/expired.xml" -w '%{http_code}' "$url")
    expect_eq "status of an expired presigned URL" 403 "$code"
    grep -q '<Code>AccessDenied</Code>' "$D/expired.xml" || fail "expired presigned URL: $(cat "$D/expired.xml")"

    step "s3 rm --recursive / s3 rb"
    expect_fail "rb of a non-empty bucket" aws s3 rb "s3://$B"
    grep -q BucketNotEmpty "$WORK/expect_fail.out" || fail "rb non-empty: $(cat "$WORK/expect_fail.out")"
    aws s3 rm --recursive "s3://$B/" >"$D/rm.out"
    expect_eq "objects removed" $(($(find "$D/tree" -type f | wc -l) + 6)) "$(grep -c '^delete: ' "$D/rm.out")"
    out=$(aws s3 ls --recursive "s3://$B/")
    expect_eq "bucket listing after rm --recursive" "" "$out"
    out=$(aws s3 rb "s3://$B")
    expect_eq "rb output" "remove_bucket: $B" "$out"
    out=$(aws s3 ls)
    [[ $out != *"$B"* ]] || fail "bucket still listed after rb: $out"
    expect_fail "ls of the removed bucket" aws s3 ls "s3://$B/"
    grep -q NoSuchBucket "$WORK/expect_fail.out" || fail "ls removed bucket: $(cat "$WORK/expect_fail.out")"
}

# A bucket's CORS and lifecycle configurations (set, read back, removed) and
# requests with a wrong secret or an unknown key.
group_config() {
    local C=awscli-config
    aws s3 mb "s3://$C" >/dev/null
    step "s3api put-bucket-cors / get-bucket-cors, curl preflights, delete-bucket-cors"
    cat >"$D/cors.json" <<'EOF'
{"CORSRules": [{"AllowedOrigins": ["https://app.example.com"], "AllowedMethods": ["GET", "PUT"],
                "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3000}]}
EOF
    aws s3api put-bucket-cors --bucket "$C" --cors-configuration "file://$D/cors.json"
    aws s3api get-bucket-cors --bucket "$C" >"$D/cors.out"
    python3 - "$D/cors.json" "$D/cors.out" <<'EOF'
import json, sys
sent, got = (json.load(open(p)) for p in sys.argv[1:])
assert got["CORSRules"] == sent["CORSRules"], f"get-bucket-cors: {got}"
EOF
    # A browser's preflight: unauthenticated, answered from the rule.
    code=$(curl -sS -o /dev/null -D "$D/preflight.h" -w '%{http_code}' -X OPTIONS "$OSTOR_URL/$C/small.bin" \
        -H 'Origin: https://app.example.com' -H 'Access-Control-Request-Method: PUT' \
        -H 'Access-Control-Request-Headers: content-type')
    expect_eq "status of an allowed preflight" 200 "$code"
    tr -d '\r' <"$D/preflight.h" >"$D/preflight.headers"
    for h in 'Access-Control-Allow-Origin: https://app.example.com' 'Access-Control-Allow-Methods: GET, PUT' \
             'Access-Control-Allow-Headers: content-type' 'Access-Control-Max-Age: 3000'; do
        grep -qiF "$h" "$D/preflight.headers" || fail "preflight answer lacks '$h': $(cat "$D/preflight.headers")"
    done
    code=$(curl -sS -o "$D/refused.xml" -w '%{http_code}' -X OPTIONS "$OSTOR_URL/$C/small.bin" \
        -H 'Origin: https://evil.example.com' -H 'Access-Control-Request-Method: GET')
    expect_eq "status of a preflight from another origin" 403 "$code"
    grep -q '<Code>AccessForbidden</Code>' "$D/refused.xml" || fail "refused preflight: $(cat "$D/refused.xml")"
    aws s3api delete-bucket-cors --bucket "$C"
    expect_fail "get-bucket-cors after delete-bucket-cors" aws s3api get-bucket-cors --bucket "$C"
    grep -q NoSuchCORSConfiguration "$WORK/expect_fail.out" || fail "get-bucket-cors: $(cat "$WORK/expect_fail.out")"

    step "s3api put-bucket-lifecycle-configuration / get / delete-bucket-lifecycle"
    expect_fail "get-bucket-lifecycle-configuration of none" aws s3api get-bucket-lifecycle-configuration --bucket "$C"
    grep -q NoSuchLifecycleConfiguration "$WORK/expect_fail.out" ||
        fail "get-bucket-lifecycle-configuration of none: $(cat "$WORK/expect_fail.out")"
    cat >"$D/lifecycle.json" <<'EOF'
{"Rules": [
  {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}},
  {"ID": "tmp", "Status": "Enabled",
   "Filter": {"And": {"Prefix": "tmp/", "Tags": [{"Key": "class", "Value": "scratch"}]}},
   "Expiration": {"Date": "2030-01-01T00:00:00+00:00"}},
  {"ID": "uploads", "Status": "Disabled", "Filter": {"Prefix": ""},
   "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}
]}
EOF
    aws s3api put-bucket-lifecycle-configuration --bucket "$C" --lifecycle-configuration "file://$D/lifecycle.json"
    same_rules() {
        aws s3api get-bucket-lifecycle-configuration --bucket "$C" >"$D/lifecycle.out"
        python3 - "$D/lifecycle.json" "$D/lifecycle.out" "$1" <<'EOF'
import json, sys
sent, got = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert got["Rules"] == sent["Rules"], f"{sys.argv[3]}: {got}"
EOF
    }
    same_rules "get-bucket-lifecycle-configuration"
    # A transition: ostor has one storage class, so it is refused and nothing changes.
    cat >"$D/transition.json" <<'EOF'
{"Rules": [{"ID": "t", "Status": "Enabled", "Filter": {"Prefix": ""},
            "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}]}
EOF
    expect_fail "a transition rule" aws s3api put-bucket-lifecycle-configuration --bucket "$C" \
        --lifecycle-configuration "file://$D/transition.json"
    grep -q InvalidStorageClass "$WORK/expect_fail.out" || fail "a transition rule: $(cat "$WORK/expect_fail.out")"
    same_rules "get-bucket-lifecycle-configuration after a refused put"
    aws s3api delete-bucket-lifecycle --bucket "$C"
    expect_fail "get-bucket-lifecycle-configuration after delete" aws s3api get-bucket-lifecycle-configuration --bucket "$C"
    grep -q NoSuchLifecycleConfiguration "$WORK/expect_fail.out" ||
        fail "get-bucket-lifecycle-configuration after delete: $(cat "$WORK/expect_fail.out")"

    step "negative: wrong secret, unknown access key"
    AWS_SECRET_ACCESS_KEY=wrong-secret-wrong-secret-wrong-secret12 expect_fail "wrong secret" aws s3 ls "s3://$C/"
    grep -q SignatureDoesNotMatch "$WORK/expect_fail.out" || fail "wrong secret: $(cat "$WORK/expect_fail.out")"
    AWS_ACCESS_KEY_ID=AKIAUNKNOWNUNKNOWN00 expect_fail "unknown access key" aws s3 ls "s3://$C/"
    grep -q InvalidAccessKeyId "$WORK/expect_fail.out" || fail "unknown key: $(cat "$WORK/expect_fail.out")"
    aws s3 rb "s3://$C" >/dev/null
}

# A lifecycle rule expiring objects (waits 20 to 23 s).
group_expiry() {
    step "a lifecycle rule set with put-bucket-lifecycle-configuration takes effect"
    L=awscli-lifecycle
    local days=10
    aws s3 mb "s3://$L" >/dev/null
    cat >"$D/expire.json" <<EOF
{"Rules": [{"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": $days}}]}
EOF
    aws s3api put-bucket-lifecycle-configuration --bucket "$L" --lifecycle-configuration "file://$D/expire.json"
    aws s3 cp --no-progress "$IN/small.bin" "s3://$L/keep/kept.bin"
    local written=$SECONDS
    aws s3 cp --no-progress "$IN/small.bin" "s3://$L/tmp/scratch.bin"
    # head-object says when and by which rule the object expires (20 s at
    # least after its write: time for an aws cli start on a loaded machine,
    # beside the other groups).
    expect_match "head-object's Expiration" 'rule-id="expire-tmp"' \
        "$(aws s3api head-object --bucket "$L" --key tmp/scratch.bin --query Expiration --output text)"
    keys_left() { aws s3api list-objects-v2 --bucket "$L" --query 'Contents[].Key' --output text; }
    # Looked at from when the rule can have taken effect (fewer aws starts).
    sleep $((written + days * LIFECYCLE_DAY_SECONDS - SECONDS > 0 ? written + days * LIFECYCLE_DAY_SECONDS - SECONDS : 0))
    for ((i = 0; i < 15 * LIFECYCLE_DAY_SECONDS; i++)); do
        [ "$(keys_left)" = keep/kept.bin ] && break
        sleep 1
    done
    expect_eq "the objects left once the rule took effect" keep/kept.bin "$(keys_left)"
    aws s3 rm --quiet "s3://$L/keep/kept.bin"
    aws s3api delete-bucket-lifecycle --bucket "$L"
    aws s3 rb "s3://$L" >/dev/null
}

# Versions by id and a delete marker.
group_versioning() {
    step "s3api put/get-bucket-versioning, versions by id, a delete marker"
    V=awscli-versions
    aws s3 mb "s3://$V" >/dev/null
    aws s3api put-bucket-versioning --bucket "$V" --versioning-configuration Status=Enabled
    expect_eq "versioning once enabled" Enabled \
        "$(aws s3api get-bucket-versioning --bucket "$V" --query Status --output text)"
    v1=$(aws s3api put-object --bucket "$V" --key k --body "$IN/small.bin" --query VersionId --output text)
    v2=$(aws s3api put-object --bucket "$V" --key k --body "$IN/tree/hello.txt" --query VersionId --output text)
    expect_match "a version id" '^[0-9a-f]{24}$' "$v1"
    [ "$v1" != "$v2" ] || fail "two PUTs made one version: $v1"
    aws s3api get-object --bucket "$V" --key k --version-id "$v1" "$D/v1.down" >/dev/null
    same_file "$IN/small.bin" "$D/v1.down"
    marker=$(aws s3api delete-object --bucket "$V" --key k --query VersionId --output text)
    expect_fail "get-object under a delete marker" aws s3api get-object --bucket "$V" --key k "$D/none.down"
    grep -q NoSuchKey "$WORK/expect_fail.out" || fail "get under a marker: $(cat "$WORK/expect_fail.out")"
    expect_fail "rb of a bucket holding versions" aws s3 rb "s3://$V"
    grep -q BucketNotEmpty "$WORK/expect_fail.out" || fail "rb with versions: $(cat "$WORK/expect_fail.out")"
    for id in "$marker" "$v2" "$v1"; do aws s3api delete-object --bucket "$V" --key k --version-id "$id" >/dev/null; done
    aws s3 rb "s3://$V" >/dev/null
}

# Object lock (waits for a COMPLIANCE date 60 s ahead).
group_lock() {
    step "s3api object lock: retention and legal hold by version, deletes refused, the owner's bypass"
    # Not named after $B: its COMPLIANCE version outlives the test on RADOS (below).
    L=awscli-lock
    aws s3api create-bucket --bucket "$L" --object-lock-enabled-for-bucket >/dev/null
    expect_eq "versioning of a bucket with object lock" Enabled \
        "$(aws s3api get-bucket-versioning --bucket "$L" --query Status --output text)"
    expect_eq "its lock configuration" "Enabled None" "$(aws s3api get-object-lock-configuration --bucket "$L" \
        --query '[ObjectLockConfiguration.ObjectLockEnabled, ObjectLockConfiguration.Rule]' --output text | tr '\t' ' ')"
    # COMPLIANCE has no bypass, not even for the owner; it ends at its date
    # (60 s ahead: the refusal must come before it, on a loaded machine too,
    # beside the other groups, where an aws cli start takes up to 10 s; the
    # rest of the group runs meanwhile, the end waited for below).
    soon_s=$(($(date +%s) + 60))
    soon=$(date -u -d "@$soon_s" +%Y-%m-%dT%H:%M:%SZ)
    c=$(aws s3api put-object --bucket "$L" --key compliance.bin --body "$IN/small.bin" \
        --object-lock-mode COMPLIANCE --object-lock-retain-until-date "$soon" --query VersionId --output text)
    expect_fail "delete-object of a version under COMPLIANCE, with bypass" aws s3api delete-object --bucket "$L" \
        --key compliance.bin --version-id "$c" --bypass-governance-retention
    grep -q AccessDenied "$WORK/expect_fail.out" || fail "delete under COMPLIANCE: $(cat "$WORK/expect_fail.out")"
    # Refused before its date; one accepted after it would be the test's timing.
    [ "$(date +%s)" -lt "$soon_s" ] || log "note: the refusal came after the retention's date (a slow machine)"

    # retention: normalised to whole seconds UTC, the way the cli prints dates back
    retention() {
        aws s3api get-object-retention --bucket "$L" --key "$1" --version-id "$2" --output json |
            python3 -c 'import json, sys; from datetime import datetime, timezone
r = json.load(sys.stdin)["Retention"]
t = datetime.fromisoformat(r["RetainUntilDate"].replace("Z", "+00:00")).astimezone(timezone.utc)
print(r["Mode"], t.strftime("%Y-%m-%dT%H:%M:%SZ"))'
    }
    until=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
    later=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)
    locked=$(aws s3api put-object --bucket "$L" --key locked.bin --body "$IN/small.bin" \
        --object-lock-mode GOVERNANCE --object-lock-retain-until-date "$until" --query VersionId --output text)
    expect_eq "get-object-retention" "GOVERNANCE $until" "$(retention locked.bin "$locked")"
    expect_eq "head-object's lock mode" GOVERNANCE \
        "$(aws s3api head-object --bucket "$L" --key locked.bin --version-id "$locked" --query ObjectLockMode --output text)"
    expect_fail "delete-object of a version under GOVERNANCE" \
        aws s3api delete-object --bucket "$L" --key locked.bin --version-id "$locked"
    grep -q AccessDenied "$WORK/expect_fail.out" || fail "delete of a locked version: $(cat "$WORK/expect_fail.out")"
    aws s3api get-object --bucket "$L" --key locked.bin --version-id "$locked" "$D/locked.down" >/dev/null
    same_file "$IN/small.bin" "$D/locked.down"
    # Lengthened by anyone allowed; shortened only with the bypass.
    aws s3api put-object-retention --bucket "$L" --key locked.bin --version-id "$locked" \
        --retention "Mode=GOVERNANCE,RetainUntilDate=$later"
    expect_eq "retention lengthened" "GOVERNANCE $later" "$(retention locked.bin "$locked")"
    expect_fail "put-object-retention shortening it without bypass" aws s3api put-object-retention --bucket "$L" \
        --key locked.bin --version-id "$locked" --retention "Mode=GOVERNANCE,RetainUntilDate=$until"
    grep -q AccessDenied "$WORK/expect_fail.out" || fail "shortened retention: $(cat "$WORK/expect_fail.out")"
    expect_eq "retention after the refusal" "GOVERNANCE $later" "$(retention locked.bin "$locked")"

    held=$(aws s3api put-object --bucket "$L" --key held.bin --body "$IN/tree/hello.txt" --query VersionId --output text)
    expect_fail "get-object-retention of a version without one" aws s3api get-object-retention --bucket "$L" \
        --key held.bin --version-id "$held"
    grep -q NoSuchObjectLockConfiguration "$WORK/expect_fail.out" || fail "no retention: $(cat "$WORK/expect_fail.out")"
    aws s3api put-object-legal-hold --bucket "$L" --key held.bin --version-id "$held" --legal-hold Status=ON
    expect_eq "get-object-legal-hold" ON \
        "$(aws s3api get-object-legal-hold --bucket "$L" --key held.bin --version-id "$held" --query LegalHold.Status --output text)"
    # A legal hold has no bypass.
    expect_fail "delete-object of a version under legal hold, with bypass" aws s3api delete-object --bucket "$L" \
        --key held.bin --version-id "$held" --bypass-governance-retention
    grep -q AccessDenied "$WORK/expect_fail.out" || fail "delete of a held version: $(cat "$WORK/expect_fail.out")"
    aws s3api put-object-legal-hold --bucket "$L" --key held.bin --version-id "$held" --legal-hold Status=OFF
    aws s3api delete-object --bucket "$L" --key held.bin --version-id "$held" >/dev/null
    aws s3api delete-object --bucket "$L" --key locked.bin --version-id "$locked" --bypass-governance-retention >/dev/null
    expect_eq "versions left beside the COMPLIANCE one" compliance.bin \
        "$(aws s3api list-object-versions --bucket "$L" --query 'Versions[].Key' --output text)"
    if on_rados; then
        # RADOS counts a retention 5 minutes (its clock margin) past its date:
        # the version and its bucket stay, removed with the namespace.
        log "on RADOS: $L/compliance.bin stays locked past the test"
    else
        sleep $((soon_s + 1 - $(date +%s) > 0 ? soon_s + 1 - $(date +%s) : 0))
        aws s3api delete-object --bucket "$L" --key compliance.bin --version-id "$c" >/dev/null
        aws s3api delete-bucket --bucket "$L"
    fi
}

# The groups in the order they start: those that wait first (a COMPLIANCE
# date 60 s ahead; a lifecycle rule taking 20 to 23 s), the longest next. Each
# is independent of the others: its own buckets (none of them named with
# $B, which the main group checks is gone from the listing), its own $D and
# $WORK (expect_fail.out), its log lines named after it.
group_names=(lock expiry main versioning config)
AWSCLI_JOBS=${AWSCLI_JOBS:-3}
declare -A group_pid=() group_name_of=() group_status=() group_seconds=() group_started=()

run_group() {
    local name=$1
    mkdir -p "$WORK/$name/files"
    # shellcheck disable=SC2030,SC2034 # lib.sh's log, fail and ERR trap read them
    (
        TEST_NAME="awscli $name"
        LIB_ERR_SUBSHELL=$BASH_SUBSHELL
        WORK=$WORK/$name
        D=$WORK/files
        "group_$name"
    ) >"$WORK/$name.log" 2>&1 &
    group_pid[$name]=$!
    group_name_of[$!]=$name
    group_started[$name]=$SECONDS
}

# wait_group: waits for any running group and records its status.
wait_group() {
    local pid name rc=0
    wait -n -p pid "${group_pid[@]}" || rc=$?
    name=${group_name_of[$pid]}
    unset "group_pid[$name]"
    group_status[$name]=$rc
    group_seconds[$name]=$((SECONDS - group_started[$name]))
}

# Stopped before the end (a test runner's timeout: TERM): the groups' logs
# so far, or nothing would tell which step hung.
group_logs_printed=0
print_group_logs_if_stopped() {
    [ "$group_logs_printed" = 1 ] && return 0
    local name
    [ ${#group_pid[@]} = 0 ] || kill "${group_pid[@]}" 2>/dev/null
    for name in "${group_names[@]}"; do
        [ -f "$WORK/$name.log" ] || continue
        log "group $name's log so far:"
        cat "$WORK/$name.log" >&2
    done
}
on_exit print_group_logs_if_stopped

for name in "${group_names[@]}"; do
    while ((${#group_pid[@]} >= AWSCLI_JOBS)); do wait_group; done
    run_group "$name"
done
while ((${#group_pid[@]} > 0)); do wait_group; done

failed=()
group_logs_printed=1
for name in "${group_names[@]}"; do
    cat "$WORK/$name.log" >&2
    log "group $name: status ${group_status[$name]} after ${group_seconds[$name]} s"
    [ "${group_status[$name]}" = 0 ] || failed+=("$name")
done
[ ${#failed[@]} = 0 ] || fail "group(s) failed: ${failed[*]} (their FAIL lines are above)"
