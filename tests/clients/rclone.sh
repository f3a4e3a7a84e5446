#!/bin/bash
# rclone (Debian `rclone`) against a live ostor-gateway. The remote is
# configured by environment variables only (type s3, provider Other, the
# gateway's endpoint and keys), everything else at rclone's defaults.
# Covers mkdir, lsd, copy of a tree, ls/lsl/lsf/lsjson with and without
# recursion, check (size + MD5), cat (whole and ranged), a 30 MiB file
# uploaded in one PUT (rclone's default cutoff is 200 MiB) and as multipart
# (upload cutoff and chunk size 5 MiB; and rcat from stdin, which always goes
# multipart), server-side copyto/moveto, link (presigned URL) + curl, sync
# with a deletion, delete, rmdir, purge; versions (rclone's S3 `versions`
# option): `backend versioning`, ls --s3-versions, an old version read and
# restored by its -v<time> name, --s3-version-at, purge of a versioned bucket;
# negative: wrong secret, unknown key, expired link.
. "$(dirname "$0")/lib.sh"

need rclone
need curl
log "using $(command -v rclone): $(rclone version | sed -n 1p)"

gateway_start

# aws-sdk-go (inside rclone) refuses to start when AWS_CA_BUNDLE is set
# ("LoadCustomCABundleError: unsupported transport"); the gateway is plain
# http here, so a CA bundle from the environment has no use.
unset AWS_CA_BUNDLE
export RCLONE_CONFIG=$WORK/rclone.conf
: >"$RCLONE_CONFIG"
export RCLONE_CONFIG_OSTOR_TYPE=s3
export RCLONE_CONFIG_OSTOR_PROVIDER=Other
export RCLONE_CONFIG_OSTOR_ENDPOINT=$OSTOR_URL
export RCLONE_CONFIG_OSTOR_ACCESS_KEY_ID=$OSTOR_KEY
export RCLONE_CONFIG_OSTOR_SECRET_ACCESS_KEY=$OSTOR_SECRET
# Fail fast instead of retrying a failed operation 3 times (and its
# low-level retries 10 times): a failure here is a failure of the gateway.
FLAGS=(--retries 1 --low-level-retries 1)
[ "${OSTOR_CLIENT_DEBUG:-}" = 1 ] && FLAGS+=(-vv --dump headers)
rc() { rclone "${FLAGS[@]}" "$@"; }

B=ostor:clients-rclone
D=$WORK/files
mkdir -p "$D"
make_file "$D/big.bin" 30M
make_tree "$D/tree"

step "mkdir / lsd"
rc mkdir "$B"
out=$(rc lsd ostor:)
expect_match "lsd" " clients-rclone$" "$out"

step "copy a tree; ls, lsl, lsf, lsjson; check"
rc copy "$D/tree" "$B/tree"
rc ls "$B/tree" | tee "$D/ls.out"
expect_eq "objects listed" "$(find "$D/tree" -type f | wc -l)" "$(wc -l <"$D/ls.out")"
grep -Eq '^ +70000 a/b/two.bin$' "$D/ls.out" || fail "ls: a/b/two.bin with size 70000"
grep -Eq '^ +4097 with space/five six.bin$' "$D/ls.out" || fail "ls: 'with space/five six.bin'"
rc lsl "$B/tree/a" | tee "$D/lsl.out"
grep -Eq '^ +300000 [0-9-]+ [0-9:.]+ b/c/three.bin$' "$D/lsl.out" || fail "lsl: b/c/three.bin"
# modification times round-trip through rclone's X-Amz-Meta-Mtime metadata
rc lsl "$B/tree/hello.txt" | awk '{print $2, substr($3,1,8)}' >"$D/mtime.remote"
date -r "$D/tree/hello.txt" '+%Y-%m-%d %H:%M:%S' >"$D/mtime.local"
expect_eq "mtime of hello.txt" "$(cat "$D/mtime.local")" "$(cat "$D/mtime.remote")"
out=$(rc lsf "$B/tree")   # not recursive: delimiter listing
expect_eq "lsf (one level)" "$(printf 'a/\nd/\nempty\nhello.txt\nwith space/')" "$(echo "$out" | LC_ALL=C sort)"
out=$(rc lsf --dirs-only "$B/tree/a")
expect_eq "lsf --dirs-only" "b/" "$out"
rc lsjson --hash "$B/tree/d/four.bin" | tee "$D/lsjson.out"
python3 - "$D/lsjson.out" "$(md5sum <"$D/tree/d/four.bin" | cut -d' ' -f1)" <<'EOF'
import json, sys
(item,) = json.load(open(sys.argv[1]))
assert item["Size"] == 1 and item["Hashes"]["md5"] == sys.argv[2], item
EOF
rc check "$D/tree" "$B/tree"
rc check --download "$D/tree" "$B/tree"

