using Xunit;

namespace CvmfsImages.TestSupport;

/// <summary>
/// Finds the system tools that real-component tests need. A missing tool makes the test skipped outside CI (with the
/// install command in the reason) and failed under CI (<c>CI=true</c>), where the test command installs everything.
/// </summary>
public static class RequiredTool
{
    /// <summary>True when running under CI, where a missing tool is a failure, not a skip.</summary>
    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The absolute path of <paramref name="name"/> on PATH (or in /usr/sbin, /sbin), or null.</summary>
    public static string? Find(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        var dirs = path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin", "/usr/bin"]);
        foreach (var dir in dirs)
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// The path of <paramref name="name"/>; when it is missing, skips the calling test (or fails it under CI) with a
    /// reason that says which Debian package provides it.
    /// </summary>
    public static string Require(string name, string debianPackage)
    {
        var found = Find(name);
        if (found is null)
        {
            SkipOrFail($"'{name}' is not installed: run `apt-get install {debianPackage}` (or ./test.sh as root, which installs it)");
        }

        return found;
    }

    /// <summary>Skips the current test outside CI; fails it under CI. Never returns.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void SkipOrFail(string reason)
    {
        if (IsCi)
        {
            Assert.Fail($"{reason} [CI=true: a missing test dependency is a failure]");
        }

        Assert.Skip(reason);
    }
}
