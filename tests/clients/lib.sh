# shellcheck shell=bash
# Shared helpers of the `clients` test suite; source it from a bash test.
#
#   . "$(dirname "$0")/lib.sh"
#   need aws                   # a missing client FAILS the test (exit 1) with a clear message
#   gateway_start              # fresh temp volume + ephemeral loopback port
#   ...                        # OSTOR_URL, OSTOR_HOST, OSTOR_PORT, OSTOR_KEY, OSTOR_SECRET, WORK
#   (the EXIT trap stops the gateway with SIGTERM, checks it exited 0 with no
#    sanitizer report, and removes the temp dir)
#
# Environment: OSTOR_GATEWAY (the ostor-gateway binary; default: build/ of the
# checkout), OSTOR_KEEP_TMP=1 keeps the temp dir, OSTOR_CLIENT_DEBUG=1 makes
# the tests pass their client's debug flag where they have one.
#
# Backends: by default the gateway's volume is $WORK/data. With
# OSTOR_TEST_BACKEND=rados and OSTOR_TEST_VOLUME (exported by
# tests/rados/run_with_cluster.sh) it is a fresh namespace of the test
# cluster's pools, with --state-dir $WORK/state; the EXIT trap removes the
# namespace's objects (the test OSD keeps them in memory).
#
# Test scripts set `set -Eeuo pipefail` through this file: any failing command
# fails the test, and the ERR trap names the line and the command.

set -Eeuo pipefail

CLIENTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$CLIENTS_DIR/../.." && pwd)
TEST_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
OSTOR_GATEWAY=${OSTOR_GATEWAY:-$REPO/build/gateway-lite/ostor-gateway}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ostor-$TEST_NAME.XXXXXX")
GW_PID=
# Run by the EXIT trap before the gateway stops (e.g. unmount s3fs); tests
# append commands with `on_exit CMD...`.
_ON_EXIT=()

log() { printf '[%s] %s\n' "$TEST_NAME" "$*" >&2; }
step() { printf '\n[%s] === %s\n' "$TEST_NAME" "$*" >&2; }
fail() { printf '[%s] FAIL: %s\n' "$TEST_NAME" "$*" >&2; exit 1; }
skip() { printf '[%s] SKIP: %s\n' "$TEST_NAME" "$*" >&2; exit 77; }
on_exit() { _ON_EXIT+=("$(printf '%q ' "$@")"); }

