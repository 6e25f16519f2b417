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
        var bytes = CvmfsImages.Runtime.Launch.Starter.Encode([Op.Of("USER", "1", "2"), Op.Of("ENV", "A=x y\nz"), new Op("EXEC", ["1", "/bin/true"])]);
        Assert.Equal("USER\01\02\0ENV\0A=x y\nz\0EXEC\01\0/bin/true\0", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void A_nul_in_a_value_is_refused()
    {
        var e = Assert.Throws<RuntimeFailureException>(() => CvmfsImages.Runtime.Launch.Starter.Encode([Op.Of("ENV", "A=a\0b")]));
        Assert.Contains("NUL character", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Argv_form_starts_with_the_magic_word()
    {
        Assert.Equal(["/s", Op.ProtocolMagic, "CHDIR", "/"], Op.ToArgv("/s", [Op.Of("CHDIR", "/")]));
    }
}
