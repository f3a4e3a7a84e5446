#!/usr/bin/env bash
# Installs what building and testing ostor needs on Debian 12 (run as root,
# or with sudo available).
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config
  liblmdb-dev lmdb-utils liburing-dev libisal-dev libssl-dev
  libboost1.81-dev libboost-system1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-filesystem1.81-dev
  libpugixml-dev libfuse3-dev fuse3
  libgtest-dev libgmock-dev libbenchmark-dev
  # The fuzz targets (scripts/fuzz.sh): clang with libFuzzer's runtime.
  clang libclang-rt-14-dev
  # scripts/check-format.sh: the C++ files are formatted with .clang-format.
  clang-format
  python3 python3-boto3 curl openssl php-cli php-curl
  # The console suite (tests/console): a headless browser driven by Selenium,
  # and node for the console's signing code.
  chromium chromium-driver python3-selenium nodejs
  # The RADOS backend's client library, and the daemons of the rados suite's
  # throwaway cluster (tests/rados/ceph_cluster.sh, docs/rados.md).
  librados-dev libradospp-dev ceph-mon ceph-osd ceph-common python3-rados
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
