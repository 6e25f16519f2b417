#!/usr/bin/env bash
# Publishing on a real CVMFS stratum-0 (issue 22), on the whole command: `cvmfs-image-sync sync --once` publishing one
# new image (a root file system as one layer, from a loopback Distribution registry, its blob already in the cache)
# against the same work done by hand on the same machine with the same content (CVMFS deduplication warm):
#   transaction mode: `cvmfs_server transaction R; tar -x -f rootfs.tar -C /cvmfs/R/hand/N; cvmfs_server publish R`
#                     against `sync --once` with Publisher:UseIngest=false;
#   ingest mode:      `cvmfs_server ingest -t rootfs.tar -b hand/N R` against `sync --once` with UseIngest=true;
#   and, to split the time: `cvmfs-image-sync unpack` of the same image (pull + flatten, no publishing).
# Each round publishes a new image (same layer, a config label with the round number: a new config digest, so a new
# image directory), medians of RUNS interleaved rounds, and the ratio ours / by hand. Target: <= 1.2.
#
# Runs only where a real `cvmfs_server` is on PATH (says so and exits 0 elsewhere, e.g. with the test stand-in), as
# root; every CVMFS command and the CLI run as the repositories' owner (CVMFS_USER_NAME, default cvmfs-sync).
# Repositories: TX_REPO (default test.repo.org) and INGEST_REPO (default ingest.repo.org), made with
# `cvmfs_server mkfs -o cvmfs-sync NAME`, test repositories holding no tags but this script's (bench/...; it refuses
# others): its first pass removes earlier runs' tags (--allow-mass-removal). The root file system: ROOTFS_TAR (a plain tar), ROOTFS_DIR, or
# `debootstrap --variant=minbase bookworm` built once into MINBASE_CACHE (default /var/tmp/flatten-bench-minbase,
# shared with bench/flatten.sh).
# Usage: bench/publish-real.sh [RUNS]   (default 3); MODES="tx ingest" (default both) picks the modes; CLI_DIR=DIR
# uses an already published CLI instead of publishing this checkout.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
real=$(command -v cvmfs_server || true)
if [ -z "$real" ] || grep -q 'stand-in' "$real" 2>/dev/null; then
  echo "publish-real.sh: no real cvmfs_server on PATH on this machine (${real:-none}); nothing measured"
  exit 0
fi
runs=${1:-3}
modes=${MODES:-tx ingest}
want() { [[ " $modes " == *" $1 "* ]]; }
tx_repo=${TX_REPO:-test.repo.org}
in_repo=${INGEST_REPO:-ingest.repo.org}
user=${CVMFS_USER_NAME:-cvmfs-sync}
[ "$(id -u)" = 0 ] || { echo "publish-real.sh: run it as root (the commands run as $user through runuser)" >&2; exit 2; }
for repo in "$tx_repo" "$in_repo"; do
  [ -d "/cvmfs/$repo" ] || { echo "publish-real.sh: /cvmfs/$repo is missing: cvmfs_server mkfs -o $user $repo" >&2; exit 2; }
  # Its passes remove the tags their list does not name (earlier runs' bench/ tags): never anyone else's.
  other=$(find "/cvmfs/$repo" -mindepth 1 -maxdepth 4 -path "/cvmfs/$repo/.images" -prune -o -type l -lname "*.images/*" ! -path "/cvmfs/$repo/bench/*" -print -quit 2>/dev/null || true)
  [ -z "$other" ] || { echo "publish-real.sh: /cvmfs/$repo holds a tag this script did not write ($other): use a test repository" >&2; exit 2; }
done
for tool in umoci skopeo docker-registry curl python3 /usr/bin/time dotnet runuser tar; do
  command -v "$tool" >/dev/null || { echo "publish-real.sh: '$tool' is missing" >&2; exit 2; }
done

work=$(mktemp -d /var/tmp/publish-real.XXXXXX)
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
as_user() { runuser -u "$user" -- "$@"; }

