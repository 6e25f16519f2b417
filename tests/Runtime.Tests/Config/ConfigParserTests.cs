using CvmfsImages.Runtime;
using CvmfsImages.Runtime.Config;
using CvmfsImages.Runtime.Diagnostics;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Config;

public sealed class ConfigParserTests : IDisposable
{
    private readonly StringWriter _stderr = new();

    public void Dispose() => _stderr.Dispose();

    private RuntimeConfig Parse(string text) =>
        ConfigParser.Parse(text, "/etc/x/singularity.conf", new Messages(_stderr, MessageLevel.Info, 1000, 1));

    [Fact]
    public void Empty_file_gives_singularity_defaults()
    {
        var c = Parse("# nothing\n\n");
        Assert.True(c.AllowPidNs && c.AllowIpcNs && c.ConfigPasswd && c.ConfigGroup && c.ConfigResolvConf);
        Assert.True(c.MountProc && c.MountSys && c.MountDevPts && c.MountHome && c.MountTmp && c.UserBindControl && c.AllowContainerDir);
        Assert.Equal(DevMode.Yes, c.MountDev);
        Assert.False(c.AlwaysUseNv);
        Assert.Equal(16, c.SessionDirMaxSizeMiB);
        Assert.Empty(c.BindPaths);
        Assert.Empty(c.LimitContainerPaths);
        Assert.False(c.AllowUnownedHome);
        Assert.False(c.AllowSetuid);
        Assert.True(c.RootKeepsCapabilities);
        Assert.True(c.TraceSyslog);
        Assert.Equal(16, c.TraceFacility);
        Assert.Equal("/dev/log", c.TraceSocket);
        Assert.Equal(["GLIDEIN_*", "CONDOR_*", "_CONDOR_JOB_AD", "X509_USER_PROXY", "SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID", "JOB_ID"], c.TraceEnvironment);
    }

