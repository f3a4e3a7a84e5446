#!/bin/bash
# s3cmd (Debian `s3cmd`) against a live ostor-gateway, configured by a
# generated config file (path-style: host_bucket without %(bucket)s; plain
# http; the default bucket_location US, which s3cmd also uses as the SigV4
# region). Usage: s3cmd.sh v4|v2 (signature_v2 = False|True).
# Covers mb, ls, la, put (small, and 20 MiB multipart with 5 MiB chunks),
# get, info, cp, modify of metadata, setacl/public URL, signurl + curl,
# sync up and back, del, del --recursive, rb; negative: wrong secret, unknown
# key, expired signed URL, missing object, rb of a non-empty bucket.
. "$(dirname "$0")/lib.sh"

SIG=${1:-v4}
case $SIG in
    v4) SIGV2=False ;;
    v2) SIGV2=True ;;
    *) fail "usage: $0 v4|v2" ;;
esac
TEST_NAME=s3cmd-$SIG
need s3cmd
need curl
log "using $(command -v s3cmd): $(s3cmd --version)"

gateway_start

CFG=$WORK/s3cfg
write_cfg() { # write_cfg FILE ACCESS_KEY SECRET
    cat >"$1" <<EOF
[default]
access_key = $2
secret_key = $3
host_base = $OSTOR_HOST
host_bucket = $OSTOR_HOST
use_https = False
signature_v2 = $SIGV2
bucket_location = US
EOF
}
write_cfg "$CFG" "$OSTOR_KEY" "$OSTOR_SECRET"
DEBUG=()
[ "${OSTOR_CLIENT_DEBUG:-}" = 1 ] && DEBUG=(--debug)
s3c() { s3cmd -c "$CFG" --no-progress "${DEBUG[@]}" "$@"; }

B=clients-s3cmd-$SIG
D=$WORK/files
mkdir -p "$D"
make_file "$D/small.bin" 54321
make_file "$D/big.bin" 20M
make_tree "$D/tree"

step "mb / ls"
s3c mb "s3://$B"
out=$(s3c ls)
expect_match "bucket listing" "s3://$B" "$out"

step "put / get: small, and 20 MiB multipart (5 MiB chunks)"
s3c put "$D/small.bin" "s3://$B/small.bin"
# with --progress s3cmd names each part: "[part 4 of 4, 5MB]"
s3c --progress put --multipart-chunk-size-mb=5 "$D/big.bin" "s3://$B/dir/big.bin" | tr '\r' '\n' >"$D/put.out"
grep -q 'part 4 of 4' "$D/put.out" || fail "the 20 MiB put was not a 4-part multipart upload"
s3c put --mime-type=text/plain --add-header=x-amz-meta-color:blue "$D/tree/hello.txt" "s3://$B/hello.txt"
s3c get "s3://$B/small.bin" "$D/small.down"
s3c get "s3://$B/dir/big.bin" "$D/big.down"
s3c get "s3://$B/hello.txt" "$D/hello.down"
same_file "$D/small.bin" "$D/small.down"
same_file "$D/big.bin" "$D/big.down"
same_file "$D/tree/hello.txt" "$D/hello.down"
expect_fail "get of a missing object" s3c get "s3://$B/nope" "$D/nope"
grep -q 'does not exist' "$WORK/expect_fail.out" || fail "missing object: $(cat "$WORK/expect_fail.out")"

step "info"
s3c info "s3://$B/small.bin" | tee "$D/info.out"
grep -Eq "File size: *54321" "$D/info.out" || fail "info: size"
grep -Eq "MD5 sum: *$(md5sum <"$D/small.bin" | cut -d' ' -f1)" "$D/info.out" || fail "info: MD5"
s3c info "s3://$B/hello.txt" | tee "$D/info.out"
grep -Eq "MIME type: *text/plain" "$D/info.out" || fail "info: MIME type"
grep -Eq "x-amz-meta-color: *blue" "$D/info.out" || fail "info: user metadata"
s3c info "s3://$B/dir/big.bin" | tee "$D/info.out"
grep -Eq "File size: *20971520" "$D/info.out" || fail "info: size of the multipart object"
# s3cmd stores the whole file's MD5 in x-amz-meta-s3cmd-attrs and shows it
grep -Eq "MD5 sum: *$(md5sum <"$D/big.bin" | cut -d' ' -f1)" "$D/info.out" || fail "info: MD5 of the multipart object"
s3c info "s3://$B" | tee "$D/info.out"
grep -q "s3://$B/ (bucket)" "$D/info.out" || fail "bucket info"

