#!/usr/bin/env bash
# Flattening benchmark: ImageFlattener (through bench/FlattenBench) against `umoci unpack` (as root and --rootless)
# and against plain `tar -xzf` of the same layers in order (which does not even apply whiteouts).
#
# The image: layer 1 is a Debian minbase-like root, layer 2 has whiteouts, an opaque directory, a hardlink, a
# symlink and a setuid file. Everything is written to tmpfs (/dev/shm), so the disk is out of the picture.
#
# Layer 1 source, in order of preference:
#  1. ROOTFS_DIR=/path/to/a/root (used as it is);
#  2. `debootstrap --variant=minbase bookworm` from MIRROR (default: the first URI of /etc/apt/sources.list.d/debian.sources
#     or /etc/apt/sources.list, else http://deb.debian.org/debian), needs root; built once into MINBASE_CACHE
#     (default /var/tmp/flatten-bench-minbase) and reused;
#  3. when no mirror is reachable: THIS HOST's installed files of the packages minbase installs (Priority required and
#     important plus apt and its libraries, from `dpkg -L`; about 7,400 entries, ~105 MB on Debian 12).
# As a container image's root (debuerreotype does the same) the .deb cache, apt lists and /dev nodes are left out:
# about 6,700 entries, ~115 MB.
# Targets (from issue 4): ours <= 0.35 x umoci unpack (root) and ours <= 1.0 x tar -xzf.
# Usage: bench/flatten.sh [RUNS]   (default 5; 0: only the tree comparison and the memory check). Needs root for `umoci unpack` without --rootless.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
runs=${1:-5}
for tool in umoci tar gzip sha256sum /usr/bin/time dotnet; do
  command -v "$tool" >/dev/null || { echo "flatten.sh: '$tool' is missing" >&2; exit 2; }
done

work=$(mktemp -d /dev/shm/flatten-bench.XXXXXX)
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
echo "== publish bench/FlattenBench (Release, ReadyToRun)"
dotnet publish bench/FlattenBench -c Release -nologo -clp:NoSummary -v quiet -o "$work/bin" >/dev/null
ours=("$work/bin/FlattenBench")

mkdir -p "$work/src" "$work/layout/blobs/sha256"