cli=${CLI_DIR:-$work/cli}
if [ -z "${CLI_DIR:-}" ]; then
  echo "== cvmfs-image-sync as deployed (README: self-contained, ReadyToRun)"
  rid=$(dotnet --info | awk '/^ *RID:/ { print $2; exit }')
  dotnet publish SyncService -c Release -r "$rid" --self-contained -p:PublishReadyToRun=true -nologo -clp:NoSummary -v quiet -o "$cli" >/dev/null
fi

echo "== the root file system"
if [ -n "${ROOTFS_TAR:-}" ]; then
  cp "$ROOTFS_TAR" "$work/rootfs.tar"
else
  if [ -z "${ROOTFS_DIR:-}" ]; then
    ROOTFS_DIR=${MINBASE_CACHE:-/var/tmp/flatten-bench-minbase}
    if [ ! -e "$ROOTFS_DIR/.complete" ]; then
      echo "debootstrap --variant=minbase bookworm (once, into $ROOTFS_DIR)"
      rm -rf "$ROOTFS_DIR"
      debootstrap --variant=minbase bookworm "$ROOTFS_DIR" "${MIRROR:-http://deb.debian.org/debian}" > "$work/debootstrap.log" 2>&1 ||
        { echo "publish-real.sh: debootstrap failed: $(tail -n1 "$work/debootstrap.log"); give ROOTFS_TAR or ROOTFS_DIR" >&2; exit 2; }
      touch "$ROOTFS_DIR/.complete"
    fi
  fi
  tar --numeric-owner -C "$ROOTFS_DIR" --exclude=./.complete --exclude='./dev/*' --exclude='./var/cache/apt/archives/*.deb' \
    --exclude='./var/lib/apt/lists/*' -cf "$work/rootfs.tar" .
fi
printf 'rootfs.tar: %s entries, %s MB\n' "$(tar -tf "$work/rootfs.tar" | wc -l)" "$(( $(stat -c %s "$work/rootfs.tar") / 1000000 ))"

echo "== loopback registry, $runs images of that one layer (a label per round)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
  "$work/registry" "$port" > "$work/registry.yml"
env -u REGISTRY_HTTP_ADDR docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
gzip -1 -c "$work/rootfs.tar" > "$work/rootfs.tar.gz"
umoci init --layout "$work/oci"
umoci new --image "$work/oci:base"
umoci raw add-layer --image "$work/oci:base" "$work/rootfs.tar"
for i in $(seq "$runs"); do
  umoci config --image "$work/oci:base" --tag "r$i" --config.label "bench.round=$i" --config.cmd /bin/sh
  skopeo copy -q --dest-tls-verify=false "oci:$work/oci:r$i" "docker://127.0.0.1:$port/bench/rootfs:r$i"
done

mkdir -p "$work/state" "$work/cache" "$work/staging-tx" "$work/staging-in" "$work/unpacked"
chown -R "$user:" "$work"
settings() { # repo ingest(true|false)
  echo --set Publisher:Backend=cvmfs_server --set "Publisher:RepositoryName=$1" --set "Publisher:UseIngest=$2" \
    --set "Publisher:StagingDirectory=$work/staging-$([ "$2" = true ] && echo in || echo tx)" \
    --set "Registry:BlobCacheDirectory=$work/cache" --set "Sync:StateDirectory=$work/state-$1"
}
# Warm the blob cache and both repositories' deduplication with round 0 (the base image, untimed).
umoci config --image "$work/oci:base" --tag r0 --config.label bench.round=0
skopeo copy -q --dest-tls-verify=false "oci:$work/oci:r0" "docker://127.0.0.1:$port/bench/rootfs:r0"
for mode in false true; do
  { [ "$mode" = true ] && want ingest; } || { [ "$mode" = false ] && want tx; } || continue
  repo=$([ "$mode" = true ] && echo "$in_repo" || echo "$tx_repo")
  echo "127.0.0.1:$port/bench/rootfs:r0" > "$work/list-$repo"
  chown "$user:" "$work/list-$repo"
  # shellcheck disable=SC2046 # settings prints separate words on purpose
  as_user "$cli/cvmfs-image-sync" sync --once --list "$work/list-$repo" $(settings "$repo" "$mode") --allow-mass-removal > "$work/warm.log" 2>&1 ||
    { cat "$work/warm.log"; exit 1; }
