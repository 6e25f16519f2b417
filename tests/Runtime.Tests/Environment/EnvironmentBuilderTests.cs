using CvmfsImages.Runtime;
using CvmfsImages.Runtime.Diagnostics;
using CvmfsImages.Runtime.Environment;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Environment;

public sealed class EnvironmentBuilderTests : IDisposable
{
    private readonly StringWriter _stderr = new();

    public void Dispose() => _stderr.Dispose();

    private ContainerEnvironment Build(
        Dictionary<string, string> host,
        bool clean = false,
        IReadOnlyList<(string, string)>? files = null,
        IReadOnlyList<string>? env = null) =>
        EnvironmentBuilder.Build(host, clean, "/home/u", "u", [new("SINGULARITY_NAME", "img")], files ?? [], env ?? [],
            new Messages(_stderr, MessageLevel.Info, 1000, 1));

    private static Dictionary<string, string> Initial(ContainerEnvironment e) => e.Initial.ToDictionary(kv => kv.Key, kv => kv.Value);

    private static Dictionary<string, string> User(ContainerEnvironment e) => e.UserDefined.ToDictionary(kv => kv.Key, kv => kv.Value);

    [Fact]
    public void Host_passes_through_except_the_runtime_s_own_home_path_and_ld_library_path()
    {
        var e = Build(new()
        {
            ["FOO"] = "bar", ["HOME"] = "/root", ["PATH"] = "/host/bin", ["LD_LIBRARY_PATH"] = "/host/lib",
            ["SINGULARITY_BIND"] = "/x", ["APPTAINER_FOO"] = "1", ["SINGULARITYENV_X"] = "1", ["__SINGULARITY_FORCE_X"] = "evil",
        });
        var initial = Initial(e);
        Assert.Equal("bar", initial["FOO"]);
        Assert.Equal("/home/u", initial["HOME"]);
        Assert.Equal(EnvironmentBuilder.DefaultPath, initial["PATH"]);
        Assert.Equal("img", initial["SINGULARITY_NAME"]);
        Assert.False(initial.ContainsKey("LD_LIBRARY_PATH"));
        Assert.DoesNotContain(initial.Keys, k => k.StartsWith("SINGULARITY_B", StringComparison.Ordinal) || k.StartsWith("APPTAINER", StringComparison.Ordinal) || k.StartsWith("__SING", StringComparison.Ordinal) || k.StartsWith("SINGULARITYENV", StringComparison.Ordinal));
        Assert.Equal("1", User(e)["X"]);
    }

    [Fact]
    public void Cleanenv_keeps_only_term_and_proxies_and_sets_lang_c()
    {
        var e = Build(new() { ["FOO"] = "bar", ["TERM"] = "xterm", ["https_proxy"] = "http://p", ["LANG"] = "de_DE.UTF-8" }, clean: true);
        var initial = Initial(e);
        Assert.Equal("C", initial["LANG"]);
        Assert.Equal("xterm", initial["TERM"]);
        Assert.Equal("http://p", initial["https_proxy"]);
        Assert.False(initial.ContainsKey("FOO"));
    }

    [Fact]
    public void Precedence_env_over_env_file_over_apptainerenv_over_singularityenv()
    {
        var host = new Dictionary<string, string>
        {
            ["A"] = "host", ["B"] = "host", ["C"] = "host", ["D"] = "host",
            ["SINGULARITYENV_A"] = "singularityenv", ["SINGULARITYENV_B"] = "singularityenv", ["SINGULARITYENV_C"] = "singularityenv", ["SINGULARITYENV_D"] = "singularityenv",
            ["APPTAINERENV_A"] = "apptainerenv", ["APPTAINERENV_B"] = "apptainerenv", ["APPTAINERENV_C"] = "apptainerenv",
        };
        var e = Build(host, files: [("f", "A=file\nB=file\n")], env: ["A=option"]);
        var user = User(e);
        Assert.Equal("option", user["A"]);
        Assert.Equal("file", user["B"]);
        Assert.Equal("apptainerenv", user["C"]);
        Assert.Equal("singularityenv", user["D"]);
        // The host value of a user-defined variable is not passed (the user-defined one is exported after the image's scripts).
        Assert.False(Initial(e).ContainsKey("A"));
    }