echo "== layer 1: minbase root"
minbase_cache=${MINBASE_CACHE:-/var/tmp/flatten-bench-minbase}
if [ -z "${ROOTFS_DIR:-}" ] && [ "$(id -u)" = 0 ] && command -v debootstrap >/dev/null; then
  if [ ! -e "$minbase_cache/.complete" ]; then
    mirror=${MIRROR:-$( { grep -h '^URIs:' /etc/apt/sources.list.d/debian.sources 2>/dev/null | awk '{ print $2 }';
                          grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{ print $2 }'; } | head -n1)}
    mirror=${mirror:-http://deb.debian.org/debian}
    echo "debootstrap --variant=minbase bookworm from $mirror (once, into $minbase_cache)"
    rm -rf "$minbase_cache"
    if debootstrap --variant=minbase bookworm "$minbase_cache" "$mirror" > "$work/debootstrap.log" 2>&1; then
      touch "$minbase_cache/.complete"
    else
      echo "debootstrap failed (no mirror reachable?): $(tail -n1 "$work/debootstrap.log"); using this host's files instead"
      rm -rf "$minbase_cache"
    fi
  fi
  [ -e "$minbase_cache/.complete" ] && ROOTFS_DIR=$minbase_cache
fi
if [ -n "${ROOTFS_DIR:-}" ]; then
  echo "layer 1 from $ROOTFS_DIR"
  tar --numeric-owner -C "$ROOTFS_DIR" --exclude=./.complete --exclude='./var/cache/apt/archives/*.deb' \
    --exclude='./var/lib/apt/lists/*' --exclude='./dev/*' -cf "$work/src/layer1.tar" .
else
  echo "layer 1 from this host's files of the minbase packages (no debootstrap root)"
  mapfile -t pkgs < <(dpkg-query -W -f='${Package} ${Priority} ${db:Status-Status}\n' |
    awk '($2 == "required" || $2 == "important") && $3 == "installed" { print $1 }')
  pkgs+=(apt libapt-pkg6.0 libstdc++6 gpgv debian-archive-keyring libgcc-s1 libsystemd0 libseccomp2 perl-base)
  for p in "${pkgs[@]}"; do dpkg -L "$p" 2>/dev/null || true; done | grep -v '^/\.$' | sort -u |
    while IFS= read -r f; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\n' "${f#/}"; fi; done > "$work/src/list.all"
  # Merged /usr: /bin, /sbin, /lib* are links to usr/...; keep the links, drop the duplicate names through them.
  merged=()
  for d in bin sbin lib lib32 lib64 libx32; do [ -L "/$d" ] && merged+=("$d"); done
  if [ "${#merged[@]}" -gt 0 ]; then
    pattern="^($(IFS='|'; echo "${merged[*]}"))(/|$)"
    { printf '%s\n' "${merged[@]}"; grep -Ev "$pattern" "$work/src/list.all"; } | sort -u > "$work/src/list"
  else
    cp "$work/src/list.all" "$work/src/list"
  fi
  tar --numeric-owner --no-recursion -C / -cf "$work/src/layer1.tar" -T "$work/src/list"
fi

echo "== layer 2: whiteouts, opaque dir, hardlink, symlink, setuid"
l2=$work/src/l2
mkdir -p "$l2/usr/share/doc" "$l2/usr/share/man" "$l2/usr/local/bin" "$l2/etc" "$l2/opt/app/bin"
: > "$l2/usr/share/doc/.wh.apt"                 # whiteout of a directory tree
: > "$l2/usr/share/doc/.wh.bash"
: > "$l2/etc/.wh.motd"                          # whiteout of a file
: > "$l2/usr/share/man/.wh..wh..opq"            # opaque: every lower man page goes
echo "new page" > "$l2/usr/share/man/README"
head -c 2000000 /dev/urandom > "$l2/opt/app/bin/app"
ln "$l2/opt/app/bin/app" "$l2/opt/app/bin/app-hardlink"
ln -s ../../opt/app/bin/app "$l2/usr/local/bin/app"
cp /bin/true "$l2/usr/local/bin/setuid-tool" && chmod 4755 "$l2/usr/local/bin/setuid-tool"
tar --numeric-owner -C "$l2" -cf "$work/src/layer2.tar" .

for n in 1 2; do gzip -6 -c "$work/src/layer$n.tar" > "$work/src/layer$n.tar.gz"; done

# The OCI layout umoci reads: the two gzip layers, a config with their DiffIDs, a manifest, an index tagged "bench".
blob() { # file -> prints sha256:<hex>, copies into the layout
  local hex; hex=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" "$work/layout/blobs/sha256/$hex"; echo "sha256:$hex"
}
size() { stat -c %s "$1"; }
d1=$(blob "$work/src/layer1.tar.gz"); d2=$(blob "$work/src/layer2.tar.gz")
diff1=sha256:$(sha256sum "$work/src/layer1.tar" | cut -d' ' -f1); diff2=sha256:$(sha256sum "$work/src/layer2.tar" | cut -d' ' -f1)
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/bin:/usr/bin:/bin"],"Cmd":["/bin/bash"]},"rootfs":{"type":"layers","diff_ids":["%s","%s"]}}' \
  "$diff1" "$diff2" > "$work/src/config.json"
dc=$(blob "$work/src/config.json")
gz='application/vnd.oci.image.layer.v1.tar+gzip'
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"%s","digest":"%s","size":%s},{"mediaType":"%s","digest":"%s","size":%s}]}' \
  "$dc" "$(size "$work/src/config.json")" "$gz" "$d1" "$(size "$work/src/layer1.tar.gz")" "$gz" "$d2" "$(size "$work/src/layer2.tar.gz")" > "$work/src/manifest.json"
dm=$(blob "$work/src/manifest.json")
printf '{"imageLayoutVersion":"1.0.0"}' > "$work/layout/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}' \
  "$dm" "$(size "$work/src/manifest.json")" > "$work/layout/index.json"

entries=$(tar -tf "$work/src/layer1.tar" | wc -l)
printf 'layer 1: %s entries, %s MB uncompressed, %s MB gzip; layer 2: %s MB gzip\n' "$entries" \
  "$(( $(size "$work/src/layer1.tar") / 1000000 ))" "$(( $(size "$work/src/layer1.tar.gz") / 1000000 ))" \
  "$(( $(size "$work/src/layer2.tar.gz") / 1000000 ))"

# One timed run: wall seconds, peak RSS (KiB) and CPU seconds (user + system, children included) of the command,
# from GNU time; the output tree is removed after. On a busy machine CPU seconds are the steadier comparison.
measure() { # name, command...
  local name=$1; shift
  local out="$work/out"
  rm -rf "$out"
  /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" >"$work/log" 2>&1 || { echo "$name failed:"; cat "$work/log"; exit 1; }
  read -r secs kib user sys < "$work/time"
  echo "$secs $kib $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >> "$work/results.$name"
  chmod -R u+rwx "$out" 2>/dev/null || true
  rm -rf "$out"
}
tar_both() { mkdir -p "$1" && tar -xzf "$work/src/layer1.tar.gz" -C "$1" && tar -xzf "$work/src/layer2.tar.gz" -C "$1"; }
export -f tar_both
export work

if [ "$runs" -gt 0 ]; then
  echo "== $runs runs each (after one warm-up of each), output on tmpfs"
  for name in ours umoci-root umoci-rootless tar; do : > "$work/results.$name"; done
  for round in $(seq 0 "$runs"); do
    for name in ours umoci-root umoci-rootless tar; do
      case $name in
        ours) measure ours "${ours[@]}" "$work/out" "$work/src/layer1.tar.gz" "$work/src/layer2.tar.gz" --config "$work/src/config.json" ;;
        umoci-root) measure umoci-root umoci unpack --image "$work/layout:bench" "$work/out" ;;
        umoci-rootless) measure umoci-rootless umoci unpack --rootless --image "$work/layout:bench" "$work/out" ;;
        tar) measure tar bash -c 'tar_both "$work/out"' ;;
      esac
      [ "$round" -eq 0 ] && : > "$work/results.$name"   # round 0 is the warm-up (page cache, JIT-free disk state)
    done
  done

  median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
  declare -A wall mem cpu
  for name in ours umoci-root umoci-rootless tar; do
    wall[$name]=$(cut -d' ' -f1 "$work/results.$name" | median)
    mem[$name]=$(cut -d' ' -f2 "$work/results.$name" | median)
    cpu[$name]=$(cut -d' ' -f3 "$work/results.$name" | median)
  done

  echo
  echo "load average before the summary: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
  printf '%-16s %12s %12s %14s\n' "tool" "median s" "median CPU s" "peak RSS MiB"
  for name in ours umoci-root umoci-rootless tar; do
    printf '%-16s %12s %12s %14s\n' "$name" "${wall[$name]}" "${cpu[$name]}" "$(( ${mem[$name]} / 1024 ))"
  done
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
  echo
  echo "                                 wall   CPU"
  echo "ours / umoci unpack (root):     $(ratio "${wall[ours]}" "${wall[umoci-root]}")  $(ratio "${cpu[ours]}" "${cpu[umoci-root]}")   (target <= 0.35)"
  echo "ours / umoci unpack --rootless: $(ratio "${wall[ours]}" "${wall[umoci-rootless]}")  $(ratio "${cpu[ours]}" "${cpu[umoci-rootless]}")"
  echo "ours / tar -xzf (both layers):  $(ratio "${wall[ours]}" "${wall[tar]}")  $(ratio "${cpu[ours]}" "${cpu[tar]}")   (target <= 1.00)"
  echo "(ours includes .NET start-up and JIT, the DiffID checks, and the Singularity metadata.)"
