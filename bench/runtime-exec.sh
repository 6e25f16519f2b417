#!/usr/bin/env bash
# Start-up cost of the runtime: median wall time of running /bin/true in a busybox directory image, with
#   - the C starter driven directly by protocol argv (user + mount + PID namespaces, new /proc, minimal /dev),
#   - `singularity exec IMG /bin/true` (the NativeAOT front end + starter) when it is built,
# against the peer bubblewrap doing the same work:
#   bwrap --ro-bind IMG / --proc /proc --dev /dev --unshare-user --unshare-pid /bin/true
# Same image, on tmpfs; RUNS runs each (default 100) after 5 warm-ups, interleaved so that drift hits all alike.
# Target: starter <= 1.5 x bwrap, singularity exec <= 1.5 x bwrap.
#
# Usage: bench/runtime-exec.sh            (as a normal user, or as root: then it runs everything as nobody)
#   RUNS=200 bench/runtime-exec.sh
#   SINGULARITY=/path/to/singularity bench/runtime-exec.sh   (default: the published front end if present)
# Needs: bash 5 (EPOCHREALTIME), gcc/make (the starter), bubblewrap, busybox-static, util-linux (setpriv).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

runs=${RUNS:-100}
[ "$runs" -ge 50 ] || { echo "runtime-exec: RUNS must be at least 50" >&2; exit 2; }
for tool in bwrap busybox; do
  command -v "$tool" >/dev/null || { echo "runtime-exec: $tool is not installed (apt-get install bubblewrap busybox-static)" >&2; exit 2; }
done
make -s -C Runtime/starter >/dev/null

singularity=${SINGULARITY:-}
if [ -z "$singularity" ]; then
  for candidate in Runtime/bin/Release/net9.0/linux-x64/publish/singularity artifacts/singularity/singularity; do
    if [ -x "$candidate" ]; then singularity=$(readlink -f "$candidate"); break; fi
  done
fi

# The image and the binaries on tmpfs, world-readable (the runs may be as nobody).
shm=$(mktemp -d /dev/shm/runtime-exec.XXXXXX)
trap 'rm -rf "$shm"' EXIT
chmod 0755 "$shm"
img=$shm/img
mkdir -p "$img"/{bin,proc,dev,sys,tmp,etc,home}
cp "$(command -v busybox)" "$img/bin/busybox"
for applet in sh true; do ln -s busybox "$img/bin/$applet"; done
cp Runtime/starter/build/starter "$shm/starter"
if [ -n "$singularity" ]; then
  mkdir "$shm/singularity"
  cp -a "$(dirname "$singularity")"/. "$shm/singularity/"
  singularity=$shm/singularity/$(basename "$singularity")
  cp Runtime/starter/build/starter "$shm/singularity/starter"   # this branch's starter next to the front end
  # Not installed system-wide: use the config shipped next to the binary (the front end's override variable).
  if [ -z "${CVMFS_IMAGES_SINGULARITY_CONF:-}" ] && [ -f "$shm/singularity/singularity.conf" ]; then
    export CVMFS_IMAGES_SINGULARITY_CONF=$shm/singularity/singularity.conf
  fi
fi
chmod -R a+rX "$shm"
mkdir "$shm/out" && chmod 0777 "$shm/out"   # timings, written by the (possibly unprivileged) measuring user

# The measuring loop runs as the user that runs the containers; bash's EPOCHREALTIME costs no fork.
cat > "$shm/measure.sh" <<'EOF'
set -euo pipefail
img=$1 shm=$2 runs=$3 singularity=$4
uid=$(id -u) gid=$(id -g)
starter=("$shm/starter" CVMFS-IMAGES-STARTER-1 USER "$uid" "$gid" NAMESPACES 1 0 ROOT "$img"
         PROC /proc DEV_MINIMAL /dev ENV PATH=/bin EXEC 1 /bin/true)
bwrap=(bwrap --ro-bind "$img" / --proc /proc --dev /dev --unshare-user --unshare-pid /bin/true)
names=(bwrap starter)
[ -n "$singularity" ] && names+=(singularity)
run() {
  case $1 in
    bwrap) "${bwrap[@]}" ;;
    starter) "${starter[@]}" ;;
    singularity) "$singularity" exec "$img" /bin/true ;;
  esac
}
for name in "${names[@]}"; do
  run "$name" || { echo "runtime-exec: $name failed (exit $?)" >&2; exit 1; }
  for _ in 1 2 3 4; do run "$name"; done
  : > "$shm/out/$name.times"
done
for ((i = 0; i < runs; i++)); do
  for name in "${names[@]}"; do
    t0=$EPOCHREALTIME
    run "$name"
    t1=$EPOCHREALTIME
    echo "$t0 $t1" >> "$shm/out/$name.times"
  done
done
median() { awk '{ printf "%.3f\n", ($2 - $1) * 1000 }' "$1" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
base=$(median "$shm/out/bwrap.times")
printf '%-40s %10s %8s\n' "command ($runs runs each, /bin/true)" "median ms" "x bwrap"
printf '%-40s %10.3f %8s\n' "bwrap (peer)" "$base" "1.00"
for name in "${names[@]:1}"; do
  m=$(median "$shm/out/$name.times")
  printf '%-40s %10.3f %8.2f\n' "$name" "$m" "$(awk -v a="$m" -v b="$base" 'BEGIN { print a / b }')"
done
echo "target: <= 1.50 x bwrap"
[ -n "$singularity" ] || echo "singularity exec: skipped (front end not built; set SINGULARITY=/path/to/singularity)"
EOF

if [ "$(id -u)" -eq 0 ]; then
  setpriv --reuid=nobody --regid=nogroup --clear-groups bash "$shm/measure.sh" "$img" "$shm" "$runs" "$singularity"
else
  bash "$shm/measure.sh" "$img" "$shm" "$runs" "$singularity"
fi
