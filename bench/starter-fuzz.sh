#!/usr/bin/env bash
# Fuzzes the starter's op-list reader with libFuzzer: the words of an --ops-fd buffer split, parsed, checked for
# form and then against a setuid policy, exactly as the setuid starter runs them (starter.c, starter_fuzz_one); an
# input whose first byte is odd goes to the setuid starter's config parser instead (setuid.c, suid_parse_config).
# Built with AddressSanitizer and UndefinedBehaviorSanitizer (any report aborts); an accepted op list that breaks the
# reader's guarantees (first USER/NAMESPACES/ROOT, last EXEC with an argv, canonical ROOT, every argument present)
# aborts too. die() longjmps back to the target, and every allocation of one input is freed after it (leaks of the
# reader would otherwise hide in the arena: ASan's leak check stays on).
#
#   bench/starter-fuzz.sh [SECONDS]     (default 300; needs clang and libclang-rt-14-dev: apt-get install clang
#                                        libclang-rt-14-dev)
#
# Prints the run's figures (executions, rate, coverage, corpus, peak RSS) and exits non-zero when libFuzzer found a
# crash (the input is kept in the printed folder).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
seconds=${1:-300}
command -v clang >/dev/null || { echo "starter-fuzz: clang not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

work=$(mktemp -d /tmp/starter-fuzz-XXXXXX)
src=Runtime/starter
clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -DSTARTER_FUZZ -DSTARTER_SETUID -Wall -Wextra -Werror -Wno-unused-function -Wno-gnu-variable-sized-type-not-at-end \
  -o "$work/fuzz-ops" "$src"/mounts.c "$src"/process.c "$src"/setuid.c "$src"/share.c "$src"/starter.c "$src"/util.c \
  "$src"/fuzz/fuzz-ops.c

# Seeds: op lists as the front end writes them (first byte 0: the op-list reader) and configs (first byte 1).
mkdir -p "$work/corpus" "$work/crashes"
ops() { { printf '\0'; printf '%s\0' "$@"; } >"$work/corpus/$1-$RANDOM$RANDOM"; }
ops USER 1000 1000 NAMESPACES 0 0 ROOT /cvmfs/img BIND_PROC /proc SYS /sys DEV /dev BIND_HOME /home/a /home/a \
  BIND /tmp /tmp rw BIND /cvmfs /cvmfs ro MKFILE /etc/hosts FILE /etc/passwd 'a:x:1000:1000::/home/a:/bin/sh' \
  CHDIR /home/a CHDIR / ENV PATH=/bin ENV HOME=/home/a EXEC 3 sh -c 'echo $HOME'
ops USER_SHARED 1000 1000 4242 987654 NAMESPACES 0 0 ROOT /srv/images/x UNDERLAY /opt MKDIR /opt/d TMPFS /opt/d 16777216 \
  DEBUG 1 DEV_MINIMAL /dev EXEC 1 /bin/true
ops USER 0 0 NAMESPACES 1 1 ROOT /cvmfs/a/b PROC /proc DEV_MINIMAL_NO_PTS /dev EXEC 2 ls -l
ops USER_HOST 0 0 NAMESPACES 0 1 ROOT /cvmfs/img EXEC 1 id
{ printf '\1'; printf 'allow setuid = yes\nlimit container paths = /cvmfs, /srv/x/ , NULL\n# comment\n  user   bind control= no\nallow pid ns = yes\nallow ipc ns = no\nallow unowned home = YES\nbind path = /etc/hosts\n'; } >"$work/corpus/config-1"
{ printf '\1'; printf 'allow setuid = maybe\n'; } >"$work/corpus/config-2"
# The words the reader knows, as a dictionary.
{
  for w in USER USER_HOST USER_SHARED NAMESPACES ROOT UNDERLAY MKDIR MKFILE BIND BIND_HOME TMPFS PROC BIND_PROC SYS \
           DEV DEV_MINIMAL DEV_MINIMAL_NO_PTS FILE CHDIR ENV DEBUG EXEC ro rw /cvmfs /srv/images '/..' '/.' '//' \
           'allow setuid' 'user bind control' 'limit container paths' 'allow pid ns' 'allow ipc ns' \
           'allow unowned home' yes no NULL; do
    printf '"%s\\x00"\n' "$w"
  done
} >"$work/dictionary"

echo "starter-fuzz: fuzzing for $seconds s in $work"
set +e
"$work/fuzz-ops" -max_total_time="$seconds" -print_final_stats=1 -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
  -dict="$work/dictionary" -artifact_prefix="$work/crashes/" "$work/corpus" >"$work/log" 2>&1
status=$?
set -e
grep -E '^#[0-9]+[[:space:]]+(DONE|pulse)' "$work/log" | tail -1
grep -E '^stat::' "$work/log"
echo "corpus: $(find "$work/corpus" -type f | wc -l) inputs; crashes: $(find "$work/crashes" -type f | wc -l)"
if [ "$status" -ne 0 ]; then
  echo "starter-fuzz: libFuzzer exited $status; see $work/log and $work/crashes/" >&2
  tail -40 "$work/log" >&2
  exit 1
fi
rm -rf "$work"