# Reported once, by the main shell (not again by each $(...) it fails in),
# with the chain of function calls that led to it. A test running parts of
# itself in background subshells sets LIB_ERR_SUBSHELL=$BASH_SUBSHELL in each:
# the subshell then reports its own failures.
_lib_err() {
    local st=$1 line=$2 cmd=$3 where i
    [ "$BASH_SUBSHELL" = "${LIB_ERR_SUBSHELL:-0}" ] || return 0
    where="line $line"
    for ((i = 1; i < ${#FUNCNAME[@]} - 1; i++)); do
        where+=" in ${FUNCNAME[i]}() called from line ${BASH_LINENO[i]}"
    done
    printf '[%s] FAIL: %s: command failed (status %s): %s\n' "$TEST_NAME" "$where" "$st" "$cmd" >&2
}
trap '_lib_err $? $LINENO "$BASH_COMMAND"' ERR

# need PROG [HINT]: the client must be installed; a missing one is a failure, not a skip.
need() {
    command -v "$1" >/dev/null 2>&1 ||
        fail "'$1' is not installed (${2:-run tests/clients/install.sh}); the clients suite needs every client"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# same_file EXPECTED ACTUAL: byte-for-byte equal (compared by SHA-256).
same_file() {
    [ -f "$2" ] || fail "$2 does not exist (expected a copy of $1)"
    local a b
    a=$(sha "$1"); b=$(sha "$2")
    [ "$a" = "$b" ] || fail "$2 differs from $1: sha256 $b, expected $a (sizes $(stat -c %s "$2") vs $(stat -c %s "$1"))"
    log "ok: $2 == $1 ($(stat -c %s "$1") bytes, sha256 ${a:0:16}...)"
}

# same_tree A B: the same relative file names with the same contents.
same_tree() {
    local la lb
    la=$(cd "$1" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs -r -d '\n' sha256sum)
    lb=$(cd "$2" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs -r -d '\n' sha256sum)
    if [ "$la" != "$lb" ]; then
        diff <(echo "$la") <(echo "$lb") >&2 || true
        fail "tree $2 differs from $1"
    fi
    log "ok: tree $2 == $1 ($(echo "$la" | wc -l) files)"
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
    [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
    log "ok: $1 = '$3'"
}

# expect_match WHAT REGEX TEXT
expect_match() {
    [[ $3 =~ $2 ]] || fail "$1: '$3' does not match /$2/"
    log "ok: $1 matches /$2/"
}

# expect_fail DESCRIPTION CMD...: the command must exit non-zero.
expect_fail() {
    local what=$1; shift
    if "$@" >"$WORK/expect_fail.out" 2>&1; then
        cat "$WORK/expect_fail.out" >&2
        fail "$what: '$*' succeeded, expected it to fail"
    fi
    log "ok: $what (failed as expected)"
}

# make_file PATH SIZE: random content; SIZE as for head -c (e.g. 40M).
make_file() {
    mkdir -p "$(dirname "$1")"
    head -c "$2" /dev/urandom >"$1"
}

# make_tree DIR: a small directory tree with nested dirs, an empty file,
# spaces and non-ASCII in names.
make_tree() {
    mkdir -p "$1/a/b/c" "$1/d" "$1/with space"
    printf 'hello, world\n' >"$1/hello.txt"
    : >"$1/empty"
    make_file "$1/a/one.bin" 1000
    make_file "$1/a/b/two.bin" 70000
    make_file "$1/a/b/c/three.bin" 300000
    make_file "$1/d/four.bin" 1
    make_file "$1/with space/five six.bin" 4097
    make_file "$1/d/ünïcødé.txt" 123
    make_file "$1/d/plus+and=equals&amp.bin" 42
}

# s3_curl [CURL ARGS...] URL: curl signing with SigV4 as the gateway's system
# user (curl's own --aws-sigv4; UNSIGNED-PAYLOAD), independent of the client
# under test. Avoid valueless query parameters (curl 7.88 signs them wrongly).
s3_curl() {
    curl -sS --aws-sigv4 "aws:amz:us-east-1:s3" --user "$OSTOR_KEY:$OSTOR_SECRET" \
        -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

on_rados() { [ "${OSTOR_TEST_BACKEND:-}" = rados ]; }

# The volume's data arguments, set by gateway_start: $WORK/data, or on RADOS a
# namespace of its own (OSTOR_RADOS_NS) of the test cluster.
OSTOR_DATA_ARGS=()
OSTOR_RADOS_NS=
_volume_args() {
    if ! on_rados; then
        OSTOR_DATA_ARGS=(--data "$WORK/data")
        return
    fi
    [ -n "${OSTOR_TEST_VOLUME:-}" ] ||
        fail "OSTOR_TEST_BACKEND=rados needs OSTOR_TEST_VOLUME: run through tests/rados/run_with_cluster.sh"
    OSTOR_RADOS_NS=clients-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
    local sep='?'
    [[ $OSTOR_TEST_VOLUME == *\?* ]] && sep='&'
    OSTOR_DATA_ARGS=(--data "$OSTOR_TEST_VOLUME${sep}ns=$OSTOR_RADOS_NS" --state-dir "$WORK/state")
}

# Removes the objects of the gateway's RADOS namespace from the test
# cluster's three pools (the spec's PREFIX.meta, .index, .data).
_remove_rados_namespace() {
    [ -n "$OSTOR_RADOS_NS" ] || return 0
    local spec=${OSTOR_TEST_VOLUME#rados:} prefix params conf id keyring pool kv
    prefix=${spec%%\?*}
    params=${spec#*\?}
    local IFS='&'
    for kv in $params; do
        case $kv in
            conf=*) conf=${kv#conf=} ;;
            id=*) id=${kv#id=} ;;
            keyring=*) keyring=${kv#keyring=} ;;
        esac
    done
    unset IFS
    local rados_cmd=(rados -c "$conf" --id "$id" --keyring "$keyring" -N "$OSTOR_RADOS_NS")
    for pool in "$prefix.meta" "$prefix.index" "$prefix.data"; do
        "${rados_cmd[@]}" -p "$pool" ls | xargs -r -d '\n' "${rados_cmd[@]}" -p "$pool" rm ||
            log "could not remove the objects of namespace $OSTOR_RADOS_NS from $pool"
    done
}

# gateway_start [EXTRA ARGS...]: starts ostor-gateway on a fresh volume and 127.0.0.1:0.
gateway_start() {
    [ -x "$OSTOR_GATEWAY" ] || fail "gateway binary '$OSTOR_GATEWAY' not found (set OSTOR_GATEWAY)"
    _volume_args
    "$OSTOR_GATEWAY" "${OSTOR_DATA_ARGS[@]}" --listen 127.0.0.1:0 "$@" \
        >"$WORK/gateway.out" 2>"$WORK/gateway.err" &
    GW_PID=$!
    local i
    for ((i = 0; i < 300; i++)); do
        grep -q 'listening on http' "$WORK/gateway.out" 2>/dev/null && break
        kill -0 "$GW_PID" 2>/dev/null || {
            cat "$WORK/gateway.out" "$WORK/gateway.err" >&2
            GW_PID=
            fail "the gateway exited during start-up"
        }
        sleep 0.1
    done
    grep -q 'listening on http' "$WORK/gateway.out" || fail "the gateway did not say it was listening within 30 s"
    OSTOR_KEY=$(sed -n 's/^S3AccessKeyId: *//p' "$WORK/gateway.out")
    OSTOR_SECRET=$(sed -n 's/^S3SecretAccessKey: *//p' "$WORK/gateway.out")
    OSTOR_URL=$(sed -n 's/^ostor-gateway: listening on \(http:\/\/[^ ]*\).*/\1/p' "$WORK/gateway.out")
    OSTOR_URL=${OSTOR_URL%/}
    OSTOR_PORT=${OSTOR_URL##*:}
    OSTOR_HOST=127.0.0.1:$OSTOR_PORT
    [ -n "$OSTOR_KEY" ] && [ -n "$OSTOR_SECRET" ] || fail "no S3AccessKeyId/S3SecretAccessKey on the gateway's stdout"
    [[ $OSTOR_PORT =~ ^[0-9]+$ ]] || fail "cannot parse the port from: $(cat "$WORK/gateway.out")"
    export OSTOR_URL OSTOR_HOST OSTOR_PORT OSTOR_KEY OSTOR_SECRET
    log "gateway pid $GW_PID at $OSTOR_URL (${OSTOR_DATA_ARGS[*]})"
}

# gateway_stop: SIGTERM; the gateway must exit 0 and print no sanitizer report.
gateway_stop() {
    [ -n "$GW_PID" ] || return 0
    local pid=$GW_PID rc=0 i
    GW_PID=
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        log "FAIL: the gateway did not stop within 30 s of SIGTERM"
        return 1
    fi
    wait "$pid" || rc=$?
    if grep -qE 'Sanitizer|runtime error:' "$WORK/gateway.err"; then
        cat "$WORK/gateway.err" >&2
        log "FAIL: sanitizer report on the gateway's stderr"
        return 1
    fi
    if [ "$rc" != 0 ]; then
        log "FAIL: the gateway exited with status $rc after SIGTERM (expected 0)"
        return 1
    fi
    log "gateway stopped, exit status 0"
}

_lib_exit() {
    local rc=$?
    set +eE
    trap - ERR
    local c
    for c in "${_ON_EXIT[@]}"; do eval "$c" >&2 || true; done
    gateway_stop || { [ "$rc" = 0 ] && rc=1; }
    if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -s "$WORK/gateway.err" ]; then
        log "gateway stderr (last 40 lines):"
        tail -n 40 "$WORK/gateway.err" >&2
    fi
    if [ "${OSTOR_KEEP_TMP:-}" = 1 ]; then
        log "kept $WORK${OSTOR_RADOS_NS:+ and RADOS namespace $OSTOR_RADOS_NS}"
    else
        rm -rf --one-file-system "$WORK"
        _remove_rados_namespace
    fi
    case $rc in
        0) log "PASS" ;;
        77) ;;
        *) log "FAILED (status $rc)" ;;
    esac
    exit "$rc"
}
trap _lib_exit EXIT
# A test runner's timeout sends TERM: the EXIT trap then runs with a failing
# status (and at once, even while the script waits for a child).
trap 'exit 143' TERM
trap 'exit 130' INT
