using System.Text.RegularExpressions;
using CvmfsImages.Runtime.Planning;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Planning;

/// <summary>The C# op codes and the C starter's op table are one list: same ops, same order, same words and arities.</summary>
public sealed partial class OpTests
{
    [Fact]
    public void The_op_codes_mirror_the_starters_OpType_enum_in_order()
    {
        var source = StarterSource();
        var body = Regex.Match(source, @"typedef enum \{(?<body>[^}]*)\} OpType;").Groups["body"].Value;
        var cNames = OpTypeMember().Matches(body).Select(m => m.Groups[1].Value).ToList();

        Assert.NotEmpty(cNames);
        Assert.Equal(cNames, Enum.GetValues<OpCode>().Select(c => Op.Word(c)));
    }

    [Fact]
    public void Every_op_has_the_starters_word_and_arity()
    {
        var table = OpTableEntry().Matches(StarterSource())
            .ToDictionary(m => m.Groups["word"].Value, m => (Type: m.Groups["type"].Value, Arity: m.Groups["arity"].Value));

        Assert.Equal(Enum.GetValues<OpCode>().Length, table.Count);
        foreach (var code in Enum.GetValues<OpCode>())
        {
            var word = Op.Word(code);
            Assert.True(table.TryGetValue(word, out var entry), $"{word} is not in the starter's op_table");
            Assert.Equal("OP_" + word, entry.Type);
            Assert.Equal(Op.Arity(code) == Op.VariableArity ? "ARITY_EXEC" : Op.Arity(code).ToString(System.Globalization.CultureInfo.InvariantCulture), entry.Arity);
        }
    }

    [Fact]
    public void The_factories_give_each_op_its_arity_and_protocol_words()
    {
        Op[] ops =
        [
            Op.User(1000, 100), Op.UserHost(0, 0), Op.UserShared(1000, 100, 42, 123456), Op.Namespaces(pid: true, ipc: false), Op.Root("/img"), Op.Underlay("/etc"), Op.MkDir("/etc/d"),
            Op.MkFile("/etc/f"), Op.Bind("/h", "/c", readOnly: true), Op.BindHome("/home/u", "/home/u"), Op.Tmpfs("/tmp", 16 * 1024 * 1024), Op.Proc("/proc"),
            Op.BindProc("/proc"), Op.Sys("/sys"), Op.Dev("/dev"), Op.DevMinimal("/dev", devPts: true), Op.DevMinimal("/dev", devPts: false),
            Op.File("/etc/passwd", "a:x:1:1::/:/bin/sh\n"), Op.Chdir("/"), Op.Env("A", "b=c"), Op.Debug(), Op.Exec(["ls", "-l"]),
        ];

        Assert.Equal(Enum.GetValues<OpCode>(), ops.Select(o => o.Code));
        foreach (var op in ops.Where(o => o.Code != OpCode.Exec))
        {
            Assert.Equal(Op.Arity(op.Code), op.Args.Count);
        }

        Assert.Equal(
            "USER 1000 100|USER_HOST 0 0|USER_SHARED 1000 100 42 123456|NAMESPACES 1 0|ROOT /img|UNDERLAY /etc|MKDIR /etc/d|MKFILE /etc/f|BIND /h /c ro|BIND_HOME /home/u /home/u|TMPFS /tmp 16777216|PROC /proc|" +
            "BIND_PROC /proc|SYS /sys|DEV /dev|DEV_MINIMAL /dev|DEV_MINIMAL_NO_PTS /dev|FILE /etc/passwd a:x:1:1::/:/bin/sh\n|CHDIR /|ENV A=b=c|DEBUG 1|EXEC 2 ls -l",
            string.Join('|', ops.Select(o => o.ToString())));
        Assert.Throws<ArgumentException>(() => Op.Exec([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Op.Tmpfs("/tmp", -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Op.UserShared(1, 1, 0, 1));
    }

    private static string StarterSource()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Runtime", "starter", "starter.c");
            if (File.Exists(candidate))
            {
                return File.ReadAllText(candidate);
            }
        }

        throw new FileNotFoundException("Runtime/starter/starter.c not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"\bOP_([A-Z_]+),")]
    private static partial Regex OpTypeMember();

    [GeneratedRegex(@"\{ ""(?<word>[A-Z_]+)"", (?<type>OP_[A-Z_]+), (?<arity>[0-9]+|ARITY_EXEC) \}")]
    private static partial Regex OpTableEntry();
}
