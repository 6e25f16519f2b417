#!/usr/bin/env bash
# The project's test command. On a fresh Debian 12 machine as root it installs the system packages it needs (only
# what is missing), builds everything (C# and the C starter) and runs every test project. As non-root it names the
# missing packages instead. Exits non-zero on any failure; ends with "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Playwright uses Debian's chromium; it must never fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# What the build and the real-component tests need, by Debian package name.
packages=(
  gcc make libc6-dev zlib1g-dev   # the C starter; the NativeAOT link of the runtime front end
  docker-registry                 # the real Distribution registry the registry tests run against
  apache2-utils                   # htpasswd (bcrypt) for the registry's Basic-auth tests
  skopeo umoci                    # peers for cross-checks and benchmarks
  libzstd1 zstd                   # zstd layers
  bubblewrap crun util-linux      # runtime peers; setpriv drops CI's root to nobody
  busybox-static                  # the userland of the runtime's test images
  openmpi-bin libopenmpi-dev      # the runtime's MPI tests: mpirun, and mpicc for the ring they build
  apparmor                        # apparmor_parser -Q checks the starter's AppArmor profile
  debootstrap                     # realistic image roots for bench/
  chromium                        # the status page's browser tests (Playwright drives /usr/bin/chromium)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "test.sh: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "test.sh: missing system packages: ${missing[*]}" >&2
    echo "test.sh: install them as root with: apt-get update && apt-get install ${missing[*]}" >&2
    exit 2
  fi
fi
command -v dotnet >/dev/null || { echo "test.sh: dotnet not found: install the .NET 10 SDK" >&2; exit 2; }

results=.test-results
rm -rf "$results"
mkdir -p "$results"

echo "== build"
dotnet build CvmfsImages.sln -c Release -nologo -clp:NoSummary

status=0
echo "== build rules"
bash tests/build-rules.sh | tee "$results/build-rules.txt" || status=1

echo "== tests"
dotnet test CvmfsImages.sln -c Release --no-build -nologo \
  --logger trx --logger "console;verbosity=normal" --results-directory "$results" || status=1

# One closing line over every runner: the TRX counters of each test project plus the build-rule checks.
sum() { # attribute name
  { grep -ho "<Counters [^>]*" "$results"/*.trx 2>/dev/null || true; } |
    sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" | awk '{ s += $1 } END { print s + 0 }'
}
passed=$(sum passed)
failed=$(sum failed)
skipped=$(sum notExecuted)
read -r rules_passed rules_failed < <(sed -n 's/^build-rules: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$results/build-rules.txt")
passed=$((passed + ${rules_passed:-0}))
failed=$((failed + ${rules_failed:-1}))
[ "$failed" -eq 0 ] || status=1
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
