#!/usr/bin/env bash
# Resync of N listed tags that are all current, against a loopback Distribution registry.
# Measures: wall time of `cvmfs-image-sync sync --once` when nothing changed, and the registry requests it made
# (from the registry's access log). Target: N=1000 in under 10 s with exactly N HEAD requests and nothing else.
# Peer, run in the same script: one curl process making the same N HEAD requests, 16 at a time over kept-alive
# connections (the floor for "ask once per tag"). Prints our time, the peer's, and the ratio; both include process
# start. Also: a 50,000-line list, parsed and planned with no network at all (`validate --offline`, and `sync --once`
# of 50,000 digest pins that are all current: a pin names itself, so an unchanged pin costs no request).
# The resync and the peer run alternately RUNS times (default 3) and their medians are compared (target <= 1.10 x).
# PINS=0 skips the 50,000-line parts, PINS=N uses N pins instead of 50,000; each pin round publishes the pins onto a
# fresh root (first publication: N new paths onto one published image, directory backend) and then syncs them again
# when all are current. PIN_ROUNDS (default 1) rounds; OTHER_EXE=/path another build run in the same rounds,
# interleaved, with the ratios printed (say, the parent commit's publish output). Measures the build deploy/ installs
# (self-contained ReadyToRun publish); DEV=1 a plain `dotnet build` (JIT), EXE=/path/to/cvmfs-image-sync any other build.
# Needs: docker-registry, curl, sha256sum, gzip, tar, jq-free bash. Usage: bench/sync-resync.sh [N] [RUNS]
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
n=${1:-1000}
runs=${2:-3}
work=$(mktemp -d /tmp/sync-resync.XXXXXX)
trap 'kill "$registry_pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
registry_bin=$(command -v docker-registry || echo /usr/bin/docker-registry)
[ -x "$registry_bin" ] || { echo "bench: docker-registry is not installed (apt-get install docker-registry)" >&2; exit 2; }

if [ -n "${EXE:-}" ]; then
  exe=$EXE
elif [ "${DEV:-0}" = 1 ]; then
  echo "== build (dotnet build, JIT)"
  dotnet build SyncService -c Release -nologo -clp:NoSummary -v q >/dev/null
  exe=SyncService/bin/Release/net10.0/cvmfs-image-sync
else
  echo "== publish as deploy/ does (self-contained, ReadyToRun)"
  dotnet publish SyncService -c Release -r linux-x64 --self-contained -p:PublishReadyToRun=true -o "$work/bin" -nologo -clp:NoSummary -v q >/dev/null
  exe=$work/bin/cvmfs-image-sync
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/storage"
cat > "$work/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: 127.0.0.1:$port
  secret: bench-only
YAML
env -u REGISTRY_HTTP_ADDR "$registry_bin" serve "$work/config.yml" > "$work/registry.log" 2>&1 &
registry_pid=$!
base=http://127.0.0.1:$port
for _ in $(seq 100); do curl -fs "$base/v2/" >/dev/null && break; sleep 0.1; done

