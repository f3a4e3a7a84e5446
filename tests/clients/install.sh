#!/bin/bash
# Installs the real S3 clients that tests/clients/*.sh drive (Debian 12).
#   apt: awscli s3cmd rclone s3fs fuse3 curl restic (+ nodejs npm when node is missing)
#   npm: @aws-sdk/client-s3 and @aws-sdk/lib-storage from tests/clients/node/package-lock.json
# Must run as root (or with sudo available). Safe to run again.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

APT=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y)
if [ "$(id -u)" != 0 ]; then APT=(sudo "${APT[@]}"); fi

pkgs=(awscli s3cmd rclone s3fs fuse3 curl restic ca-certificates)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    pkgs+=(nodejs npm)
fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    "${APT[@]}" update
    "${APT[@]}" install --no-install-recommends "${missing[@]}"
fi

# The JavaScript SDK: exact versions pinned by package-lock.json; skipped when
# node_modules already matches it.
cd "$here/node"
if ! cmp -s package-lock.json node_modules/.installed-package-lock.json 2>/dev/null; then
    # a retry: the registry sometimes answers with a stale package document
    npm ci --no-audit --no-fund || { sleep 10; npm ci --no-audit --no-fund; }
    cp package-lock.json node_modules/.installed-package-lock.json
fi
echo "tests/clients: clients installed"
