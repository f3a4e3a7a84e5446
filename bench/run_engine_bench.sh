#!/usr/bin/env bash
# Engine figures next to the disk's own, measured in one run on one directory.
#   bench/run_engine_bench.sh [BUILD_DIR]   (default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
dir="$(mktemp -d /var/tmp/ostor-bench-XXXXXX)"
trap 'rm -rf "$dir"' EXIT

echo "== disk reference ($dir)"
"$build/bench/disk_reference" "$dir" | tee "$dir/disk.txt"
echo "== engine"
OSTOR_BENCH_DIR="$dir" "$build/bench/engine_bench" --benchmark_format=json --benchmark_out="$dir/engine.json" \
  --benchmark_out_format=json >/dev/null
python3 - "$dir/disk.txt" "$dir/engine.json" <<'PY'
import json, sys
disk = {l.split()[0]: float(l.split()[1]) for l in open(sys.argv[1])}
runs = {b["name"]: b for b in json.load(open(sys.argv[2]))["benchmarks"]}
def get(prefix, field):
    for name, b in runs.items():
        if name.startswith(prefix):
            return b[field]
    return float("nan")
p1 = get("BM_DurablePut4KiB/min_time:3.000/real_time/threads:1", "items_per_second")
p16 = get("BM_DurablePut4KiB/min_time:3.000/real_time/threads:16", "items_per_second")
put = get("BM_Put64MiB", "bytes_per_second") / 2**20
get_ = get("BM_Get64MiB", "bytes_per_second") / 2**20
print(f"durable 4 KiB PUT, 1 writer   {p1:9.0f} ops/s  = {p1 / disk['fsync-pairs']:.2f} x disk 4 KiB write+fdatasync ({disk['fsync-pairs']:.0f}/s)")
print(f"durable 4 KiB PUT, 16 writers {p16:9.0f} ops/s  = {p16 / disk['fsync-pairs']:.2f} x disk 4 KiB write+fdatasync")
print(f"64 MiB PUT                    {put:9.0f} MiB/s = {put / disk['seq-write']:.2f} x disk sequential write ({disk['seq-write']:.0f} MiB/s)")
print(f"64 MiB GET (cold cache)       {get_:9.0f} MiB/s = {get_ / disk['seq-read']:.2f} x disk sequential read ({disk['seq-read']:.0f} MiB/s)")
PY
