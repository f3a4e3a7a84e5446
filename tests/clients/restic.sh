#!/bin/bash
# restic (Debian `restic`, its s3 backend: minio-go) with its default settings
# against a live ostor-gateway, its repository in a bucket with object lock
# and a default GOVERNANCE retention of 1 day (made with the aws cli): init,
# backup of a tree (a 20 MiB file, so the data goes into several packs,
# binary content, nested directories), check --read-data, restore byte-exact;
# a second backup after a change, the first snapshot still restored
# byte-exact; every version restic wrote carries the default retention; a
# locked version deleted by id without bypass is refused (AccessDenied) and
# still reads; forget --prune only adds delete markers, and removing them
# brings the forgotten snapshot back, restored byte-exact; the owner's
# bypass then removes every version and the bucket.
#
# The gateway refuses a write into this bucket without Content-MD5 or an
# x-amz-checksum-* (as S3 does); restic sends Content-MD5.
. "$(dirname "$0")/lib.sh"

need restic
need curl
if [ -x /usr/bin/aws ]; then AWS_CLI=/usr/bin/aws; else need aws; AWS_CLI=$(command -v aws); fi
log "using $(command -v restic): $(restic version)"

gateway_start

export AWS_CONFIG_FILE=$WORK/aws-config AWS_SHARED_CREDENTIALS_FILE=$WORK/aws-credentials
: >"$AWS_CONFIG_FILE"; : >"$AWS_SHARED_CREDENTIALS_FILE"
export AWS_ACCESS_KEY_ID=$OSTOR_KEY AWS_SECRET_ACCESS_KEY=$OSTOR_SECRET AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER='' AWS_EC2_METADATA_DISABLED=true
aws() { "$AWS_CLI" --endpoint-url "$OSTOR_URL" "$@"; }

B=clients-restic-locked
export RESTIC_REPOSITORY=s3:$OSTOR_URL/$B/repo RESTIC_PASSWORD=clients-restic-password
export RESTIC_CACHE_DIR=$WORK/restic-cache
FLAGS=()
[ "${OSTOR_CLIENT_DEBUG:-}" = 1 ] && FLAGS+=(--verbose=2)
rs() { restic "${FLAGS[@]}" "$@"; }

D=$WORK/files
mkdir -p "$D"
make_tree "$D/tree"
make_file "$D/tree/big/twenty.bin" 20M
make_file "$D/tree/a/b/c/d/deep.bin" 3M

step "a bucket with object lock and a default GOVERNANCE retention of 1 day"
aws s3api create-bucket --bucket "$B" --object-lock-enabled-for-bucket >/dev/null
aws s3api put-object-lock-configuration --bucket "$B" --object-lock-configuration \
    '{"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}'
expect_eq "default retention" "GOVERNANCE 1" \
    "$(aws s3api get-object-lock-configuration --bucket "$B" \
        --query '[ObjectLockConfiguration.Rule.DefaultRetention.Mode, ObjectLockConfiguration.Rule.DefaultRetention.Days]' \
        --output text | tr '\t' ' ')"
# What restic's digest is for: a write without one is refused here.
code=$(s3_curl -o "$D/no-digest.xml" -w '%{http_code}' -X PUT --data-binary @"$D/tree/hello.txt" \
    "$OSTOR_URL/$B/no-digest.txt")
expect_eq "status of a PUT without Content-MD5 into the bucket" 400 "$code"
grep -q 'Content-MD5 OR x-amz-checksum-' "$D/no-digest.xml" || fail "PUT without a digest: $(cat "$D/no-digest.xml")"
expect_fail "head-object of the refused PUT's key" aws s3api head-object --bucket "$B" --key no-digest.txt

