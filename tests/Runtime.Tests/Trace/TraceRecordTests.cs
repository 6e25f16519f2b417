using System.Text;
using CvmfsImages.Runtime.Native;
using CvmfsImages.Runtime.Trace;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Trace;

/// <summary>The trace record's text and framing, the publisher's metadata, and the parent process key.</summary>
public sealed class TraceRecordTests
{
    private static TraceInput Input(IReadOnlyList<string>? command = null, Dictionary<string, string>? env = null, PublishedImage? published = null) => new(
        new DateTimeOffset(2026, 11, 23, 13, 6, 7, 89, TimeSpan.Zero), 1000, "alice", 4321, 99, "exec", "/cvmfs/r/img:1", "/cvmfs/r/.images/ab/cd",
        published, "/home/alice", command ?? ["python3", "-c", "print(1)"], env ?? [], ["GLIDEIN_*", "X509_USER_PROXY"]);

    [Fact]
    public void Fields_in_a_fixed_order_every_value_quoted()
    {
        var text = TraceRecord.Format(Input(env: new() { ["X509_USER_PROXY"] = "/tmp/x509up", ["GLIDEIN_Site"] = "T2", ["OTHER"] = "no", ["X509_CERT_DIR"] = "no" }));

        Assert.Equal(
            "container-start time=\"2026-11-23T13:06:07.089Z\" uid=\"1000\" user=\"alice\" pid=\"4321\" ppid=\"99\" action=\"exec\" " +
            "image=\"/cvmfs/r/img:1\" image_resolved=\"/cvmfs/r/.images/ab/cd\" cwd=\"/home/alice\" command=\"python3 -c 'print(1)'\" " +
            "env.GLIDEIN_Site=\"T2\" env.X509_USER_PROXY=\"/tmp/x509up\"",
            text);
    }

