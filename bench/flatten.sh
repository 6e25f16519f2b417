#!/usr/bin/env bash
# Unpack benchmark, on the whole command a user types: `cvmfs-image-sync unpack` of a two-layer gzip image from a
# loopback Distribution registry (layers already in the blob cache, as on a publisher that saw them before), against
# `umoci unpack` (as root) of the same blobs from an OCI layout, and against plain `tar -xzf` of both layers in order
# (which applies no whiteouts and checks no digest). Process start, .NET start-up and JIT are included.
#
# The image: layer 1 is a Debian minbase root, layer 2 has whiteouts, an opaque directory, a hardlink, a symlink and
# a setuid file. Everything is written to tmpfs (/dev/shm), so the disk is out of the picture.
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
# Targets (issue 21): unpack <= 0.25 x umoci unpack (root), unpack <= 0.8 x tar -xzf; printed as medians of RUNS
# interleaved rounds (wall and CPU = user + sys), with the load average.
# Usage: bench/flatten.sh [RUNS]   (default 7; 0: only the tree comparison and the memory check). Needs root (umoci
# unpack without --rootless). R2R=1 adds a row for the same CLI published ReadyToRun (a measurement only: the
# deployed build is what `dotnet publish SyncService -c Release -r linux-x64 --self-contained` makes);
# OTHER_CLI=DIR adds a row for another published CLI (say, an earlier commit's `dotnet publish` output), in the same
# rounds; LIBRARY=1 adds bench/FlattenBench (the flattener in a bare process, without the CLI) and umoci --rootless.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
runs=${1:-7}
for tool in umoci tar gzip sha256sum curl python3 /usr/bin/time dotnet docker-registry; do
  command -v "$tool" >/dev/null || { echo "flatten.sh: '$tool' is missing" >&2; exit 2; }
done

work=$(mktemp -d /dev/shm/flatten-bench.XXXXXX)
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  chmod -R u+rwx "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The CLI as it is deployed (README: `dotnet publish SyncService -c Release -r linux-x64 --self-contained`).
echo "== publish cvmfs-image-sync (Release, self-contained, as deployed)"
rid=$(dotnet --info | awk '/^ *RID:/ { print $2; exit }')
dotnet publish SyncService -c Release -r "$rid" --self-contained -nologo -clp:NoSummary -v quiet -o "$work/cli" >/dev/null
tools=(ours umoci-root tar fixed)
if [ "${R2R:-0}" = 1 ]; then
  echo "== publish cvmfs-image-sync ReadyToRun too (R2R=1; a measurement only)"
  dotnet publish SyncService -c Release -r "$rid" --self-contained -p:PublishReadyToRun=true -nologo -clp:NoSummary -v quiet -o "$work/cli-r2r" >/dev/null
  tools+=(ours-r2r fixed-r2r)
fi
if [ -n "${OTHER_CLI:-}" ]; then
  [ -x "$OTHER_CLI/cvmfs-image-sync" ] || { echo "flatten.sh: OTHER_CLI=$OTHER_CLI has no cvmfs-image-sync" >&2; exit 2; }
  tools+=(other)
fi
if [ "${LIBRARY:-0}" = 1 ]; then
  echo "== publish bench/FlattenBench (LIBRARY=1: the flattener alone in a process)"
  dotnet publish bench/FlattenBench -c Release -nologo -clp:NoSummary -v quiet -o "$work/lib" >/dev/null
  tools+=(library umoci-rootless)
fi

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

