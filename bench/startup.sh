#!/usr/bin/env bash
# Start-up of the sync CLI as a user runs it: `cvmfs-image-sync --version` and `cvmfs-image-sync validate --offline
# images.txt` (the repository's example list), whole commands, process start included. Three builds of the same
# source, timed interleaved RUNS times each (default 20), medians of wall and CPU (user+sys) time:
#   jit:          `dotnet publish SyncService -c Release -r linux-x64 --self-contained` (every method JIT-compiled)
#   r2r:          the same with -p:PublishReadyToRun=true (precompiled; the deploy/ and README install command)
#   r2r-nopgo:    r2r with -p:TieredPGO=false (no instrumented re-JIT of hot methods; a knob in runtimeconfig.json)
# Wall time from bash's EPOCHREALTIME, CPU from GNU time (10 ms resolution). Prints the ratios to jit. NativeAOT is not among them: Quartz 4.7.3 supports only net10.0 and NativeAOT here is
# net9.0 only (ILCompiler 9.0.x), see bench/README.md. Usage: bench/startup.sh [RUNS]. Needs dotnet, GNU time.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
runs=${1:-20}
work=$(mktemp -d /tmp/startup-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "startup.sh: GNU time not found (apt-get install time)" >&2; exit 2; }

publish() { # name, extra properties...
  local name=$1; shift
  dotnet publish SyncService -c Release -r linux-x64 --self-contained -o "$work/$name" "$@" -nologo -clp:NoSummary -v:q >"$work/$name.log" 2>&1 ||
    { cat "$work/$name.log" >&2; exit 1; }
}
echo "== publish (jit, r2r, r2r-nopgo)"
publish jit
publish r2r -p:PublishReadyToRun=true
publish r2r-nopgo -p:PublishReadyToRun=true -p:TieredPGO=false
builds=(jit r2r r2r-nopgo)

commands=("--version" "validate --offline images.txt")
for cmd in "${commands[@]}"; do
  for b in "${builds[@]}"; do : > "$work/$b.times"; done
  "$work/jit/cvmfs-image-sync" $cmd > "$work/out.txt" || { echo "startup.sh: '$cmd' failed:" >&2; cat "$work/out.txt" >&2; exit 1; }
  for _ in $(seq "$runs"); do
    for b in "${builds[@]}"; do
      t0=$EPOCHREALTIME
      /usr/bin/time -o "$work/cpu.txt" -f '%U %S' "$work/$b/cvmfs-image-sync" $cmd > /dev/null
      echo "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }') $(cat "$work/cpu.txt")" >> "$work/$b.times"
    done
  done
  echo "== cvmfs-image-sync $cmd (median of $runs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
  median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
  base_wall=$(awk '{ print $1 }' "$work/jit.times" | median)
  base_cpu=$(awk '{ print $2 + $3 }' "$work/jit.times" | median)
  for b in "${builds[@]}"; do
    wall=$(awk '{ print $1 }' "$work/$b.times" | median)
    cpu=$(awk '{ print $2 + $3 }' "$work/$b.times" | median)
    printf '   %-10s wall %.3f s, cpu %.3f s; ratio to jit: wall %.2f, cpu %.2f\n' "$b" "$wall" "$cpu" \
      "$(awk -v a="$wall" -v b="$base_wall" 'BEGIN { print a / b }')" "$(awk -v a="$cpu" -v b="$base_cpu" 'BEGIN { print (b > 0) ? a / b : 0 }')"
  done
done