    [Fact]
    public void Trace_home_and_root_keys()
    {
        var c = Parse("trace syslog = no\ntrace facility = AUTHPRIV\ntrace socket = /run/log.sock\ntrace environment = A_*, B\n" +
            "allow unowned home = yes\nroot default capabilities = no\nallow setuid = yes\n");
        Assert.True(c.AllowSetuid);
        Assert.False(c.TraceSyslog);
        Assert.Equal(10, c.TraceFacility);
        Assert.Equal("/run/log.sock", c.TraceSocket);
        Assert.Equal(["A_*", "B"], c.TraceEnvironment);
        Assert.True(c.AllowUnownedHome);
        Assert.False(c.RootKeepsCapabilities);
        Assert.Equal(23, Parse("trace facility = local7\n").TraceFacility);
        Assert.Empty(Parse("trace environment = NULL\n").TraceEnvironment);
        Assert.True(Parse("root default capabilities = full\n").RootKeepsCapabilities);
        Assert.Empty(_stderr.ToString());
        Assert.False(Parse("root default capabilities = file\n").RootKeepsCapabilities);
        Assert.Contains("'root default capabilities = file' is not supported (there is no capability file); using 'no'", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("trace facility = kern", "'trace facility' must be one of user, daemon, auth, authpriv, local0 ... local7, not 'kern'")]
    [InlineData("trace facility = local8", "not 'local8'")]
    [InlineData("trace socket = dev/log", "'trace socket' must be an absolute path of at most 107 bytes")]
    [InlineData("trace environment = GLIDEIN_*, BAD-NAME", "'trace environment' entry 'BAD-NAME' is not a variable name or a prefix ending in *")]
    [InlineData("trace environment = *", "'trace environment' entry '*' is not a variable name")]
    [InlineData("trace syslog = maybe", "'trace syslog' must be yes or no, not 'maybe'")]
    [InlineData("root default capabilities = some", "'root default capabilities' must be full, file or no, not 'some'")]
    [InlineData("allow unowned home = 1", "'allow unowned home' must be yes or no, not '1'")]
    [InlineData("allow setuid = sometimes", "'allow setuid' must be yes or no, not 'sometimes'")]
    public void Bad_values_of_the_new_keys_quote_the_line(string line, string why)
    {
        var e = Assert.Throws<RuntimeFailureException>(() => Parse("mount proc = yes\n" + line + "\n"));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("/etc/x/singularity.conf:2: ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith($": '{line}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_file_is_singularity_defaults_plus_cvmfs()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "singularity.conf");
        var c = Parse(File.ReadAllText(path));
        Assert.Equal(["/etc/localtime", "/etc/hosts", "/cvmfs"], c.BindPaths.Select(b => b.Source));
        Assert.True(c.AllowPidNs && c.MountHome && c.UserBindControl);
        Assert.Equal(DevMode.Yes, c.MountDev);
        Assert.Empty(_stderr.ToString());
    }

    [Fact]
    public void Every_key_is_read()
    {
        var c = Parse("""
            allow pid ns = no
            allow ipc ns = NO
            config passwd = no
            config group = no
            config resolv_conf = no
            mount proc = no
            mount sys = no
            mount dev = minimal
            mount devpts = no
            mount home = no
            mount tmp = no
            bind path = /a
            bind path   =   /b:/c
            user bind control = no
            limit container paths = /cvmfs, /opt/images/
            allow container dir = no
            always use nv = yes
            sessiondir max size = 64
            """);
        Assert.False(c.AllowPidNs || c.AllowIpcNs || c.ConfigPasswd || c.ConfigGroup || c.ConfigResolvConf);
        Assert.False(c.MountProc || c.MountSys || c.MountDevPts || c.MountHome || c.MountTmp || c.UserBindControl || c.AllowContainerDir);
        Assert.Equal(DevMode.Minimal, c.MountDev);
        Assert.True(c.AlwaysUseNv);
        Assert.Equal(64, c.SessionDirMaxSizeMiB);
        Assert.Equal(["/a", "/b"], c.BindPaths.Select(b => b.Source));
        Assert.Equal(["/a", "/c"], c.BindPaths.Select(b => b.Destination));
        Assert.Equal(["/cvmfs", "/opt/images"], c.LimitContainerPaths);
    }

    [Fact]
    public void Mount_dev_no()
    {
        Assert.Equal(DevMode.No, Parse("mount dev = no").MountDev);
    }

    [Theory]
    [InlineData("allow pid ns = maybe", 1, "'allow pid ns' must be yes or no, not 'maybe'")]
    [InlineData("allow ipc ns =", 1, "'allow ipc ns' must be yes or no, not ''")]
    [InlineData("config passwd = 1", 1, "'config passwd' must be yes or no")]
    [InlineData("config group = true", 1, "'config group' must be yes or no")]
    [InlineData("config resolv_conf = y", 1, "'config resolv_conf' must be yes or no")]
    [InlineData("mount proc = on", 1, "'mount proc' must be yes or no")]
    [InlineData("mount sys = off", 1, "'mount sys' must be yes or no")]
    [InlineData("mount devpts = x", 1, "'mount devpts' must be yes or no")]
    [InlineData("mount home = nope", 1, "'mount home' must be yes or no")]
    [InlineData("mount tmp = yess", 1, "'mount tmp' must be yes or no")]
    [InlineData("user bind control = 0", 1, "'user bind control' must be yes or no")]
    [InlineData("allow container dir = -", 1, "'allow container dir' must be yes or no")]
    [InlineData("always use nv = always", 1, "'always use nv' must be yes or no")]
    [InlineData("mount dev = some", 1, "'mount dev' must be yes, no or minimal, not 'some'")]
    [InlineData("sessiondir max size = 16M", 1, "'sessiondir max size' must be a whole number")]
    [InlineData("sessiondir max size = 0", 1, "'sessiondir max size' must be a whole number")]
    [InlineData("sessiondir max size = -5", 1, "'sessiondir max size' must be a whole number")]
    [InlineData("bind path = relative/path", 1, "the source 'relative/path' is not an absolute path")]
    [InlineData("bind path = /a:rel", 1, "is not an absolute path")]
    [InlineData("bind path = /a:/b:zz", 1, "unknown option 'zz'")]
    [InlineData("bind path =", 1, "'bind path' needs a path")]
    [InlineData("limit container paths = cvmfs", 1, "'limit container paths' entry 'cvmfs' is not an absolute path")]
    [InlineData("# ok\nmount proc yes", 2, "expected 'key = value'")]
    [InlineData("= yes", 1, "expected 'key = value'")]
    public void Bad_lines_are_errors_quoting_file_line_and_text(string text, int line, string why)
    {
        var e = Assert.Throws<RuntimeFailureException>(() => Parse(text));
        Assert.StartsWith($"/etc/x/singularity.conf:{line}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.EndsWith($"'{text.Split('\n')[line - 1].Trim()}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_keys_warn_known_singularity_keys_do_not()
    {
        var c = Parse("allow setuid = yes\nenable overlay = try\nfrobnicate = 3\nmount proc = no\n");
        Assert.False(c.MountProc);
        var warnings = _stderr.ToString();
        Assert.Contains("WARNING: /etc/x/singularity.conf:3: unknown configuration key 'frobnicate'", warnings, StringComparison.Ordinal);
        Assert.DoesNotContain("allow setuid", warnings, StringComparison.Ordinal);
        Assert.DoesNotContain("enable overlay", warnings, StringComparison.Ordinal);
    }

    [Fact]
    public void Repeated_single_key_warns_and_the_later_wins()
    {
        var c = Parse("mount home = no\nmount home = yes\n");
        Assert.True(c.MountHome);
        Assert.Contains("'mount home' repeats line 1", _stderr.ToString(), StringComparison.Ordinal);
    }
}