blob() { # file -> prints sha256:<hex>, copies into the OCI layout
  local hex; hex=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" "$work/layout/blobs/sha256/$hex"; echo "sha256:$hex"
}
size() { stat -c %s "$1"; }
gz='application/vnd.oci.image.layer.v1.tar+gzip'
image() { # name layer.tar... -> writes $work/src/NAME.{config,manifest}.json from the layers' .tar and .tar.gz
  local name=$1; shift
  local diffs=() descs=() l
  for l in "$@"; do
    diffs+=("\"sha256:$(sha256sum "$l" | cut -d' ' -f1)\"")
    descs+=("{\"mediaType\":\"$gz\",\"digest\":\"$(blob "$l.gz")\",\"size\":$(size "$l.gz")}")
  done
  printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/bin:/usr/bin:/bin"],"Cmd":["/bin/bash"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
    "$(IFS=,; echo "${diffs[*]}")" > "$work/src/$name.config.json"
  local dc; dc=$(blob "$work/src/$name.config.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[%s]}' \
    "$dc" "$(size "$work/src/$name.config.json")" "$(IFS=,; echo "${descs[*]}")" > "$work/src/$name.manifest.json"
}
# The OCI layout umoci reads: the two gzip layers, a config with their DiffIDs, a manifest, an index tagged "bench".
mkdir -p "$work/layout/blobs/sha256"
image bench "$work/src/layer1.tar" "$work/src/layer2.tar"
dm=$(blob "$work/src/bench.manifest.json")
printf '{"imageLayoutVersion":"1.0.0"}' > "$work/layout/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}' \
  "$dm" "$(size "$work/src/bench.manifest.json")" > "$work/layout/index.json"

entries=$(tar -tf "$work/src/layer1.tar" | wc -l)
printf 'layer 1: %s entries, %s MB uncompressed, %s MB gzip; layer 2: %s MB gzip\n' "$entries" \
  "$(( $(size "$work/src/layer1.tar") / 1000000 ))" "$(( $(size "$work/src/layer1.tar.gz") / 1000000 ))" \
  "$(( $(size "$work/src/layer2.tar.gz") / 1000000 ))"

# The memory check's images: layer 2 alone, and one layer holding a single 512 MiB file.
mkdir -p "$work/src/big"
head -c $((512 * 1024 * 1024)) /dev/urandom > "$work/src/big/blob"
tar -C "$work/src/big" -cf "$work/src/big.tar" blob
rm -rf "$work/src/big"
gzip -1 -c "$work/src/big.tar" > "$work/src/big.tar.gz"
image small "$work/src/layer2.tar"
image big "$work/src/big.tar"
# The command's fixed cost: an image of one small file (start-up, registry, metadata; next to no layer work).
mkdir -p "$work/src/tiny/etc" && echo tiny > "$work/src/tiny/etc/tiny"
tar --numeric-owner -C "$work/src/tiny" -cf "$work/src/tiny.tar" etc && gzip -c "$work/src/tiny.tar" > "$work/src/tiny.tar.gz"
image tiny "$work/src/tiny.tar"
rm -f "$work/src/big.tar" "$work/layout/blobs/sha256/$(sha256sum "$work/src/big.tar.gz" | cut -d' ' -f1)"

echo "== loopback registry (docker-registry), push bench/minbase, bench/small, bench/big"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
  secret: bench-only
YAML
env -u REGISTRY_HTTP_ADDR docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
registry_pid=$!
base=http://127.0.0.1:$port
for _ in $(seq 100); do curl -fs "$base/v2/" >/dev/null && break; sleep 0.1; done
push() { # repository name -> pushes the image NAME's blobs and manifest as REPOSITORY:latest
  local repo=$1 name=$2 digest location file
  for digest in $(grep -o 'sha256:[0-9a-f]*' "$work/src/$name.manifest.json"); do
    file=$work/layout/blobs/sha256/${digest#sha256:}
    [ -f "$file" ] || file=$work/src/big.tar.gz   # the big layer is kept out of the layout
    location=$(curl -fsi -X POST "$base/v2/$repo/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
    case $location in http*) ;; *) location=$base$location ;; esac
    curl -fs -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$file" "$location&digest=$digest" >/dev/null
  done
  curl -fs -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$work/src/$name.manifest.json" \
    "$base/v2/$repo/manifests/latest" >/dev/null
}
push bench/minbase bench; push bench/small small; push bench/big big; push bench/tiny tiny
rm -f "$work/src/big.tar.gz"
cli_args=(--set "Registry:BlobCacheDirectory=$work/cache" --set "Sync:StateDirectory=$work/state")
unpack() { "$1/cvmfs-image-sync" unpack "127.0.0.1:$port/bench/$2:latest" "$3" "${cli_args[@]}"; }
unpack_cmd() { # cli image target -> the command line, for measure
  cmd=("$1/cvmfs-image-sync" unpack "127.0.0.1:$port/bench/$2:latest" "$3" "${cli_args[@]}")
}
# Fill the blob cache ("layers cached"); the timed runs then read the manifest from the registry and the blobs from the cache.
for name in minbase small big tiny; do unpack "$work/cli" "$name" "$work/warm" >/dev/null; rm -rf "$work/warm"; done

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
run() { # name -> one timed run of that tool
  case $1 in
    ours) unpack_cmd "$work/cli" minbase "$work/out"; measure ours "${cmd[@]}" ;;
    ours-r2r) unpack_cmd "$work/cli-r2r" minbase "$work/out"; measure ours-r2r "${cmd[@]}" ;;
    other) unpack_cmd "$OTHER_CLI" minbase "$work/out"; measure other "${cmd[@]}" ;;
    fixed) unpack_cmd "$work/cli" tiny "$work/out"; measure fixed "${cmd[@]}" ;;
    fixed-r2r) unpack_cmd "$work/cli-r2r" tiny "$work/out"; measure fixed-r2r "${cmd[@]}" ;;
    umoci-root) measure umoci-root umoci unpack --image "$work/layout:bench" "$work/out" ;;
    umoci-rootless) measure umoci-rootless umoci unpack --rootless --image "$work/layout:bench" "$work/out" ;;
    tar) measure tar bash -c 'tar_both "$work/out"' ;;
    library) measure library "$work/lib/FlattenBench" "$work/out" "$work/src/layer1.tar.gz" "$work/src/layer2.tar.gz" --config "$work/src/bench.config.json" ;;
  esac
}

