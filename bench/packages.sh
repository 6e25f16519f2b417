#!/usr/bin/env bash
# The packages the design named, measured against what the code uses (the verdicts are in the top-level README):
#   tar:     System.Formats.Tar vs SharpCompress 0.50.9 reading a real layer (every entry to its end), uncompressed and
#            from gzip, and what each exposes of a PAX tar with a GNU sparse file (PAX 1.0), xattrs, a hardlink, a symlink
#   zstd:    CvmfsPublisher's libzstd P/Invoke vs ZstdSharp.Port 0.8.8 vs ZstdNet 1.5.7 decoding the same layer
#   octokit: Octokit 14.0.0 against tests/TestSupport's GitHub fake: conditional reads, bounds, rate-limit waits, clock
# The layer: a `debootstrap --variant=minbase bookworm` root (bench/flatten.sh's cache /var/tmp/flatten-bench-minbase,
# or ROOTFS_DIR=), as a PAX tar like bench/flatten.sh's layer 1. Tmds.LibC is checked by hand (see bench/README.md).
# Usage: bench/packages.sh [RUNS] (default 5). Needs dotnet, GNU tar, gzip, zstd, setfattr (attr).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
runs=${1:-5}
root=${ROOTFS_DIR:-/var/tmp/flatten-bench-minbase}
[ -d "$root/usr" ] || { echo "packages.sh: no root at $root: run bench/flatten.sh once as root (it debootstraps), or set ROOTFS_DIR" >&2; exit 2; }
work=$(mktemp -d /tmp/packages-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

tar --numeric-owner -C "$root" --exclude=./.complete --exclude='./var/cache/apt/archives/*.deb' \
  --exclude='./var/lib/apt/lists/*' --exclude='./dev/*' --format=pax -cf "$work/layer.tar" .
gzip -6 -c "$work/layer.tar" > "$work/layer.tar.gz"
zstd -q -3 "$work/layer.tar" -o "$work/layer.tar.zst"

mkdir "$work/pax"
truncate -s 64M "$work/pax/sparse.bin"
printf head | dd of="$work/pax/sparse.bin" conv=notrunc status=none
printf tail | dd of="$work/pax/sparse.bin" bs=1 seek=$((64 * 1024 * 1024 - 4)) conv=notrunc status=none
echo hi > "$work/pax/attrs.txt"
setfattr -n user.comment -v "hello xattr" "$work/pax/attrs.txt"
ln "$work/pax/attrs.txt" "$work/pax/hard.txt"
ln -s attrs.txt "$work/pax/sym.txt"
tar --format=pax --sparse --sparse-version=1.0 --xattrs --xattrs-include='*' -C "$work/pax" -cf "$work/pax.tar" .

dotnet build bench/PackageBench -c Release -nologo -clp:NoSummary -v:q >/dev/null
bench=bench/PackageBench/bin/Release/net10.0/PackageBench
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bench" tar "$work/layer.tar" "$work/layer.tar.gz" "$runs"
"$bench" pax "$work/pax.tar"
"$bench" zstd "$work/layer.tar.zst" "$runs"
"$bench" octokit
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
