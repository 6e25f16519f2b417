using CvmfsImages.Runtime;
using CvmfsImages.Runtime.Config;
using CvmfsImages.Runtime.Diagnostics;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Config;

/// <summary>The override variable is honoured only for files only root can have written. Needs root (CI) to chown.</summary>
public sealed class ConfigFileLocatorTests : IDisposable
{
    private readonly TempDirectory _dir = new("rt-conf");
    private readonly StringWriter _stderr = new();

    public ConfigFileLocatorTests()
    {
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b111_101_101);
    }

    public void Dispose() => _dir.Dispose();

    private Messages Messages => new(_stderr, MessageLevel.Debug, 0, 1);

    private string Write(string name, string text, UnixFileMode mode)
    {
        var path = _dir.Combine(name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private const UnixFileMode Mode644 = (UnixFileMode)0b110_100_100;

    [Fact]
    public void A_root_owned_override_in_a_safe_directory_is_used()
    {
        RequireRoot();
        var path = Write("ok.conf", "mount proc = no\n", Mode644);
        var c = ConfigFileLocator.Load(new Dictionary<string, string> { [ConfigFileLocator.OverrideVariable] = path }, Messages);
        Assert.Equal(path, c.Path);
        Assert.False(c.MountProc);
    }

    [Fact]
    public void An_override_writable_by_others_is_ignored_with_a_warning()
    {
        RequireRoot();
        var path = Write("loose.conf", "mount proc = no\n", (UnixFileMode)0b110_110_110);
        Assert.Contains("writable by group or others", ConfigFileLocator.Untrusted(path), StringComparison.Ordinal);
        var env = new Dictionary<string, string> { [ConfigFileLocator.OverrideVariable] = path };
        if (File.Exists(ConfigFileLocator.DefaultPath))
        {
            // Falls back to the installed compiled-in file, never to the untrusted one.
            Assert.Equal(ConfigFileLocator.DefaultPath, ConfigFileLocator.Load(env, Messages).Path);
        }
        else
        {
            var e = Assert.Throws<RuntimeFailureException>(() => ConfigFileLocator.Load(env, Messages));
            Assert.Contains(ConfigFileLocator.DefaultPath, e.Message, StringComparison.Ordinal);
        }

        Assert.Contains($"ignoring {ConfigFileLocator.OverrideVariable}={path}", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_override_not_owned_by_root_is_untrusted()
    {
        RequireRoot();
        var path = Write("nobody.conf", "\n", Mode644);
        File.SetUnixFileMode(path, Mode644);
        Chown(path, 65534);
        Assert.Contains("is not owned by root", ConfigFileLocator.Untrusted(path), StringComparison.Ordinal);
    }

    [Fact]
    public void An_override_in_a_directory_others_can_write_is_untrusted()
    {
        RequireRoot();
        var sub = Directory.CreateDirectory(_dir.Combine("open")).FullName;
        File.SetUnixFileMode(sub, (UnixFileMode)0b111_111_111);
        var path = Path.Combine(sub, "x.conf");
        File.WriteAllText(path, "\n");
        File.SetUnixFileMode(path, Mode644);
        Assert.Contains($"directory {sub} is writable by group or others", ConfigFileLocator.Untrusted(path), StringComparison.Ordinal);
    }

    [Fact]
    public void A_symlink_is_judged_by_its_target()
    {
        RequireRoot();
        var target = Write("target.conf", "\n", (UnixFileMode)0b110_110_110);
        var link = _dir.Combine("link.conf");
        File.CreateSymbolicLink(link, target);
        Assert.Contains("writable by group or others", ConfigFileLocator.Untrusted(link), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_and_relative_overrides_are_untrusted()
    {
        Assert.Contains("does not exist", ConfigFileLocator.Untrusted(_dir.Combine("none.conf")), StringComparison.Ordinal);
        Assert.Equal("not an absolute path", ConfigFileLocator.Untrusted("relative.conf"));
    }

    private static void RequireRoot()
    {
        if (CvmfsImages.Runtime.Native.Libc.GetUid() != 0)
        {
            RequiredTool.SkipOrFail("ownership checks need root (CI runs the tests as root)");
        }
    }

    private static void Chown(string path, int uid)
    {
        using var p = System.Diagnostics.Process.Start("chown", [uid.ToString(System.Globalization.CultureInfo.InvariantCulture), path]);
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }
}