echo "== push one small image under $n tags"
mkdir -p "$work/rootfs/etc"; echo "bench" > "$work/rootfs/etc/hello"
tar -C "$work/rootfs" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$work/layer.tar" etc
diff_id=sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -c "$work/layer.tar" > "$work/layer.tar.gz"
layer=sha256:$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1); layer_size=$(stat -c %s "$work/layer.tar.gz")
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' "$diff_id" > "$work/config.json"
config=sha256:$(sha256sum "$work/config.json" | cut -d' ' -f1); config_size=$(stat -c %s "$work/config.json")
upload() { # file digest
  local location
  location=$(curl -fsi -X POST "$base/v2/bench/img/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case $location in http*) ;; *) location=$base$location ;; esac
  curl -fs -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$1" "$location&digest=$2" >/dev/null
}
upload "$work/layer.tar.gz" "$layer"
upload "$work/config.json" "$config"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
  "$config" "$config_size" "$layer" "$layer_size" > "$work/manifest.json"
seq -f 't%05g' 1 "$n" | xargs -P 16 -I{} curl -fs -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary @"$work/manifest.json" "$base/v2/bench/img/manifests/{}" -o /dev/null
seq -f "127.0.0.1:$port/bench/img:t%05g" 1 "$n" > "$work/images.txt"

args=(--list "$work/images.txt" --root "$work/root" --set "Sync:StateDirectory=$work/state")
echo "== first sync (publishes 1 image under $n paths)"
start=$(date +%s.%N)
"$exe" sync --once "${args[@]}" > "$work/first.out" || { tail -20 "$work/first.out"; exit 1; }
echo "   $(tail -1 "$work/first.out" | sed 's/\x1b\[[0-9;]*m//g')  ($(echo "$(date +%s.%N) - $start" | bc) s)"

count() { grep -c "\"$1 /v2/" "$work/registry.log" || true; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
seq -f "url = \"$base/v2/bench/img/manifests/t%05g\"" 1 "$n" | sed 's/$/\noutput = "\/dev\/null"/' > "$work/curl.conf"
ours_runs=(); peer_runs=(); heads=$n; gets=0; others=0
echo "== resync, everything current, alternating with the peer (one curl process, $n HEAD requests, 16 at a time), $runs runs"
for run in $(seq "$runs"); do
  sleep 0.5 # the access log is written asynchronously
  heads0=$(count HEAD); gets0=$(count GET); puts0=$(count PUT); posts0=$(count POST)
  start=$(date +%s.%N)
  "$exe" sync --once "${args[@]}" > "$work/resync.out" || { tail -20 "$work/resync.out"; exit 1; }
  ours_runs+=("$(echo "$(date +%s.%N) - $start" | bc)")
  sleep 0.5
  h=$(( $(count HEAD) - heads0 )); g=$(( $(count GET) - gets0 )); o=$(( $(count PUT) - puts0 + $(count POST) - posts0 ))
  [ "$h" -eq "$n" ] || heads=$h # a run off target is the one reported
  gets=$((gets + g)); others=$((others + o))
  start=$(date +%s.%N)
  curl -fs --no-progress-meter --parallel --parallel-max 16 -I -H 'Accept: application/vnd.oci.image.manifest.v1+json' -K "$work/curl.conf"
  peer_runs+=("$(echo "$(date +%s.%N) - $start" | bc)")
  printf '   run %d: ours %.2f s (%d HEAD, %d GET, %d other), peer %.2f s\n' "$run" "${ours_runs[-1]}" "$h" "$g" "$o" "${peer_runs[-1]}"
done
echo "   $(tail -1 "$work/resync.out" | sed 's/\x1b\[[0-9;]*m//g')"
ours=$(median "${ours_runs[@]}")
peer=$(median "${peer_runs[@]}")
if [ "${PINS:-1}" != 0 ]; then
echo "== 50,000-line list: validate --offline (parse, duplicates, path collisions)"
seq -f 'org%g/image:v1' 1 50000 > "$work/big.txt"
start=$(date +%s.%N)
"$exe" validate --offline "$work/big.txt" "${args[@]}" > /dev/null
big=$(echo "$(date +%s.%N) - $start" | bc)

npins=${PINS:-1}; [ "$npins" = 1 ] && npins=50000
echo "== $npins digest pins: adding them onto one published image, then sync --once when all are current (no request)"
manifest_digest=sha256:$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
seq -f "127.0.0.1:$port/pins/p%g@$manifest_digest" 1 "$npins" > "$work/pins.txt"
echo "127.0.0.1:$port/bench/img@$manifest_digest" > "$work/pin1.txt"
exes=("$exe"); [ -n "${OTHER_EXE:-}" ] && exes+=("$OTHER_EXE")
pins_add_runs=(); pins_current_runs=(); other_add_runs=(); other_current_runs=(); pin_requests=0
for round in $(seq "${PIN_ROUNDS:-1}"); do
  for which in "${!exes[@]}"; do
    e=${exes[$which]}
    pins=(--root "$work/pins-root-$round-$which" --set "Sync:StateDirectory=$work/pins-state-$round-$which")
    "$e" sync --once --list "$work/pin1.txt" "${pins[@]}" > "$work/pins1.out" || { tail -20 "$work/pins1.out"; exit 1; }
    load=$(cut -d' ' -f1 /proc/loadavg)
    start=$(date +%s.%N)
    "$e" sync --once --list "$work/pins.txt" "${pins[@]}" > "$work/pins2.out" || { tail -20 "$work/pins2.out"; exit 1; }
    add=$(echo "$(date +%s.%N) - $start" | bc)
    sleep 0.5
    pin_requests0=$(grep -c '"[A-Z]* /v2/' "$work/registry.log" || true)
    start=$(date +%s.%N)
    "$e" sync --once --list "$work/pins.txt" "${pins[@]}" > "$work/pins3.out" || { tail -20 "$work/pins3.out"; exit 1; }
    current=$(echo "$(date +%s.%N) - $start" | bc)
    sleep 0.5
    pin_requests=$(( pin_requests + $(grep -c '"[A-Z]* /v2/' "$work/registry.log" || true) - pin_requests0 ))
    if [ "$which" = 0 ]; then pins_add_runs+=("$add"); pins_current_runs+=("$current"); name=ours; else other_add_runs+=("$add"); other_current_runs+=("$current"); name=other; fi
    printf '   round %d, %s: adding %.2f s, all current %.2f s (load average %s before, %s after)\n' "$round" "$name" "$add" "$current" "$load" "$(cut -d' ' -f1 /proc/loadavg)"
    rm -rf "$work/pins-root-$round-$which" "$work/pins-state-$round-$which"
  done
done
pins_add=$(median "${pins_add_runs[@]}"); pins_current=$(median "${pins_current_runs[@]}")
echo "   $(tail -1 "$work/pins3.out" | sed 's/\x1b\[[0-9;]*m//g')"

fi
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'resync of %d current tags, median of %d: %.2f s (target < 10 s), requests: %d HEAD per run, %d GET, %d other in all (target: %d HEAD only)\n' "$n" "$runs" "$ours" "$heads" "$gets" "$others" "$n"
printf 'peer (curl, %d HEADs, 16 parallel), median of %d: %.2f s; ratio ours/peer: %.2f (target <= 1.10)\n' "$n" "$runs" "$peer" "$(echo "$ours / $peer" | bc -l)"
if [ "${PINS:-1}" != 0 ]; then
  printf 'validate --offline of 50,000 lines (process start included): %.2f s\n' "$big"
  printf 'sync --once of %d current digest pins (process start included), median: %.2f s (target <= 3 s), %d registry requests (target 0); adding them (%d new paths onto a published image, no download), median: %.2f s (target <= 20 s)\n' "$npins" "$pins_current" "$pin_requests" "$npins" "$pins_add"
  if [ -n "${OTHER_EXE:-}" ]; then
    other_add=$(median "${other_add_runs[@]}"); other_current=$(median "${other_current_runs[@]}")
    printf 'OTHER_EXE in the same rounds: adding %.2f s, all current %.2f s; ratio ours/other: adding %.3f, all current %.3f\n' "$other_add" "$other_current" "$(echo "$pins_add / $other_add" | bc -l)" "$(echo "$pins_current / $other_current" | bc -l)"
  fi
else
  pin_requests=0
fi
[ "$heads" -eq "$n" ] && [ "$gets" -eq 0 ] && [ "$others" -eq 0 ] && [ "$pin_requests" -eq 0 ] || { echo "bench: request counts differ from the target" >&2; exit 1; }