step "cp (server-side copy) / modify"
s3c cp "s3://$B/dir/big.bin" "s3://$B/copy/big.bin"
s3c get "s3://$B/copy/big.bin" "$D/bigcopy.down"
same_file "$D/big.bin" "$D/bigcopy.down"
s3c modify --add-header=x-amz-meta-color:red "s3://$B/hello.txt"
s3c info "s3://$B/hello.txt" | tee "$D/info.out"
grep -Eq "x-amz-meta-color: *red" "$D/info.out" || fail "modify: metadata not replaced"
s3c get --force "s3://$B/hello.txt" "$D/hello.down"
same_file "$D/tree/hello.txt" "$D/hello.down"

step "signurl (SigV2 query string) + curl; public-read ACL + anonymous curl"
exp=$(($(date +%s) + 300))
url=$(s3c signurl "s3://$B/dir/big.bin" "$exp")
log "signed URL: $url"
curl -fsS -o "$D/signed.down" "$url"
same_file "$D/big.bin" "$D/signed.down"
url=$(s3c signurl "s3://$B/dir/big.bin" $(($(date +%s) - 5)))
code=$(curl -sS -o "$D/expired.xml" -w '%{http_code}' "$url")
expect_eq "status of an expired signed URL" 403 "$code"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$OSTOR_URL/$B/small.bin")
expect_eq "anonymous GET of a private object" 403 "$code"
s3c setacl --acl-public "s3://$B/small.bin"
curl -fsS -o "$D/public.down" "$OSTOR_URL/$B/small.bin"
same_file "$D/small.bin" "$D/public.down"
s3c setacl --acl-private "s3://$B/small.bin"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$OSTOR_URL/$B/small.bin")
expect_eq "anonymous GET after --acl-private" 403 "$code"

step "sync a tree up and back"
s3c sync "$D/tree/" "s3://$B/tree/"
mkdir -p "$D/tree.down"
s3c sync "s3://$B/tree/" "$D/tree.down/"
same_tree "$D/tree" "$D/tree.down"
printf 'changed\n' >"$D/tree/a/one.bin"
s3c sync "$D/tree/" "s3://$B/tree/" | tee "$D/sync.out"
expect_eq "files uploaded by the second sync" 1 "$(grep -c '^upload:' "$D/sync.out" || true)"
s3c sync "s3://$B/tree/" "$D/tree.down/"
same_tree "$D/tree" "$D/tree.down"

step "ls with prefix (delimiter) / la"
out=$(s3c ls "s3://$B/tree/a/")
log "$out"
expect_match "common prefix" "DIR +s3://$B/tree/a/b/" "$out"
expect_match "object" "8 +s3://$B/tree/a/one.bin" "$out"
[[ $out != *two.bin* ]] || fail "delimiter listing shows a key below the common prefix"
n=$(s3c ls --recursive "s3://$B/tree/" | wc -l)
expect_eq "objects in the synced tree" "$(find "$D/tree" -type f | wc -l)" "$n"
out=$(s3c la)
expect_match "la" "s3://$B/small.bin" "$out"
expect_match "la" "DIR +s3://$B/tree/" "$out"

step "negative: wrong secret, unknown key"
write_cfg "$WORK/bad1" "$OSTOR_KEY" wrongwrongwrongwrongwrongwrongwrongwrong
expect_fail "wrong secret" s3cmd -c "$WORK/bad1" ls "s3://$B/"
grep -q SignatureDoesNotMatch "$WORK/expect_fail.out" || fail "wrong secret: $(cat "$WORK/expect_fail.out")"
write_cfg "$WORK/bad2" AKIAUNKNOWNUNKNOWN00 "$OSTOR_SECRET"
expect_fail "unknown key" s3cmd -c "$WORK/bad2" ls "s3://$B/"
grep -q InvalidAccessKeyId "$WORK/expect_fail.out" || fail "unknown key: $(cat "$WORK/expect_fail.out")"

step "del / del --recursive / rb"
s3c del "s3://$B/small.bin"
expect_fail "get of a deleted object" s3c get "s3://$B/small.bin" "$D/deleted.down"
expect_fail "rb of a non-empty bucket" s3c rb "s3://$B"
grep -q BucketNotEmpty "$WORK/expect_fail.out" || fail "rb non-empty: $(cat "$WORK/expect_fail.out")"
s3c del --recursive --force "s3://$B/"
out=$(s3c ls --recursive "s3://$B/")
expect_eq "listing after del --recursive" "" "$out"
s3c rb "s3://$B"
out=$(s3c ls)
[[ $out != *"s3://$B"* ]] || fail "bucket still listed after rb: $out"