if [ "$runs" -gt 0 ]; then
  echo "== $runs interleaved rounds (after one warm-up round), output on tmpfs: ${tools[*]}"
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  for name in "${tools[@]}"; do : > "$work/results.$name"; done
  for round in $(seq 0 "$runs"); do
    # Each round starts with a different tool, so no tool always follows the same one.
    n=${#tools[@]}
    for i in $(seq 0 $((n - 1))); do
      name=${tools[$(( (i + round) % n ))]}
      run "$name"
      [ "$round" -eq 0 ] && : > "$work/results.$name"   # round 0 is the warm-up (page cache)
    done
  done
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)

  median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
  declare -A wall mem cpu
  for name in "${tools[@]}"; do
    wall[$name]=$(cut -d' ' -f1 "$work/results.$name" | median)
    mem[$name]=$(cut -d' ' -f2 "$work/results.$name" | median)
    cpu[$name]=$(cut -d' ' -f3 "$work/results.$name" | median)
  done

  echo
  echo "load average: $load_before before the rounds, $load_after after, on $(nproc) CPUs"
  printf '%-16s %12s %12s %14s\n' "tool" "median s" "median CPU s" "peak RSS MiB"
  for name in "${tools[@]}"; do
    printf '%-16s %12s %12s %14s\n' "$name" "${wall[$name]}" "${cpu[$name]}" "$(( ${mem[$name]} / 1024 ))"
  done
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
  echo
  echo "                                          wall   CPU"
  echo "unpack / umoci unpack (root):            $(ratio "${wall[ours]}" "${wall[umoci-root]}")  $(ratio "${cpu[ours]}" "${cpu[umoci-root]}")   (target <= 0.25)"
  echo "unpack / tar -xzf (both layers):         $(ratio "${wall[ours]}" "${wall[tar]}")  $(ratio "${cpu[ours]}" "${cpu[tar]}")   (target <= 0.80)"
  if [ -n "${wall[ours-r2r]:-}" ]; then
    echo "unpack ReadyToRun / umoci unpack (root): $(ratio "${wall[ours-r2r]}" "${wall[umoci-root]}")  $(ratio "${cpu[ours-r2r]}" "${cpu[umoci-root]}")"
    echo "unpack ReadyToRun / tar -xzf:            $(ratio "${wall[ours-r2r]}" "${wall[tar]}")  $(ratio "${cpu[ours-r2r]}" "${cpu[tar]}")"
  fi
  if [ -n "${wall[other]:-}" ]; then
    echo "OTHER_CLI unpack / umoci unpack (root):  $(ratio "${wall[other]}" "${wall[umoci-root]}")  $(ratio "${cpu[other]}" "${cpu[umoci-root]}")"
    echo "OTHER_CLI unpack / tar -xzf:             $(ratio "${wall[other]}" "${wall[tar]}")  $(ratio "${cpu[other]}" "${cpu[tar]}")"
  fi
  if [ -n "${wall[library]:-}" ]; then
    echo "FlattenBench / umoci unpack (root):      $(ratio "${wall[library]}" "${wall[umoci-root]}")  $(ratio "${cpu[library]}" "${cpu[umoci-root]}")"
    echo "unpack / umoci unpack --rootless:        $(ratio "${wall[ours]}" "${wall[umoci-rootless]}")  $(ratio "${cpu[ours]}" "${cpu[umoci-rootless]}")"
  fi
  echo "fixed cost of the command (unpack of a one-file image): ${wall[fixed]} s wall, ${cpu[fixed]} s CPU${wall[fixed-r2r]:+; ReadyToRun ${wall[fixed-r2r]} s wall, ${cpu[fixed-r2r]} s CPU}"
  echo "(unpack includes process and .NET start-up, JIT, reading the manifest from the registry, both digest checks"
  echo " of every layer (compressed and DiffID), and the Singularity metadata; tar checks no digest and applies no whiteout.)"