fi

# Not only fast: the same tree. Every entry's type, size, link count, content hash and link target against
# `umoci unpack`'s (modes differ by design; our generated Singularity metadata and mount points are left out).
echo
echo "== our tree against umoci unpack's (type, size, links, sha256, link target)"
describe() { # root -> one line per entry
  (cd "$1" && find . -mindepth 1 \( -type f -printf 'f %s %n %p\n' \) -o \( -type l -printf 'l %p -> %l\n' \) -o \( -type d -printf 'd %p\n' \) -o -printf '? %p\n' | sort
   find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}
"${ours[@]}" "$work/cmp-ours" "$work/src/layer1.tar.gz" "$work/src/layer2.tar.gz" --config "$work/src/config.json" >/dev/null
umoci unpack --image "$work/layout:bench" "$work/cmp-umoci" >/dev/null
# Ours minus what we generate and umoci does not have (the Singularity metadata, mount points the image lacks).
generated='^\./(\.singularity\.d|singularity|environment|\.exec|\.run|\.shell|\.test|cvmfs|srv|dev|proc|sys|tmp|var/tmp|home|etc/hosts|etc/resolv\.conf|etc/passwd|etc/group)(/|$)'
describe "$work/cmp-umoci/rootfs" > "$work/cmp-umoci.txt"
describe "$work/cmp-ours" | awk -v gen="$generated" '
  function path(l) {
    if (l ~ /^[0-9a-f]+  \.\//) { sub(/^[0-9a-f]+  /, "", l); return l }
    if (l ~ /^l /) { sub(/^l /, "", l); sub(/ -> .*$/, "", l); return l }
    if (l ~ /^f /) { sub(/^f [0-9]+ [0-9]+ /, "", l); return l }
    return substr(l, 3)
  }
  NR == FNR { seen[path($0)] = 1; next }
  { p = path($0) } !(p in seen) && p ~ gen { next } { print }' "$work/cmp-umoci.txt" - > "$work/cmp-ours.txt"
if diff -u "$work/cmp-umoci.txt" "$work/cmp-ours.txt" > "$work/cmp.diff"; then
  echo "identical: $(grep -c '^[dfl] ' "$work/cmp-ours.txt") entries"
else
  echo "DIFFERENT (first lines of the diff, umoci -, ours +):"; head -n 30 "$work/cmp.diff"
fi
chmod -R u+rwx "$work/cmp-ours" "$work/cmp-umoci"; rm -rf "$work/cmp-ours" "$work/cmp-umoci"

# Memory must not grow with layer size: peak RSS flattening the 2 MB layer 2 alone against a layer holding one
# 512 MiB file (the whole minbase image is in the table above).
echo
echo "== memory: layer 2 alone against a layer with one 512 MiB file"
mkdir -p "$work/src/big"
head -c $((512 * 1024 * 1024)) /dev/urandom > "$work/src/big/blob"
tar -C "$work/src/big" -cf - blob | gzip -1 > "$work/src/big.tar.gz"
rm -rf "$work/src/big"
: > "$work/results.small"; : > "$work/results.big"
measure small "${ours[@]}" "$work/out" "$work/src/layer2.tar.gz"
measure big "${ours[@]}" "$work/out" "$work/src/big.tar.gz"
small_kib=$(cut -d' ' -f2 "$work/results.small"); big_kib=$(cut -d' ' -f2 "$work/results.big")
echo "peak RSS: 2 MB layer $(( small_kib / 1024 )) MiB, 512 MiB layer $(( big_kib / 1024 )) MiB"
