#!/usr/bin/env bash
# Checks that the build's rules bite: a C warning in the starter and a C# warning each fail `dotnet build`, with the
# compiler's own message. Runs on throw-away copies under .test-results/, never on the real tree.
# Prints one line per check and the plain closing line "build-rules: N passed, N failed".
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
work=.test-results/build-rules
rm -rf "$work"
mkdir -p "$work"
passed=0
failed=0

check() { # name, log file, command exit code, pattern the log must contain
  local name=$1 log=$2 rc=$3 pattern=$4
  if [ "$rc" -ne 0 ] && grep -qE -- "$pattern" "$log"; then
    echo "  PASS  $name"
    passed=$((passed + 1))
  else
    echo "  FAIL  $name (exit $rc; expected a failed build whose output matches /$pattern/; log: $log)"
    failed=$((failed + 1))
  fi
}

# 1. A C warning (an unused variable) in the starter fails `dotnet build` of the Runtime project.
mkdir -p "$work/c/Runtime"
cp Runtime/Runtime.csproj Runtime/Program.cs "$work/c/Runtime/"
mkdir -p "$work/c/Runtime/starter"
cp Runtime/starter/Makefile Runtime/starter/*.c "$work/c/Runtime/starter/"
cp Runtime/starter/*.h "$work/c/Runtime/starter/" 2>/dev/null || true
cat >> "$work/c/Runtime/starter/starter.c" <<'C'

void build_rules_probe(void);
void build_rules_probe(void)
{
    int unused_on_purpose = 1;
}
C
dotnet build "$work/c/Runtime/Runtime.csproj" -f net10.0 -c Release > "$work/c.log" 2>&1
check "a C warning fails dotnet build with gcc's message" "$work/c.log" $? "unused_on_purpose.*-Werror=unused"

# 2. A C# warning (a variable assigned and never read, CS0219) fails the build.
mkdir -p "$work/cs"
cat > "$work/cs/Probe.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk" />
XML
cat > "$work/cs/Probe.cs" <<'CS'
namespace Probe;

public static class BuildRulesProbe
{
    public static int Value()
    {
        var unusedOnPurpose = 1;
        return 2;
    }
}
CS
dotnet build "$work/cs/Probe.csproj" -c Release > "$work/cs.log" 2>&1
check "a C# warning (CS0219) fails dotnet build" "$work/cs.log" $? "error CS0219"

# 3. A block-scoped namespace is refused (file-scoped namespaces are the rule).
sed -i 's/^namespace Probe;$/namespace Probe {/; $ a }' "$work/cs/Probe.cs"
sed -i 's/var unusedOnPurpose = 1;//' "$work/cs/Probe.cs"
dotnet build "$work/cs/Probe.csproj" -c Release > "$work/ns.log" 2>&1
check "a block-scoped namespace fails dotnet build (IDE0161)" "$work/ns.log" $? "error IDE0161"

echo "build-rules: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
