#!/usr/bin/env bash
# Publish-mode benchmark: one flattened image of ~12,500 entries published into a CVMFS repository through the
# cvmfs_server stand-in (tests/cvmfs-server-standin), by CvmfsRepository (bench/PublishBench) in both modes of the
# cvmfs_server backend:
#   transaction: `cvmfs_server transaction`, copy the tree under /cvmfs/<repo>/.images/.., tag + metadata,
#                `cvmfs_server publish -m`;
#   ingest:      the tree streamed as a plain tar into `cvmfs_server ingest -t - -b .images/.. -c`, then a short
#                transaction for the tag + metadata.
# Peer, in the same script: the same two paths driven by a plain shell (cp -a / tar -c | ingest), so what our code
# adds is visible. Also timed: the stand-in's fixed cost of one empty transaction + publish on the same repository
# (its snapshot for abort and its chattr/chmod of the read-only tree, which the real command does not have).
#
# The issue's numbers from real CVMFS 2.11 on a 12,500-entry tree: transaction + copy + publish 8.5-14 s, ingest
# 6-7.5 s (ratio ingest/transaction ~0.5-0.9). The stand-in cannot reproduce CVMFS's own work (hashing,
# compression, catalogs): these timings are our side plus the stand-in's file-system work.
#
# The tree: about ENTRIES (default 12500) entries sampled from this host's installed Debian packages (dpkg -L), as a
# flattened image would hold them. The repository lives under BENCH_DIR (default $TMPDIR or /tmp: a disk, as a spool would be).
# Usage: bench/publish-modes.sh [RUNS]   (default 5; one warm-up round first). Root makes the tree immutable
# (chattr +i, as the tests do), non-root read-only by mode bits.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
runs=${1:-5}
entries=${ENTRIES:-12500}
for tool in dotnet tar find flock dpkg-query; do
  command -v "$tool" >/dev/null || { echo "publish-modes.sh: '$tool' is missing" >&2; exit 2; }
done

work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/publish-bench.XXXXXX")
standin=$PWD/tests/cvmfs-server-standin/cvmfs_server
repo=bench.example.org
export CVMFS_STANDIN_MOUNT_ROOT=$work/cvmfs CVMFS_STANDIN_SPOOL=$work/spool
cleanup() {
  "$standin" rmfs -f "$repo" >/dev/null 2>&1 || true
  chmod -R u+rwx "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== publish bench/PublishBench (Release, ReadyToRun)"
dotnet publish bench/PublishBench -c Release -nologo -clp:NoSummary -v quiet -o "$work/bin" >/dev/null
ours=$work/bin/PublishBench

echo "== the image tree: $entries entries of installed packages"
dpkg -L $(dpkg-query -W -f='${Package}\n') 2>/dev/null | grep -v '^/\.$' | sort -u |
  while IFS= read -r f; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\n' "${f#/}"; fi; done |
  grep -Ev '^(bin|sbin|lib|lib32|lib64|libx32)(/|$)' > "$work/list.all" || true
# Every k-th name, so the tree has the spread of a whole system (many directories, mostly small files); files over
# 4 MB are left out (a few compilers and browsers would otherwise make up most of the bytes).
total=$(wc -l < "$work/list.all")
step=$(( total * 2 / (entries * 3) > 0 ? total * 2 / (entries * 3) : 1 ))  # about a third of the entries will be parent directories
# Parent directories count as entries too: names are taken until the tree (with its parents) holds $entries.
awk -v k="$step" -v n="$entries" '
  NR % k != 0 { next }
  {
    name = $0; added = 0; p = name
    while (p != "" && !(p in seen)) { added++; sub("/?[^/]*$", "", p) }
    if (total + added > n) exit
    p = name
    while (p != "" && !(p in seen)) { seen[p] = 1; sub("/?[^/]*$", "", p) }
    total += added; print name
  }' "$work/list.all" > "$work/list"
mkdir -p "$work/src/tree"
tar --no-recursion -C / -cf - -T "$work/list" 2>/dev/null | tar -C "$work/src/tree" -xf -
find "$work/src/tree" -type f -size +4M -delete
count=$(find "$work/src/tree" -mindepth 1 | wc -l)
bytes=$(du -sb "$work/src/tree" | cut -f1)
echo "tree: $count entries, $(( bytes / 1000000 )) MB"

fresh_repo() {
  "$standin" rmfs -f "$repo" >/dev/null 2>&1 || true
  chmod -R u+rwx "$work/staging" 2>/dev/null || true
  rm -rf "$work/staging"
  mkdir -p "$work/staging"
  "$standin" mkfs "$repo" >/dev/null
}
seconds() { # shell function -> prints "wall-seconds cpu-seconds" (CPU: user + system of everything it ran)
  /usr/bin/time -f '%e %U %S' -o "$work/time" bash -ec "$1" >"$work/log" 2>&1 || { echo "failed: $1" >&2; cat "$work/log" >&2; exit 1; }
  awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$work/time"
}
ours_run() { # mode -> prints "wall-seconds cpu-seconds" of the in-process ApplyAsync (CPU includes cvmfs_server)
  "$ours" "$1" "$standin" "$work/cvmfs" "$repo" "$work/staging" "$work/src/tree" "bench/image:$1" >"$work/log" 2>&1 ||
    { echo "PublishBench $1 failed:" >&2; cat "$work/log" >&2; exit 1; }
  awk '/^publish/ { print $2, $5 }' "$work/log"
}
shell_transaction() {
  "$standin" transaction "$repo"
  mkdir -p "$work/cvmfs/$repo/.images/aa"
  cp -a "$work/src/tree" "$work/cvmfs/$repo/.images/aa/shell-transaction"
  touch "$work/cvmfs/$repo/.images/aa/shell-transaction/.cvmfscatalog"
  "$standin" publish -m "bench" "$repo"
}
shell_ingest() {
  tar -C "$work/src/tree" -cf - . | "$standin" ingest -t - -b .images/aa/shell-ingest -c "$repo"
}
empty_transaction() { "$standin" transaction "$repo" && "$standin" publish -m "empty" "$repo"; }
export -f shell_transaction shell_ingest empty_transaction
export standin repo work

echo "== $runs runs each (after one warm-up round), a fresh repository per run"
for name in ours-transaction ours-ingest shell-transaction shell-ingest empty; do : > "$work/results.$name"; done
for round in $(seq 0 "$runs"); do
  for name in ours-transaction ours-ingest shell-transaction shell-ingest; do
    fresh_repo
    case $name in
      ours-transaction) t=$(ours_run transaction) ;;
      ours-ingest) t=$(ours_run ingest) ;;
      shell-transaction) t=$(seconds shell_transaction) ;;
      shell-ingest) t=$(seconds shell_ingest) ;;
    esac
    [ "$round" -gt 0 ] && echo "$t" >> "$work/results.$name"
    if [ "$name" = shell-ingest ] && [ "$round" -gt 0 ]; then
      seconds empty_transaction >> "$work/results.empty" # the repository holds one image now
    fi
  done