fi

# Not only fast: the same tree. Every entry's type, size, link count, content hash and link target against
# `umoci unpack`'s (modes differ by design; our generated Singularity metadata and mount points are left out).
echo
echo "== our tree against umoci unpack's (type, size, links, sha256, link target)"
describe() { # root -> one line per entry
  (cd "$1" && find . -mindepth 1 \( -type f -printf 'f %s %n %p\n' \) -o \( -type l -printf 'l %p -> %l\n' \) -o \( -type d -printf 'd %p\n' \) -o -printf '? %p\n' | sort
   find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}
unpack "$work/cli" minbase "$work/cmp-ours" >/dev/null
umoci unpack --image "$work/layout:bench" "$work/cmp-umoci" >/dev/null
# Ours minus what we generate and umoci does not have (the Singularity metadata, mount points the image lacks).
generated='^\./(\.singularity\.d|singularity|environment|\.exec|\.run|\.shell|\.test|cvmfs|srv|dev|proc|sys|tmp|var/tmp|home|etc/hosts|etc/resolv\.conf|etc/passwd|etc/group)(/|$)'
describe "$work/cmp-umoci/rootfs" > "$work/cmp-umoci.txt"
describe "$work/cmp-ours" | gen="$generated" awk '
  function path(l) {
    if (l ~ /^[0-9a-f]+  \.\//) { sub(/^[0-9a-f]+  /, "", l); return l }
    if (l ~ /^l /) { sub(/^l /, "", l); sub(/ -> .*$/, "", l); return l }
    if (l ~ /^f /) { sub(/^f [0-9]+ [0-9]+ /, "", l); return l }
    return substr(l, 3)
  }
  NR == FNR { seen[path($0)] = 1; next }
  { p = path($0) } !(p in seen) && p ~ ENVIRON["gen"] { next } { print }' "$work/cmp-umoci.txt" - > "$work/cmp-ours.txt"
if diff -u "$work/cmp-umoci.txt" "$work/cmp-ours.txt" > "$work/cmp.diff"; then
  echo "identical: $(grep -c '^[dfl] ' "$work/cmp-ours.txt") entries"
else
  echo "DIFFERENT (first lines of the diff, umoci -, ours +):"; head -n 30 "$work/cmp.diff"
fi
chmod -R u+rwx "$work/cmp-ours" "$work/cmp-umoci"; rm -rf "$work/cmp-ours" "$work/cmp-umoci"

# Memory must not grow with layer size: peak RSS of the whole command unpacking the 2 MB layer 2 alone against a
# layer holding one 512 MiB file (the whole minbase image is in the table above).
echo
echo "== memory: unpack of layer 2 alone against a layer with one 512 MiB file"
: > "$work/results.small"; : > "$work/results.big"
unpack_cmd "$work/cli" small "$work/out"; measure small "${cmd[@]}"
unpack_cmd "$work/cli" big "$work/out"; measure big "${cmd[@]}"
small_kib=$(cut -d' ' -f2 "$work/results.small"); big_kib=$(cut -d' ' -f2 "$work/results.big")
echo "peak RSS: 2 MB layer $(( small_kib / 1024 )) MiB, 512 MiB layer $(( big_kib / 1024 )) MiB"