step "cat: whole and ranged"
rc cat "$B/tree/hello.txt" >"$D/hello.down"
same_file "$D/tree/hello.txt" "$D/hello.down"
rc cat --offset 1000 --count 50000 "$B/tree/a/b/c/three.bin" >"$D/range.down"
dd if="$D/tree/a/b/c/three.bin" of="$D/range.exp" iflag=skip_bytes,count_bytes skip=1000 count=50000 status=none
same_file "$D/range.exp" "$D/range.down"

step "30 MiB: single PUT, multipart (5 MiB parts), rcat from stdin (multipart)"
rc copyto "$D/big.bin" "$B/big-single.bin"
rc copyto --s3-upload-cutoff 5M --s3-chunk-size 5M "$D/big.bin" "$B/big-multi.bin"
rc rcat "$B/big-rcat.bin" <"$D/big.bin"
for k in big-single big-multi big-rcat; do
    rc copyto "$B/$k.bin" "$D/$k.down"
    same_file "$D/big.bin" "$D/$k.down"
done
# rclone knows the MD5 of a file it uploads (multipart: kept in its
# X-Amz-Meta-Md5chksum metadata), not of a stream from stdin.
want=$(md5sum <"$D/big.bin" | cut -d' ' -f1)
for k in big-single big-multi; do
    expect_eq "rclone md5sum of $k.bin" "$want" "$(rc md5sum "$B/$k.bin" | cut -d' ' -f1)"
done

step "server-side copyto / moveto"
rc copyto "$B/big-multi.bin" "$B/copy/big.bin"
rc moveto "$B/copy/big.bin" "$B/moved/big.bin"
rc cat "$B/moved/big.bin" >"$D/moved.down"
same_file "$D/big.bin" "$D/moved.down"
expect_eq "objects left under copy/ after moveto" "" "$(rc lsf -R "$B/copy")"

step "link (presigned URL) + curl; an expired one"
url=$(rc link --expire 5m "$B/big-single.bin")
log "link: $url"
curl -fsS -o "$D/link.down" "$url"
same_file "$D/big.bin" "$D/link.down"
url=$(rc link --expire 1s "$B/big-single.bin")
sleep 2
code=$(curl -sS -o "$D/expired.xml" -w '%{http_code}' "$url")
expect_eq "status of an expired link" 403 "$code"

step "sync with a deletion, then delete / rmdir / purge"
rm "$D/tree/a/one.bin"
printf 'new\n' >"$D/tree/new.txt"
rc sync "$D/tree" "$B/tree"
rc check "$D/tree" "$B/tree"
mkdir -p "$D/tree.down"
rc sync "$B/tree" "$D/tree.down"
same_tree "$D/tree" "$D/tree.down"
rc delete --include '*.bin' "$B/tree"
out=$(rc lsf -R --files-only "$B/tree" | LC_ALL=C sort)
expect_eq "left after delete --include '*.bin'" "$(printf 'd/ünïcødé.txt\nempty\nhello.txt\nnew.txt')" "$out"
rc mkdir "$B-empty"
rc rmdir "$B-empty"
out=$(rc lsd ostor:)
[[ $out != *clients-rclone-empty* ]] || fail "rmdir left the bucket: $out"