done

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
declare -A wall cpu
names=(ours-transaction ours-ingest shell-transaction shell-ingest empty)
for name in "${names[@]}"; do
  wall[$name]=$(cut -d' ' -f1 "$work/results.$name" | median)
  cpu[$name]=$(cut -d' ' -f2 "$work/results.$name" | median)
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
declare -A label=(
  [ours-transaction]="ours, transaction + copy + publish"
  [ours-ingest]="ours, ingest + tag transaction"
  [shell-transaction]="shell, transaction + cp -a + publish"
  [shell-ingest]="shell, tar -c | ingest"
  [empty]="stand-in: empty transaction + publish")

echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs; $count entries, $(( bytes / 1000000 )) MB; runs: $runs"
printf '%-40s %8s %8s   %s\n' "path" "wall s" "CPU s" "all runs (wall CPU)"
for name in "${names[@]}"; do
  printf '%-40s %8s %8s   %s\n' "${label[$name]}" "${wall[$name]}" "${cpu[$name]}" "$(tr '\n' ',' < "$work/results.$name")"
done
ingest_own_wall=$(minus "${wall[ours-ingest]}" "${wall[empty]}")
ingest_own_cpu=$(minus "${cpu[ours-ingest]}" "${cpu[empty]}")
echo
echo "                                                   wall   CPU"
echo "ratio ingest / transaction (ours):                 $(ratio "${wall[ours-ingest]}" "${wall[ours-transaction]}")   $(ratio "${cpu[ours-ingest]}" "${cpu[ours-transaction]}")   (real CVMFS 2.11 per issue 8: ~0.5-0.9)"
echo "  the same without the stand-in's cost of the tag"
echo "  transaction (ours-ingest - empty transaction):   $(ratio "$ingest_own_wall" "${wall[ours-transaction]}")   $(ratio "$ingest_own_cpu" "${cpu[ours-transaction]}")"
echo "ratio ingest / transaction (shell):                $(ratio "${wall[shell-ingest]}" "${wall[shell-transaction]}")   $(ratio "${cpu[shell-ingest]}" "${cpu[shell-transaction]}")"
echo "ratio ours / shell, transaction:                   $(ratio "${wall[ours-transaction]}" "${wall[shell-transaction]}")   $(ratio "${cpu[ours-transaction]}" "${cpu[shell-transaction]}")"
echo "ratio ours / shell, ingest (without the tag tx):   $(ratio "$ingest_own_wall" "${wall[shell-ingest]}")   $(ratio "$ingest_own_cpu" "${cpu[shell-ingest]}")"