    [Fact]
    public void The_publisher_s_source_and_digest_come_after_the_paths()
    {
        var digest = "sha256:" + new string('e', 64);
        var text = TraceRecord.Format(Input(published: new PublishedImage(["docker.io/library/python:3.12", "ghcr.io/x/py:3"], digest)));

        Assert.Contains($"image_resolved=\"/cvmfs/r/.images/ab/cd\" image_source=\"docker.io/library/python:3.12 ghcr.io/x/py:3\" image_digest=\"{digest}\" cwd=", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a\"b", "a\\\"b")]
    [InlineData("back\\slash", "back\\\\slash")]
    [InlineData("two\nlines\r", "two\\x0alines\\x0d")]
    [InlineData("tab\tdel\u007f", "tab\\x09del\\x7f")]
    [InlineData("nel\u0085ls\u2028", "nel\\u0085ls\\u2028")]
    [InlineData("grüße", "grüße")]
    public void Control_characters_quotes_and_backslashes_are_escaped(string value, string escaped)
    {
        var text = TraceRecord.Format(Input(env: new() { ["GLIDEIN_X"] = value }));

        Assert.EndsWith($" env.GLIDEIN_X=\"{escaped}\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Long_values_and_many_variables_are_cut_and_listed_as_truncated()
    {
        var env = Enumerable.Range(0, 40).ToDictionary(i => $"GLIDEIN_V{i:D2}", i => i == 0 ? new string('v', 1000) : "x");
        var text = TraceRecord.Format(Input(command: ["cat", new string('c', 5000)], env: env));

        Assert.Contains($"env.GLIDEIN_V00=\"{new string('v', TraceRecord.MaxValueChars)}...\" ", text, StringComparison.Ordinal);
        Assert.Contains("env.GLIDEIN_V31=", text, StringComparison.Ordinal);
        Assert.DoesNotContain("env.GLIDEIN_V32=", text, StringComparison.Ordinal);
        Assert.Contains($"command=\"cat {new string('c', TraceRecord.MaxCommandChars - 4)}...\"", text, StringComparison.Ordinal);
        Assert.EndsWith(" truncated=\"command,env.GLIDEIN_V00,env\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_variables_with_valid_names_are_selected()
    {
        var selected = TraceRecord.Selected(new Dictionary<string, string> { ["GLIDEIN_a b"] = "1", ["GLIDEIN_ok"] = "2", ["GLIDEIN"] = "3" }, ["GLIDEIN_*"]);

        Assert.Equal(["GLIDEIN_ok"], selected.Select(kv => kv.Key));
    }

    [Fact]
    public void The_command_is_written_as_a_shell_would_read_it_back()
    {
        Assert.Equal("ls -l /tmp/a:b key=v,w", TraceRecord.Command(["ls", "-l", "/tmp/a:b", "key=v,w"]));
        Assert.Equal("sh -c 'echo it'\\''s' ''", TraceRecord.Command(["sh", "-c", "echo it's", ""]));
    }

    [Fact]
    public void The_frame_is_glibc_s_syslog_format_and_at_most_8_KiB_on_a_character_boundary()
    {
        var frame = Encoding.UTF8.GetString(Syslog.Frame(16, 42, new DateTime(2026, 3, 4, 5, 6, 7), "hello"));
        Assert.Equal("<133>Mar  4 05:06:07 singularity[42]: hello", frame);

        var big = Syslog.Frame(4, 1, new DateTime(2026, 12, 24, 23, 59, 59), new string('é', 6000));
        Assert.True(big.Length <= 8192);
        Assert.StartsWith("<37>Dec 24 23:59:59 singularity[1]: ", Encoding.UTF8.GetString(big), StringComparison.Ordinal);
        Assert.DoesNotContain('\uFFFD', Encoding.UTF8.GetString(big));
    }

    [Theory]
    [InlineData("user", 1)]
    [InlineData("daemon", 3)]
    [InlineData("auth", 4)]
    [InlineData("AuthPriv", 10)]
    [InlineData("local0", 16)]
    [InlineData("local7", 23)]
    [InlineData("local8", null)]
    [InlineData("kern", null)]
    [InlineData("", null)]
    public void Facilities_by_name(string name, int? code) => Assert.Equal(code, SyslogFacility.Parse(name));

    [Fact]
    public void Publisher_metadata_of_schema_1_gives_sources_and_digest_and_anything_else_gives_nothing()
    {
        var digest = "sha256:" + new string('0', 64);
        var ok = PublishedImage.Parse(Encoding.UTF8.GetBytes($$"""{"schemaVersion":1,"configDigest":"x","extra":{"a":[1,2]},"manifestDigest":"{{digest}}","sources":["a/b:1","c/d:2"],"size":5}"""));

        Assert.NotNull(ok);
        Assert.Equal(["a/b:1", "c/d:2"], ok.Sources);
        Assert.Equal(digest, ok.ManifestDigest);
        Assert.Null(PublishedImage.Parse(Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"manifestDigest":"{{digest}}"}""")));
        Assert.Null(PublishedImage.Parse(Encoding.UTF8.GetBytes("""{"schemaVersion":1,"manifestDigest":"sha256:zz"}""")));
        Assert.Null(PublishedImage.Parse(Encoding.UTF8.GetBytes("""{"schemaVersion":1}""")));
        Assert.Null(PublishedImage.Parse(Encoding.UTF8.GetBytes("[1,2]")));
        Assert.Null(PublishedImage.Parse(Encoding.UTF8.GetBytes("{\"schemaVersion\":1,")));
    }

    [Fact]
    public void Metadata_the_caller_could_have_written_does_not_count()
    {
        using var dir = new CvmfsImages.TestSupport.TempDirectory("rt-meta");
        var image = Directory.CreateDirectory(dir.Combine("cd")).FullName;
        File.WriteAllText(image + ".json", $$"""{"schemaVersion":1,"manifestDigest":"sha256:{{new string('1', 64)}}","sources":["a:1"]}""");
        File.SetUnixFileMode(image + ".json", (UnixFileMode)0b110_100_100);
        var owner = FileStatus.Of(image + ".json").Uid;

        Assert.NotNull(PublishedImage.Find(image, owner + 1));
        Assert.Null(PublishedImage.Find(image, owner));
        File.SetUnixFileMode(image + ".json", (UnixFileMode)0b110_110_100);
        Assert.Null(PublishedImage.Find(image, owner + 1));
        Assert.Null(PublishedImage.Find(dir.Combine("missing"), owner + 1));
    }

    [Theory]
    [InlineData("4242 (bash) S 1 4242 4242 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 987654 1000 200", 987654UL)]
    [InlineData("77 (a) b (c) S 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 31337 0 0", 31337UL)]
    [InlineData("77 (short) S 1 2", null)]
    [InlineData("no parenthesis", null)]
    public void The_parent_s_start_time_is_field_22_whatever_its_command_name(string stat, ulong? start) =>
        Assert.Equal(start, ParentProcess.StartTimeOf(stat));

    [Fact]
    public void The_parent_of_this_process_is_named_by_its_pid_and_start_time()
    {
        var parent = ParentProcess.Current();

        var ppid = File.ReadAllText("/proc/self/stat").Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.Equal(ppid, parent.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(ParentProcess.StartTimeOf(File.ReadAllText($"/proc/{parent.Pid}/stat")), parent.StartTime);
    }
}