done
if want tx; then
  as_user sh -c "cvmfs_server transaction $tx_repo && mkdir -p /cvmfs/$tx_repo/hand/0 && tar -x -f $work/rootfs.tar -C /cvmfs/$tx_repo/hand/0 && cvmfs_server publish $tx_repo" > "$work/warm.log" 2>&1 ||
    { cat "$work/warm.log"; exit 1; }
fi
if want ingest; then
  as_user cvmfs_server ingest -t "$work/rootfs.tar" -b hand/0 "$in_repo" > "$work/warm.log" 2>&1 || { cat "$work/warm.log"; exit 1; }
fi

measure() { # name command... -> appends "wall cpu" to $work/times.NAME
  local name=$1; shift
  /usr/bin/time -f '%e %U %S' -o "$work/time" "$@" > "$work/out.$name" 2>&1 || { echo "$name failed:"; tail -n 30 "$work/out.$name"; exit 1; }
  awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$work/time" >> "$work/times.$name"
}
for i in $(seq "$runs"); do
  ref=127.0.0.1:$port/bench/rootfs:r$i
  if want tx; then
  measure hand-tx runuser -u "$user" -- sh -c "cvmfs_server transaction $tx_repo && mkdir -p /cvmfs/$tx_repo/hand/$i && tar -x -f $work/rootfs.tar -C /cvmfs/$tx_repo/hand/$i && cvmfs_server publish $tx_repo"
  echo "$ref" >> "$work/list-$tx_repo"
  # shellcheck disable=SC2046
  measure ours-tx runuser -u "$user" -- "$cli/cvmfs-image-sync" sync --once --list "$work/list-$tx_repo" $(settings "$tx_repo" false)
  fi
  if want ingest; then
  measure hand-ingest runuser -u "$user" -- cvmfs_server ingest -t "$work/rootfs.tar" -b "hand/$i" "$in_repo"
  echo "$ref" >> "$work/list-$in_repo"
  # shellcheck disable=SC2046
  measure ours-ingest runuser -u "$user" -- "$cli/cvmfs-image-sync" sync --once --list "$work/list-$in_repo" $(settings "$in_repo" true)
  fi
  measure unpack runuser -u "$user" -- "$cli/cvmfs-image-sync" unpack "$ref" "$work/unpacked/r$i" \
    --set "Registry:BlobCacheDirectory=$work/cache" --set "Sync:StateDirectory=$work/state"
  echo "round $i done"
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$2" '{ print $c }' "$work/times.$1" | median; }
echo
echo "== medians of $runs rounds (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-12s %8s %8s\n' what wall_s cpu_s
for name in hand-tx ours-tx hand-ingest ours-ingest unpack; do
  [ -f "$work/times.$name" ] || continue
  printf '%-12s %8s %8s\n' "$name" "$(col "$name" 1)" "$(col "$name" 2)"
done
ratio() { awk -v a="$(col "$1" 1)" -v b="$(col "$2" 1)" 'BEGIN { printf "%.2f", a / b }'; }
echo
if want tx; then
  echo "transaction mode: ours / by hand = $(ratio ours-tx hand-tx) (target <= 1.2); unpack (pull + flatten) / ours = $(ratio unpack ours-tx)"
fi
if want ingest; then
  echo "ingest mode:      ours / by hand = $(ratio ours-ingest hand-ingest) (target <= 1.2); unpack (pull + flatten) / ours = $(ratio unpack ours-ingest)"
fi
