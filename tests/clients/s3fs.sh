#!/bin/bash
# s3fs (Debian `s3fs`) against a live ostor-gateway: mount a bucket
# (url=http://127.0.0.1:PORT, use_path_request_style, passwd_file; everything
# else at s3fs's defaults) and use it as a file system: write a small and a
# 25 MiB file (s3fs goes multipart above 10 MiB), read them back, ls -l, mkdir,
# mv (s3fs renames by a copy with x-amz-metadata-directive: REPLACE and a
# delete), chmod (a copy onto the same key with REPLACE), append, truncate, rm,
# rmdir; then unmount, mount again and compare everything byte for byte, and
# check the objects behind the files with plain S3 requests (curl --aws-sigv4).
# Needs root and /dev/fuse; without them it exits 77 (skipped).
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "s3fs test needs root (to mount with FUSE); running as uid $(id -u)"
[ -c /dev/fuse ] || skip "s3fs test needs /dev/fuse, which this machine does not have"
need s3fs
need curl
FUSERMOUNT=$(command -v fusermount || command -v fusermount3 || true)
[ -n "$FUSERMOUNT" ] || fail "neither fusermount nor fusermount3 is installed (apt-get install fuse3)"
log "using $(command -v s3fs): $(s3fs --version 2>&1 | sed -n 1p)"

gateway_start

B=clients-s3fs
M=$WORK/mnt
D=$WORK/files
mkdir -p "$M" "$D"
printf '%s:%s\n' "$OSTOR_KEY" "$OSTOR_SECRET" >"$WORK/passwd"
chmod 600 "$WORK/passwd"
make_file "$D/small.bin" 33333
make_file "$D/big.bin" 25M

code=$(s3_curl -o "$WORK/mb.out" -w '%{http_code}' -X PUT "$OSTOR_URL/$B")
expect_eq "create the bucket with curl" 200 "$code"

mount_s3fs() {
    local opts=url=$OSTOR_URL,use_path_request_style,passwd_file=$WORK/passwd,logfile=$WORK/s3fs.log,dbglevel=err
    [ "${OSTOR_CLIENT_DEBUG:-}" = 1 ] && opts+=,dbglevel=info,curldbg
    s3fs "$B" "$M" -o "$opts"
    local i
    for ((i = 0; i < 100; i++)); do mountpoint -q "$M" && break; sleep 0.1; done
    mountpoint -q "$M" || {
        cat "$WORK/s3fs.log" >&2 2>/dev/null || true
        fail "s3fs did not mount $M (its log is above; OSTOR_CLIENT_DEBUG=1 logs its requests too)"
    }
    log "mounted s3://$B on $M"
}
unmount_s3fs() {
    mountpoint -q "$M" || return 0
    sync
    "$FUSERMOUNT" -u "$M"
    local i
    for ((i = 0; i < 100; i++)); do mountpoint -q "$M" || break; sleep 0.1; done
    ! mountpoint -q "$M" || fail "$M still mounted after $FUSERMOUNT -u"
    log "unmounted $M"
}
# Never leave a mount behind, whatever happens.
on_exit eval 'mountpoint -q "$M" && { "$FUSERMOUNT" -u "$M" || umount -l "$M"; }'

# object_status KEY: HTTP status of a HEAD of the object behind a file.
object_status() { s3_curl -o /dev/null -w '%{http_code}' -I "$OSTOR_URL/$B/$1"; }
# fetch KEY FILE: the object's bytes straight from the gateway.
fetch() { code=$(s3_curl -o "$2" -w '%{http_code}' "$OSTOR_URL/$B/$1"); expect_eq "GET $1" 200 "$code"; }