step "restic init / backup / check --read-data / restore"
rs init
# From the parent directory: the snapshot holds the path .../files/tree,
# restored as <target>/tree.
(cd "$D" && rs backup tree)
rs check --read-data
rs restore latest --target "$D/restore1"
same_tree "$D/tree" "$D/restore1/tree"
cmp "$D/tree/big/twenty.bin" "$D/restore1/tree/big/twenty.bin"
packs=$(aws s3api list-objects-v2 --bucket "$B" --prefix repo/data/ --query 'length(Contents)' --output text)
[ "$packs" -ge 2 ] || fail "expected the backup in several packs, found $packs"
log "ok: $packs packs"
first=$(rs snapshots --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
cp -a "$D/tree" "$D/tree.first"

step "a second backup after a change; the first snapshot still restores byte-exact"
make_file "$D/tree/big/twenty.bin" 20M
rm "$D/tree/a/one.bin"
printf 'added\n' >"$D/tree/d/added.txt"
(cd "$D" && rs backup tree)
expect_eq "snapshots" 2 "$(rs snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
rs check
rs restore latest --target "$D/restore2"
same_tree "$D/tree" "$D/restore2/tree"
rs restore "$first" --target "$D/restore-first"
same_tree "$D/tree.first" "$D/restore-first/tree"

step "every version restic wrote carries the default GOVERNANCE retention of 1 day"
aws s3api list-object-versions --bucket "$B" --prefix repo/ >"$D/versions.json"
python3 - "$D/versions.json" >"$D/versions.txt" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for x in v["Versions"]:
    print(x["Key"], x["VersionId"], x["LastModified"])
EOF
expect_match "versions of the repository" 'repo/config .*repo/keys/.*repo/snapshots/' "$(tr '\n' ' ' <"$D/versions.txt")"
n=0
while read -r key vid modified; do
    s3_curl -f -I -o "$D/head.txt" "$OSTOR_URL/$B/$key?versionId=$vid" </dev/null
    python3 - "$D/head.txt" "$modified" "$key" <<'EOF'
import sys
from datetime import datetime, timedelta
h = {}
for line in open(sys.argv[1], newline=""):
    if ":" in line:
        k, v = line.split(":", 1)
        h[k.strip().lower()] = v.strip()
assert h.get("x-amz-object-lock-mode") == "GOVERNANCE", f"{sys.argv[3]}: {h}"
until = datetime.fromisoformat(h["x-amz-object-lock-retain-until-date"].replace("Z", "+00:00"))
written = datetime.fromisoformat(sys.argv[2].replace("Z", "+00:00"))
# The retention is dated from the commit, which comes after LastModified
# (the end of the body): later by the commit's wait, seconds on a loaded
# machine or on RADOS.
assert timedelta(days=1) <= until - written < timedelta(days=1, seconds=120), f"{sys.argv[3]}: {until} for {written}"
EOF
    n=$((n + 1))
done <"$D/versions.txt"
log "ok: $n versions under GOVERNANCE until 1 day after their write"
read -r key vid _ < <(grep '^repo/snapshots/' "$D/versions.txt")
expect_eq "get-object-retention of a snapshot file" GOVERNANCE \
    "$(aws s3api get-object-retention --bucket "$B" --key "$key" --version-id "$vid" --query Retention.Mode --output text)"

step "deleting a locked version by id without bypass is refused; it still reads"
read -r pack pack_vid _ < <(grep '^repo/data/' "$D/versions.txt")
aws s3api get-object --bucket "$B" --key "$pack" --version-id "$pack_vid" "$D/pack.before" >/dev/null
expect_fail "delete-object of a locked version" aws s3api delete-object --bucket "$B" --key "$pack" --version-id "$pack_vid"
grep -q AccessDenied "$WORK/expect_fail.out" || fail "delete of a locked version: $(cat "$WORK/expect_fail.out")"
aws s3api get-object --bucket "$B" --key "$pack" --version-id "$pack_vid" "$D/pack.after" >/dev/null
same_file "$D/pack.before" "$D/pack.after"
rs check

step "forget --prune: restic's deletes add delete markers, the locked versions stay"
rs forget --keep-last 1 --prune
expect_eq "snapshots after forget" 1 "$(rs snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
rs check --read-data
rs restore latest --target "$D/restore3"
same_tree "$D/tree" "$D/restore3/tree"
aws s3api list-object-versions --bucket "$B" --prefix repo/ >"$D/after-prune.json"
# Every version from before is still there, and the first snapshot's file is
# under a delete marker; the markers (not locked) are the only thing to remove.
python3 - "$D/versions.json" "$D/after-prune.json" "$first" >"$D/markers.txt" <<'EOF'
import json, sys
before, after, first = (json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3])
now = {(x["Key"], x["VersionId"]) for x in after["Versions"]}
lost = [(x["Key"], x["VersionId"]) for x in before["Versions"] if (x["Key"], x["VersionId"]) not in now]
assert not lost, f"versions lost by forget --prune: {lost}"
markers = [m for m in after.get("DeleteMarkers", []) if not m["Key"].startswith("repo/locks/")]
assert any(m["Key"].startswith("repo/snapshots/" + first) for m in markers), f"no marker on snapshot {first}"
assert any(m["Key"].startswith("repo/data/") for m in markers), "prune removed no pack"
for m in markers:
    if m["IsLatest"]:
        print(m["Key"], m["VersionId"])
EOF
log "ok: every version kept; $(wc -l <"$D/markers.txt") delete markers over repository files"
while read -r key vid; do
    aws s3api delete-object --bucket "$B" --key "$key" --version-id "$vid" >/dev/null </dev/null
done <"$D/markers.txt"
expect_eq "snapshots once the markers are removed" 2 \
    "$(rs snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
rs check
rs restore "$first" --target "$D/restore-first-again"
same_tree "$D/tree.first" "$D/restore-first-again/tree"

step "the owner's bypass removes every version, then the bucket"
expect_fail "delete-bucket holding locked versions" aws s3api delete-bucket --bucket "$B"
grep -q BucketNotEmpty "$WORK/expect_fail.out" || fail "delete-bucket: $(cat "$WORK/expect_fail.out")"
aws s3api list-object-versions --bucket "$B" >"$D/all.json"
python3 - "$D/all.json" "$D/delete" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
objs = [{"Key": x["Key"], "VersionId": x["VersionId"]} for x in v.get("Versions", []) + v.get("DeleteMarkers", [])]
assert not v.get("IsTruncated"), "more than one page of versions"
for i in range(0, len(objs), 1000):
    json.dump({"Objects": objs[i:i + 1000], "Quiet": True}, open(f"{sys.argv[2]}-{i // 1000}.json", "w"))
EOF
for f in "$D"/delete-*.json; do
    expect_eq "errors of delete-objects with bypass" null "$(aws s3api delete-objects --bucket "$B" \
        --bypass-governance-retention --delete "file://$f" --query Errors --output json)"
done
expect_eq "versions left" "0 0" \
    "$(aws s3api list-object-versions --bucket "$B" --query '[length(Versions || `[]`), length(DeleteMarkers || `[]`)]' \
        --output text | tr '\t' ' ')"
aws s3api delete-bucket --bucket "$B"
out=$(aws s3api list-buckets --query 'Buckets[].Name' --output text)
[[ $out != *"$B"* ]] || fail "bucket still listed after delete-bucket: $out"
