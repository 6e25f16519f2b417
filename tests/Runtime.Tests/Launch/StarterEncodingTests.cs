using System.Text;
using CvmfsImages.Runtime;
using CvmfsImages.Runtime.Planning;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Launch;

public sealed class StarterEncodingTests
{
    [Fact]
    public void Ops_fd_format_is_nul_terminated_words()
    {
        var bytes = CvmfsImages.Runtime.Launch.Starter.Encode([Op.User(1, 2), Op.Env("A", "x y\nz"), Op.Exec(["/bin/true"])]);
        Assert.Equal("USER\01\02\0ENV\0A=x y\nz\0EXEC\01\0/bin/true\0", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void A_nul_in_a_value_is_refused()
    {
        var e = Assert.Throws<RuntimeFailureException>(() => CvmfsImages.Runtime.Launch.Starter.Encode([Op.Env("A", "a\0b")]));
        Assert.Contains("NUL character", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Argv_starts_with_the_magic_word_and_names_the_ops_fd()
    {
        Assert.Equal(["/s", Op.ProtocolMagic, "--ops-fd", "7"], CvmfsImages.Runtime.Launch.Starter.Argv("/s", 7));
    }
}
