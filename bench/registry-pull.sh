#!/usr/bin/env bash
# Registry pull benchmark. Measures: pulling every blob (config + two layers, ~100 MB of gzip layers) of an image from
# a loopback Distribution registry into an empty content-addressed store, verified by digest.
#   ours:  RegistryPullBench pull (RegistryClient: resolve + all layers in parallel, streamed through the blob cache)
#   peer:  skopeo copy docker://... oci:DIR (same blobs into an OCI layout, digests verified)
# Both are timed as whole commands (process start included), alternating, RUNS times each; the medians are compared.
# CPU time (user+sys, from GNU time when installed) is printed too: on a loaded machine it is the steadier measure.
# Prints "ratio ours/skopeo: X" (target: <= 1.0). Needs docker-registry, skopeo, dotnet. Usage: bench/registry-pull.sh [MB] [RUNS]
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
megabytes=${1:-100}
runs=${2:-5}
for tool in docker-registry skopeo dotnet curl; do
  command -v "$tool" >/dev/null || { echo "registry-pull.sh: $tool not found (apt-get install docker-registry skopeo)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/registry-pull-bench.XXXXXX)
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Published ReadyToRun (precompiled, as a service would be deployed; skopeo is a native binary), else a plain build.
if dotnet publish bench/RegistryPullBench -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
     -o "$work/bin" -nologo -clp:NoSummary -v:q >"$work/publish.log" 2>&1; then
  bench=$work/bin/RegistryPullBench
  echo "ours: ReadyToRun build"
else
  dotnet build bench/RegistryPullBench -c Release -nologo -clp:NoSummary -v:q >/dev/null
  bench=bench/RegistryPullBench/bin/Release/net10.0/RegistryPullBench
  echo "ours: JIT build (ReadyToRun publish failed, see $work/publish.log)"
fi

port=$((20000 + RANDOM % 40000))
cat > "$work/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: 127.0.0.1:$port
YAML
env -u REGISTRY_HTTP_ADDR docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done

ref="127.0.0.1:$port/bench/image:1"
"$bench" push "$ref" "$megabytes"
echo '{"default":[{"type":"insecureAcceptAnything"}]}' > "$work/policy.json"

now() { date +%s.%N; }
timer=()
if [ -x /usr/bin/time ]; then timer=(/usr/bin/time -a -o "$work/cpu.txt" -f '%U %S'); fi
cpu() { awk '{ s += $1 + $2 } END { printf "%.2f", s }' "$work/cpu.txt" 2>/dev/null || echo "?"; }
ours=()
peer=()
ours_cpu=()
peer_cpu=()
ours_inproc=()
for i in $(seq "$runs"); do
  rm -rf "$work/cache" "$work/oci"
  sync
  rm -f "$work/cpu.txt"
  t0=$(now); "${timer[@]}" "$bench" pull "$ref" "$work/cache" >"$work/ours.txt"; t1=$(now)
  ours_cpu+=("$(cpu)")
  ours_inproc+=("$(sed -n 's/.* in \([0-9.]*\) s (in-process)/\1/p' "$work/ours.txt")")
  ours+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
  rm -f "$work/cpu.txt"
  t0=$(now); "${timer[@]}" skopeo --policy "$work/policy.json" copy -q --src-tls-verify=false "docker://$ref" "oci:$work/oci:1" >/dev/null; t1=$(now)
  peer+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
  peer_cpu+=("$(cpu)")
  printf 'run %d: ours %.3f s (cpu %s s; %s), skopeo %.3f s (cpu %s s)\n' "$i" "${ours[-1]}" "${ours_cpu[-1]}" "$(cat "$work/ours.txt")" "${peer[-1]}" "${peer_cpu[-1]}"
done

# Every blob we stored must be in skopeo's OCI layout too (which also holds the manifest and index).
missing=$(comm -23 <(ls "$work/cache/blobs/sha256" | sort) <(ls "$work/oci/blobs/sha256" | sort))
[ -z "$missing" ] || { echo "registry-pull.sh: blobs missing from skopeo's copy: $missing" >&2; exit 1; }

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
m_ours=$(median "${ours[@]}")
m_peer=$(median "${peer[@]}")
printf 'median of %d runs, %s MB image: ours %.3f s, skopeo %.3f s\n' "$runs" "$megabytes" "$m_ours" "$m_peer"
printf 'ratio ours/skopeo: %.2f (target <= 1.0)\n' "$(awk -v a="$m_ours" -v b="$m_peer" 'BEGIN { print a / b }')"
# The service is a long-running process: without .NET's process start (~0.1-0.3 s here) the pull itself compares as:
m_inproc=$(median "${ours_inproc[@]}")
printf 'ratio ours (in-process, no process start) / skopeo (whole command): %.2f\n' "$(awk -v a="$m_inproc" -v b="$m_peer" 'BEGIN { print a / b }')"
if [ "${#timer[@]}" -gt 0 ]; then
  printf 'cpu (user+sys) medians: ours %s s, skopeo %s s\n' "$(median "${ours_cpu[@]}")" "$(median "${peer_cpu[@]}")"
fi
