#!/usr/bin/env bash
# The engine's figures next to the disk's own, measured in one run on one
# directory, with their ratios:
#   16-writer 4 KiB PUT ops/s / disk 4 KiB write+fdatasync pairs per second
#                               (measured before and after the engine; the
#                               ratio is against the higher of the two)
#   64 MiB PUT MiB/s          / disk sequential write MiB/s
#   64 MiB GET MiB/s          / disk sequential read MiB/s
#   1 GiB PUT MiB/s           / one core's MD5 MiB/s (openssl speed, 1 MiB
#                               blocks): MD5 cannot be split, so it bounds a
#                               large PUT; also against the disk's write
#
#   bench/run_engine_bench.sh [BUILD_DIR]        (default: build)
#
# Environment: OSTOR_BENCH_DIR (default: a new directory under /var/tmp, on the
# real disk), OSTOR_BENCH_MIN_TIME (seconds per engine benchmark, default 3),
# OSTOR_BENCH_SEQ_MIB (size of the disk's sequential runs, default 1024).
# When fio is installed its 4 KiB write+fdatasync rate is printed too.
set -euo pipefail
cd "$(dirname "$0")/.."
build="$(realpath "${1:-build}")"
for exe in bench/engine_put_bench bench/disk_reference; do
  [[ -x "$build/$exe" ]] || { echo "$build/$exe is missing: build with -Dbench=true first" >&2; exit 1; }
done
if [[ -n "${OSTOR_BENCH_DIR:-}" ]]; then
  dir="$OSTOR_BENCH_DIR/run-$$"
  mkdir -p "$dir"
else
  dir="$(mktemp -d /var/tmp/ostor-bench-XXXXXX)"
fi
trap 'rm -rf "$dir"' EXIT

echo "== disk reference ($dir)"
"$build/bench/disk_reference" "$dir" "${OSTOR_BENCH_SEQ_MIB:-1024}" | tee "$dir/disk.txt"
fio_iops=""
if command -v fio >/dev/null; then
  fio_iops="$(fio --name=fsync-pairs --directory="$dir" --rw=write --bs=4k --size=256m --ioengine=psync \
      --fdatasync=1 --time_based --runtime=3 --output-format=json 2>/dev/null |
    python3 -c 'import json,sys; print(round(json.load(sys.stdin)["jobs"][0]["write"]["iops"]))' || true)"
  rm -f "$dir"/fsync-pairs.*
  [[ -n "$fio_iops" ]] && echo "fio fsync-pairs $fio_iops ops/s"
fi

echo "== engine"
OSTOR_BENCH_DIR="$dir" "$build/bench/engine_put_bench" --benchmark_out="$dir/engine.json" \
  --benchmark_out_format=json

echo "== disk reference again (fsync-pairs only)"
"$build/bench/disk_reference" "$dir" 0 | tee "$dir/disk-after.txt"

echo "== one core's MD5 (openssl speed -evp md5 -bytes 1048576 -seconds 3)"
md5_kb="$(openssl speed -evp md5 -bytes 1048576 -seconds 3 2>/dev/null | awk '$1 == "md5" { sub(/k$/, "", $2); print $2 }')"
echo "md5 ${md5_kb:-?} kB/s"

echo "== side by side"
python3 - "$dir/disk.txt" "$dir/engine.json" "$fio_iops" "$dir/disk-after.txt" "${md5_kb:-}" <<'PY'
import json, math, sys
def figures(path):
    return {l.split()[0]: float(l.split()[1]) for l in open(path) if l.strip()}
disk = figures(sys.argv[1])
runs = json.load(open(sys.argv[2]))["benchmarks"]
fio = float(sys.argv[3]) if sys.argv[3] else None
pairs_before, pairs_after = disk.get("fsync-pairs", math.nan), figures(sys.argv[4]).get("fsync-pairs", math.nan)
disk["fsync-pairs"] = max(pairs_before, pairs_after)

def figure(name, field, threads=None):
    for b in runs:
        parts = b["name"].split("/")
        if parts[0] == name and (threads is None or f"threads:{threads}" in parts):
            return b[field]
    return math.nan

def ratio(a, b):
    return a / b if b else math.nan

p1 = figure("DurablePut4KiB", "items_per_second", 1)
p16 = figure("DurablePut4KiB", "items_per_second", 16)
put = figure("Put64MiB", "bytes_per_second") / 2**20
get = figure("Get64MiB", "bytes_per_second") / 2**20
put_1g = figure("Put1GiB", "bytes_per_second") / 2**20
put_1g_new = figure("Put1GiBNewKeys", "bytes_per_second") / 2**20
md5 = float(sys.argv[5]) * 1000 / 2**20 if sys.argv[5] else math.nan
fp, sw, sr = disk.get("fsync-pairs", math.nan), disk.get("seq-write", math.nan), disk.get("seq-read", math.nan)
rows = [
    ("durable 4 KiB PUT, 1 writer", p1, "ops/s", "disk 4 KiB write+fdatasync", fp, "ops/s"),
    ("durable 4 KiB PUT, 16 writers", p16, "ops/s", "disk 4 KiB write+fdatasync", fp, "ops/s"),
    ("64 MiB PUT (1 MiB writes)", put, "MiB/s", "disk sequential write", sw, "MiB/s"),
    ("64 MiB GET (page cache dropped)", get, "MiB/s", "disk sequential read", sr, "MiB/s"),
    ("1 GiB PUT (overwriting)", put_1g, "MiB/s", "one core's MD5", md5, "MiB/s"),
    ("1 GiB PUT (new keys)", put_1g_new, "MiB/s", "one core's MD5", md5, "MiB/s"),
    ("1 GiB PUT (new keys)", put_1g_new, "MiB/s", "disk sequential write", sw, "MiB/s"),
]
print(f"{'engine':34} {'value':>10}        {'disk':28} {'value':>10}        ratio")
for name, v, unit, dname, dv, dunit in rows:
    print(f"{name:34} {v:10.0f} {unit:6} {dname:28} {dv:10.0f} {dunit:6} {ratio(v, dv):5.2f}x")
print(f"(disk 4 KiB write+fdatasync: {pairs_before:.0f} ops/s before the engine, {pairs_after:.0f} after; "
      "the ratios use the higher)")
if fio:
    print(f"(fio 4 KiB write+fdatasync: {fio:.0f} ops/s; 16-writer PUT / fio = {ratio(p16, fio):.2f}x)")
PY