step "versions: backend versioning, ls --s3-versions, copyto of an old version, --s3-version-at"
V=$B-versions
rc mkdir "$V"
expect_eq "versioning of a new bucket" Unversioned "$(rc backend versioning "$V")"
expect_eq "backend versioning Enabled" Enabled "$(rc backend versioning "$V" Enabled)"
make_file "$D/v1.bin" 1000
make_file "$D/v2.bin" 2000
rc copyto "$D/v1.bin" "$V/doc.bin"
# A moment strictly between the two writes, in whole seconds, for --s3-version-at.
sleep 1.2
between=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1.2
rc copyto "$D/v2.bin" "$V/doc.bin"
expect_eq "ls without versions" "2000 doc.bin" "$(rc ls "$V" | sed 's/^ *//')"
rc ls --s3-versions "$V" | sed 's/^ *//' | LC_ALL=C sort | tee "$D/versions.out"
expect_eq "versions listed" 2 "$(wc -l <"$D/versions.out")"
grep -qx "2000 doc.bin" "$D/versions.out" || fail "ls --s3-versions: the current doc.bin"
# rclone names an old version name-v<its LastModified, UTC>.ext.
old=$(sed -n 's/^1000 \(doc-v[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]-[0-9]\{6\}-[0-9]\{3\}\.bin\)$/\1/p' "$D/versions.out")
[ -n "$old" ] || fail "ls --s3-versions: no old version doc-v<time>.bin of 1000 bytes"
rc copyto --s3-versions "$V/$old" "$D/old.down"
same_file "$D/v1.bin" "$D/old.down"
rc copyto --s3-version-at "$between" "$V/doc.bin" "$D/at.down"
same_file "$D/v1.bin" "$D/at.down"
expect_eq "ls --s3-version-at" "1000 doc.bin" "$(rc ls --s3-version-at "$between" "$V" | sed 's/^ *//')"
# Restore: a server-side copy of the old version (CopySource with its
# versionId) becomes the current one; the replaced one stays as a version.
rc copyto --s3-versions "$V/$old" "$V/doc.bin"
rc cat "$V/doc.bin" >"$D/restored.down"
same_file "$D/v1.bin" "$D/restored.down"
expect_eq "versions after the restore" 3 "$(rc ls --s3-versions "$V" | wc -l)"
expect_eq "backend versioning Suspended" Suspended "$(rc backend versioning "$V" Suspended)"
# purge deletes every version by id, then the bucket.
rc purge --s3-versions "$V"
out=$(rc lsd ostor:)
[[ $out != *clients-rclone-versions* ]] || fail "purge --s3-versions left the versioned bucket: $out"

step "negative: wrong secret, unknown key"
RCLONE_CONFIG_OSTOR_SECRET_ACCESS_KEY=wrongwrongwrongwrongwrongwrongwrongwrong \
    expect_fail "wrong secret" rc lsf "$B"
grep -q SignatureDoesNotMatch "$WORK/expect_fail.out" || fail "wrong secret: $(cat "$WORK/expect_fail.out")"
RCLONE_CONFIG_OSTOR_ACCESS_KEY_ID=AKIAUNKNOWNUNKNOWN00 expect_fail "unknown key" rc lsf "$B"
grep -q InvalidAccessKeyId "$WORK/expect_fail.out" || fail "unknown key: $(cat "$WORK/expect_fail.out")"

step "purge"
rc purge "$B"
out=$(rc lsd ostor:)
[[ $out != *clients-rclone* ]] || fail "purge left the bucket: $out"
expect_fail "lsf of the purged bucket" rc lsf "$B"