step "mount; write a small and a 25 MiB file; read them back"
mount_s3fs
cp "$D/small.bin" "$M/small.bin"
cp "$D/big.bin" "$M/big.bin"
printf 'hello s3fs\n' >"$M/hello.txt"
sync
same_file "$D/small.bin" "$M/small.bin"
same_file "$D/big.bin" "$M/big.bin"
fetch small.bin "$D/small.obj"
fetch big.bin "$D/big.obj"
same_file "$D/small.bin" "$D/small.obj"
same_file "$D/big.bin" "$D/big.obj"
etag=$(s3_curl -I "$OSTOR_URL/$B/big.bin" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: *//p')
expect_match "ETag of the 25 MiB file (multipart)" '^"[0-9a-f]{32}-[0-9]+"$' "$etag"

step "ls -l"
ls -la "$M" >&2
expect_eq "ls" "$(printf 'big.bin\nhello.txt\nsmall.bin')" "$(ls "$M")"
expect_eq "size of big.bin" 26214400 "$(stat -c %s "$M/big.bin")"

step "mkdir, a file inside, mv (rename) into it"
mkdir "$M/dir"
[ -d "$M/dir" ] || fail "mkdir"
cp "$D/small.bin" "$M/dir/inside.bin"
mv "$M/small.bin" "$M/dir/renamed.bin"
mv "$M/big.bin" "$M/big-renamed.bin"
sync
[ ! -e "$M/small.bin" ] || fail "mv left the source behind"
expect_eq "the old key after mv" 404 "$(object_status small.bin)"
expect_eq "the old key of the big file after mv" 404 "$(object_status big.bin)"
same_file "$D/small.bin" "$M/dir/renamed.bin"
same_file "$D/big.bin" "$M/big-renamed.bin"
fetch dir/renamed.bin "$D/renamed.obj"
same_file "$D/small.bin" "$D/renamed.obj"
fetch big-renamed.bin "$D/big-renamed.obj"
same_file "$D/big.bin" "$D/big-renamed.obj"
expect_eq "ls dir" "$(printf 'inside.bin\nrenamed.bin')" "$(ls "$M/dir")"

step "chmod (copy onto itself with REPLACE)"
chmod 640 "$M/hello.txt"
expect_eq "mode of hello.txt" 640 "$(stat -c %a "$M/hello.txt")"
hdrs=$(s3_curl -I "$OSTOR_URL/$B/hello.txt" | tr -d '\r')
log "$hdrs"
mode=$(sed -n 's/^[Xx]-[Aa]mz-[Mm]eta-[Mm]ode: *//p' <<<"$hdrs")
expect_eq "x-amz-meta-mode after chmod 640" $((8#100640)) "$mode"
expect_eq "hello.txt after chmod" "hello s3fs" "$(cat "$M/hello.txt")"

step "append, truncate, overwrite"
printf 'more\n' >>"$M/hello.txt"
expect_eq "after append" "$(printf 'hello s3fs\nmore')" "$(cat "$M/hello.txt")"
truncate -s 5 "$M/dir/inside.bin"
expect_eq "size after truncate" 5 "$(stat -c %s "$M/dir/inside.bin")"
head -c 5 "$D/small.bin" >"$D/inside.exp"
same_file "$D/inside.exp" "$M/dir/inside.bin"
printf 'rewritten\n' >"$M/dir/renamed.bin"
sync

step "unmount, mount again: everything read from the gateway"
unmount_s3fs
mount_s3fs
expect_eq "ls after remount" "$(printf 'big-renamed.bin\ndir\nhello.txt')" "$(ls "$M")"
same_file "$D/big.bin" "$M/big-renamed.bin"
same_file "$D/inside.exp" "$M/dir/inside.bin"
expect_eq "renamed.bin after remount" rewritten "$(cat "$M/dir/renamed.bin")"
expect_eq "hello.txt after remount" "$(printf 'hello s3fs\nmore')" "$(cat "$M/hello.txt")"
expect_eq "mode of hello.txt after remount" 640 "$(stat -c %a "$M/hello.txt")"

step "rm, rmdir"
expect_fail "rmdir of a non-empty directory" rmdir "$M/dir"
rm "$M/dir/inside.bin" "$M/dir/renamed.bin"
rmdir "$M/dir"
rm "$M/big-renamed.bin" "$M/hello.txt"
sync
expect_eq "ls after rm" "" "$(ls -A "$M")"
expect_eq "the object after rm" 404 "$(object_status hello.txt)"
unmount_s3fs

code=$(s3_curl -o "$WORK/list.xml" -w '%{http_code}' "$OSTOR_URL/$B?list-type=2")
expect_eq "list the bucket" 200 "$code"
grep -q '<KeyCount>0</KeyCount>' "$WORK/list.xml" || fail "objects left in the bucket: $(cat "$WORK/list.xml")"
code=$(s3_curl -o "$WORK/rb.out" -w '%{http_code}' -X DELETE "$OSTOR_URL/$B")
expect_eq "delete the bucket" 204 "$code"
