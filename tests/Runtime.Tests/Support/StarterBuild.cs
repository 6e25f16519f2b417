namespace CvmfsImages.Tests.Runtime.Support;

/// <summary>
/// Where this checkout's C starter builds are (<c>Runtime/starter/build/</c>, made by <c>make -C Runtime/starter</c>,
/// which <c>dotnet build</c> runs): found by walking up from the test binary's folder.
/// </summary>
public static class StarterBuild
{
    /// <summary>The installed starter.</summary>
    public const string Starter = "starter";

    /// <summary>The test-only build that resolves paths by the component walk of kernels without openat2.</summary>
    public const string Walk = "starter-walk";

    /// <summary>The test-only build that behaves as under AppArmor's user-namespace restriction (and reads a fake sysctl).</summary>
    public const string AppArmorDenied = "starter-apparmor-denied";

    /// <summary>The full path of the build named <paramref name="name"/>, or null when it is not built.</summary>
    public static string? Find(string name = Starter)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Runtime", "starter", "build", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
