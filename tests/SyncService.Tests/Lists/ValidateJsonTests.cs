using System.Text;
using System.Text.Json;
using CvmfsImages.Registry;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.Tests.SyncService.EndToEnd;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Lists;

/// <summary>
/// <c>validate --json</c> through the real command line: the schema's fields, every kind of problem with its line and
/// text, hostile lines that must still give valid JSON, unreadable files, and the exit codes of the text mode.
/// </summary>
public sealed class ValidateJsonTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task A_valid_list_is_one_document_with_the_schema_version_and_summary_and_exit_0()
    {
        using var h = new SyncHarness();
        h.WriteList("# ok", "python:3.12", "", "ghcr.io/org/tool:v1.*");

        var (exit, output, error) = await h.RunCliAsync("validate --offline --json " + h.ListPath);

        Assert.True(exit == ExitCodes.Success, $"exit {exit}\n{output}\n{error}");
        Assert.Equal(string.Empty, error);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(
            ["schemaVersion", "file", "mode", "valid", "exitCode", "error", "summary", "problems"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(h.ListPath, root.GetProperty("file").GetString());
        Assert.Equal("offline", root.GetProperty("mode").GetString());
        Assert.True(root.GetProperty("valid").GetBoolean());
        Assert.Equal(0, root.GetProperty("exitCode").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("error").ValueKind);
        var summary = root.GetProperty("summary");
        Assert.Equal((4, 2, 0, 0, 0), (summary.GetProperty("lines").GetInt32(), summary.GetProperty("images").GetInt32(), summary.GetProperty("problems").GetInt32(), summary.GetProperty("invalid").GetInt32(), summary.GetProperty("unresolvable").GetInt32()));
        Assert.Empty(root.GetProperty("problems").EnumerateArray());
    }

    [Fact]
    public async Task Every_kind_of_problem_has_its_line_text_kind_message_and_other_line_and_exit_3()
    {
        using var h = new SyncHarness();
        h.WriteList(
            "python:3.12",                          // 1
            "Bad Line  # a comment",                // 2 syntax (whitespace inside)
            "docker.io/library/python:3.12",        // 3 duplicate of 1
            "docker.io/org/x:1",                    // 4
            "ghcr.io/org/x:1",                      // 5 path collision with 4
            "org/app:" + new string('a', 5000),     // 6 too long
            "quay.io/org/img@sha256:" + new string('b', 64));

        var (exit, output, error) = await h.RunCliAsync("validate --offline --json " + h.ListPath);

        Assert.True(exit == ExitCodes.ListInvalid, $"exit {exit}\n{output}\n{error}");
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.False(root.GetProperty("valid").GetBoolean());
        Assert.Equal(3, root.GetProperty("exitCode").GetInt32());
        var problems = root.GetProperty("problems").EnumerateArray().ToList();
        Assert.Equal([2, 3, 5, 6], problems.Select(p => p.GetProperty("line").GetInt32()));
        Assert.Equal(["syntax", "duplicate", "path-collision", "line-too-long"], problems.Select(p => p.GetProperty("kind").GetString()));
        Assert.All(problems, p => Assert.Equal(["line", "text", "kind", "message", "otherLine"], p.EnumerateObject().Select(f => f.Name)));
        Assert.Equal("Bad Line  # a comment", problems[0].GetProperty("text").GetString());
        Assert.Contains("whitespace inside", problems[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, problems[0].GetProperty("otherLine").ValueKind);
        Assert.Equal("docker.io/library/python:3.12", problems[1].GetProperty("text").GetString());
        Assert.Equal(1, problems[1].GetProperty("otherLine").GetInt32());
        Assert.Equal(4, problems[2].GetProperty("otherLine").GetInt32());
        Assert.Contains("would both be published at", problems[2].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(("org/app:" + new string('a', 5000))[..4096], problems[3].GetProperty("text").GetString());
        var summary = root.GetProperty("summary");
        Assert.Equal((7, 5, 4, 4), (summary.GetProperty("lines").GetInt32(), summary.GetProperty("images").GetInt32(), summary.GetProperty("problems").GetInt32(), summary.GetProperty("invalid").GetInt32()));
    }

    [Fact]
    public async Task Hostile_lines_with_quotes_control_characters_and_bytes_that_are_not_utf8_come_out_as_valid_json()
    {
        using var h = new SyncHarness();
        byte[][] lines =
        [
            "python:3.12"u8.ToArray(),                                       // 1 fine
            "evil\"quote\\back:1\"}],\"valid\":true,{\""u8.ToArray(),       // 2 JSON injection attempt
            "\u001b[31mred\u001b[0m\u0000nul\u0007bel:1"u8.ToArray(),       // 3 escape sequence, NUL, BEL
            [.. "caf"u8, 0xE9, .. ":1 # latin-1"u8],                        // 4 Latin-1 byte
            [0xFF, 0xFE, .. "bad"u8, 0xC3],                                 // 5 invalid bytes, truncated sequence
            "python:3.12 # comment with \u00e9 and \u2603 in UTF-8"u8.ToArray(), // 6 duplicate of 1; non-ASCII in the comment
            [.. "ok/img:1 # "u8, 0x80, .. " stray continuation"u8],          // 7 valid entry, bad byte in the comment only
            "</script><b>x</b>:1"u8.ToArray(),                             // 8 markup
        ];
        await File.WriteAllBytesAsync(h.ListPath, [.. lines.SelectMany(l => (byte[])[.. l, (byte)'\n'])], TestContext.Current.CancellationToken);

        var (exit, output, error) = await h.RunCliAsync("validate --offline --json " + h.ListPath);

        Assert.True(exit == ExitCodes.ListInvalid, $"exit {exit}\n{output}\n{error}");
        Assert.All(output, c => Assert.True(c < 0x80 && (c >= 0x20 || c is '\n' or '\r'), $"U+{(int)c:X4} in the JSON"));
        using var json = JsonDocument.Parse(output);
        var problems = json.RootElement.GetProperty("problems").EnumerateArray()
            .ToDictionary(p => p.GetProperty("line").GetInt32(), p => (Text: p.GetProperty("text").GetString()!, Kind: p.GetProperty("kind").GetString()!, Message: p.GetProperty("message").GetString()!));

        Assert.Equal([2, 3, 4, 5, 6, 7, 8], problems.Keys.Order());
        Assert.Equal(("evil\"quote\\back:1\"}],\"valid\":true,{\"", "syntax"), (problems[2].Text, problems[2].Kind));
        Assert.Equal(("\u001b[31mred\u001b[0m\u0000nul\u0007bel:1", "syntax"), (problems[3].Text, problems[3].Kind));
        Assert.Equal(("caf\uFFFD:1 # latin-1", "not-utf8"), (problems[4].Text, problems[4].Kind));
        Assert.Equal("not-utf8", problems[5].Kind);
        Assert.StartsWith("\uFFFD", problems[5].Text, StringComparison.Ordinal);
        Assert.EndsWith("bad\uFFFD", problems[5].Text, StringComparison.Ordinal);
        Assert.Equal(("python:3.12 # comment with \u00e9 and \u2603 in UTF-8", "duplicate"), (problems[6].Text, problems[6].Kind));
        Assert.Equal(("ok/img:1 # \uFFFD stray continuation", "not-utf8"), (problems[7].Text, problems[7].Kind));
        Assert.Equal("syntax", problems[8].Kind);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());

        // The text mode names the same lines, and shows control characters instead of sending them to the terminal.
        (exit, output, error) = await h.RunCliAsync("validate --offline " + h.ListPath);
        Assert.True(exit == ExitCodes.ListInvalid, $"exit {exit}\n{output}\n{error}");
        Assert.Contains($"{h.ListPath}:4: line is not UTF-8 text", error, StringComparison.Ordinal);
        Assert.Contains($"{h.ListPath}:7: line is not UTF-8 text", error, StringComparison.Ordinal);
        Assert.Contains("\\u001b[31mred", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', error);
        Assert.DoesNotContain('\u0000', error);

        // A sync refuses the file, naming the first line that is not UTF-8.
        (exit, _, error) = await h.RunCliAsync("sync --once");
        Assert.Equal(ExitCodes.ListInvalid, exit);
        Assert.Contains("is not UTF-8 text (line 4 and 2 more)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Line_numbers_follow_every_line_break_the_parser_knows()
    {
        using var h = new SyncHarness();
        // CRLF, CR, LF, form feed, NEL, LS, PS: the bad line is the 8th, in JSON and in the parser alike.
        var text = "python:3.12\r\nubuntu:24.04\rdebian:12\nalpine:3\fbusybox:1\u0085fedora:40\u2028rocky:9\u2029Bad Line\n";
        await File.WriteAllTextAsync(h.ListPath, text, new UTF8Encoding(false), TestContext.Current.CancellationToken);
        var (exit, output, error) = await h.RunCliAsync("validate --offline --json " + h.ListPath);
        Assert.True(exit == ExitCodes.ListInvalid, $"exit {exit}\n{output}\n{error}");
        using var json = JsonDocument.Parse(output);
        var problem = Assert.Single(json.RootElement.GetProperty("problems").EnumerateArray());
        Assert.Equal((8, "Bad Line"), (problem.GetProperty("line").GetInt32(), problem.GetProperty("text").GetString()));
        Assert.Equal(8, json.RootElement.GetProperty("summary").GetProperty("lines").GetInt32());

        // The same with a byte that is not UTF-8 on line 8: the slow decoder numbers lines as the parser does.
        await File.WriteAllBytesAsync(h.ListPath, [.. Encoding.UTF8.GetBytes(text[..^"Bad Line\n".Length]), 0xFF, (byte)'\n'], TestContext.Current.CancellationToken);
        (exit, output, error) = await h.RunCliAsync("validate --offline --json " + h.ListPath);
        Assert.True(exit == ExitCodes.ListInvalid, $"exit {exit}\n{output}\n{error}");
        using var again = JsonDocument.Parse(output);
        problem = Assert.Single(again.RootElement.GetProperty("problems").EnumerateArray());
        Assert.Equal((8, "not-utf8", "\uFFFD"), (problem.GetProperty("line").GetInt32(), problem.GetProperty("kind").GetString(), problem.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task An_unreadable_list_is_still_a_document_with_exit_3_and_a_bad_option_is_exit_2_with_nothing_on_stdout()
    {
        using var h = new SyncHarness();
        var missing = h.Combine("nope.txt");

        var (exit, output, error) = await h.RunCliAsync("validate --offline --json " + missing);

        Assert.True(exit == ExitCodes.ListInvalid, $"exit {exit}\n{output}\n{error}");
        using (var json = JsonDocument.Parse(output))
        {
            Assert.Equal(3, json.RootElement.GetProperty("exitCode").GetInt32());
            Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
            Assert.Contains(missing, json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Empty(json.RootElement.GetProperty("problems").EnumerateArray());
        }

        h.WriteList("python:3.12");
        (exit, output, error) = await h.RunCliAsync("validate --offline --json " + h.ListPath, "--set", "Sync:MaxConcurrentPulls=0");
        Assert.True(exit == ExitCodes.Usage, $"exit {exit}\n{output}\n{error}");
        Assert.Equal(string.Empty, output);
        Assert.Contains("Sync:MaxConcurrentPulls", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Online_problems_are_told_apart_unresolvable_no_matching_tag_registry_unavailable_and_exit_1()
    {
        var registry = fixture.Registry;
        var ct = TestContext.Current.CancellationToken;
        using (var client = new RegistryClient(new RegistryClientOptions()))
        {
            await TestImage.Create().WithLayer(TestFile.Text("etc/v", "1\n")).PushAsync(client, $"{registry.Host}/json/app:1.0", ct);
        }

        using var h = new SyncHarness();
        h.WriteList(
            $"{registry.Host}/json/app:1.0",       // 1 resolves
            $"{registry.Host}/json/app:9.9",       // 2 the registry says: no such manifest
            $"{registry.Host}/json/app:2.*",       // 3 matches no tag
            "127.0.0.1:9/down/app:1");             // 4 nothing listens

        var (exit, output, error) = await h.RunCliAsync("validate --json " + h.ListPath);

        Assert.True(exit == ExitCodes.ImagesFailed, $"exit {exit}\n{output}\n{error}");
        using var json = JsonDocument.Parse(output);
        Assert.Equal("online", json.RootElement.GetProperty("mode").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("exitCode").GetInt32());
        var problems = json.RootElement.GetProperty("problems").EnumerateArray().ToList();
        Assert.Equal([(2, "unresolvable"), (3, "no-matching-tag"), (4, "registry-unavailable")], problems.Select(p => (p.GetProperty("line").GetInt32(), p.GetProperty("kind").GetString())));
        Assert.Equal($"{registry.Host}/json/app:9.9", problems[0].GetProperty("text").GetString());
        var summary = json.RootElement.GetProperty("summary");
        Assert.Equal((0, 3), (summary.GetProperty("invalid").GetInt32(), summary.GetProperty("unresolvable").GetInt32()));
    }
}