    [Fact]
    public void Path_requests_are_kept_apart_and_home_cannot_be_overridden()
    {
        var e = Build(new() { ["SINGULARITYENV_PREPEND_PATH"] = "/pre", ["APPTAINERENV_APPEND_PATH"] = "/app", ["SINGULARITYENV_HOME"] = "/evil" }, env: ["PATH=/only"]);
        Assert.Equal("/pre", e.PrependPath);
        Assert.Equal("/app", e.AppendPath);
        Assert.Equal("/only", e.PathOverride);
        Assert.False(User(e).ContainsKey("HOME"));
        Assert.False(User(e).ContainsKey("PATH"));
        Assert.Contains("overriding HOME is not permitted", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_names_are_skipped_with_a_warning()
    {
        var e = Build(new() { ["SINGULARITYENV_A-B"] = "1", ["SINGULARITYENV_1X"] = "2" });
        Assert.Empty(e.UserDefined);
        Assert.Contains("'A-B' is not a valid variable name", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Flatten_applies_user_values_path_requests_and_libs()
    {
        var e = Build(new() { ["SINGULARITYENV_FOO"] = "x", ["SINGULARITYENV_PREPEND_PATH"] = "/pre", ["SINGULARITYENV_LD_LIBRARY_PATH"] = "/l" });
        var flat = EnvironmentBuilder.Flatten(e).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("x", flat["FOO"]);
        Assert.Equal("/pre:" + EnvironmentBuilder.DefaultPath, flat["PATH"]);
        Assert.Equal("/l:/.singularity.d/libs", flat["LD_LIBRARY_PATH"]);
    }

    [Theory]
    [InlineData("A=1", "A", "1")]
    [InlineData("A=1,2", "A", "1,2")]
    [InlineData("A=x=y", "A", "x=y")]
    [InlineData("A=", "A", "")]
    public void Env_option_values(string option, string key, string value)
    {
        var kv = Assert.Single(EnvironmentBuilder.ParseEnvOption(option));
        Assert.Equal(key, kv.Key);
        Assert.Equal(value, kv.Value);
    }

    [Fact]
    public void Env_option_lists_and_errors()
    {
        Assert.Equal(["A", "B"], EnvironmentBuilder.ParseEnvOption("A=1,B=2").Select(kv => kv.Key));
        var e = Assert.Throws<RuntimeFailureException>(() => EnvironmentBuilder.ParseEnvOption("novalue"));
        Assert.Contains("--env 'novalue': expected NAME=VALUE", e.Message, StringComparison.Ordinal);
        Assert.Throws<RuntimeFailureException>(() => EnvironmentBuilder.ParseEnvOption("1A=2"));
    }

    [Fact]
    public void Env_file_syntax()
    {
        var entries = EnvFileParser.Parse("# c\n\nexport A=1\nB=\"two words\"\nC='x'\nD=a=b\r\n", "f.env").ToList();
        Assert.Equal(["A", "B", "C", "D"], entries.Select(e => e.Name));
        Assert.Equal(["1", "two words", "x", "a=b"], entries.Select(e => e.Value));
        Assert.Equal([3, 4, 5, 6], entries.Select(e => e.Line));
    }

    [Theory]
    [InlineData("A=1\nnot a line\n", "f.env:2")]
    [InlineData("1A=2", "f.env:1")]
    [InlineData("=x", "f.env:1")]
    public void Env_file_errors_name_file_and_line(string content, string where)
    {
        var e = Assert.Throws<RuntimeFailureException>(() => EnvFileParser.Parse(content, "f.env").ToList());
        Assert.StartsWith("--env-file " + where + ": expected NAME=VALUE", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrapper_environment_carries_forced_values_under_a_prefix()
    {
        var e = Build(new() { ["SINGULARITYENV_FOO"] = "a b", ["SINGULARITYENV_APPEND_PATH"] = "/app" });
        var w = ShellWrapper.Environment(e).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("a b", w["__SINGULARITY_FORCE_FOO"]);
        Assert.Equal("FOO", w["__SINGULARITY_FORCE_NAMES"]);
        Assert.Equal("/app", w["SING_USER_DEFINED_APPEND_PATH"]);
        Assert.DoesNotContain("FOO", w.Keys);
    }

    [Fact]
    public void USER_is_the_callers_name_when_the_host_passes_none_and_the_host_s_or_a_user_value_otherwise()
    {
        Assert.Equal("u", Initial(Build([]))["USER"]);
        Assert.Equal("u", Initial(Build(new() { ["USER"] = "someone" }, clean: true))["USER"]);
        Assert.Equal("someone", Initial(Build(new() { ["USER"] = "someone" }))["USER"]);
        var e = Build(new() { ["SINGULARITYENV_USER"] = "chosen" });
        Assert.False(Initial(e).ContainsKey("USER"));
        Assert.Equal("chosen", User(e)["USER"]);
    }

    [Theory]
    [InlineData(null, "/.singularity.d/libs")]
    [InlineData("", "/.singularity.d/libs")]
    [InlineData("/opt/lib", "/opt/lib:/.singularity.d/libs")]
    [InlineData("/.singularity.d/libs:/opt/lib", "/.singularity.d/libs:/opt/lib")]
    [InlineData("/opt/lib:/.singularity.d/libs", "/opt/lib:/.singularity.d/libs")]
    [InlineData("/.singularity.d/libs2", "/.singularity.d/libs2:/.singularity.d/libs")]
    public void The_libs_directory_is_appended_once(string? before, string after) =>
        Assert.Equal(after, EnvironmentBuilder.AppendLibs(before));
}
