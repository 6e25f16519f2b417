using CvmfsImages.Runtime.Nvidia;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Nvidia;

public sealed class NvidiaLibrariesTests
{
    private const string Ldconfig = """
        571 libs found in cache `/etc/ld.so.cache'
        	libnvidia-ml.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1
        	libnvidia-ml.so.1 (libc6) => /usr/lib/i386-linux-gnu/libnvidia-ml.so.1
        	libcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1
        	libcuda.so.1 (libc6,x86-64) => /usr/lib64/libcuda.so.1
        	libcuda.so (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so
        	libcudart.so.12 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.12
        	libz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1
        garbage line
        """;

    [Fact]
    public void Matches_list_prefixes_first_hit_per_name_and_architecture()
    {
        var list = NvidiaLibraries.ParseList("# comment\nnvidia-smi\nlibcuda.so\nlibnvidia-ml.so\n");
        var libs = NvidiaLibraries.MatchLibraries(list, Ldconfig);
        Assert.Equal(
            ["libnvidia-ml.so.1=/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", "libcuda.so.1=/usr/lib/x86_64-linux-gnu/libcuda.so.1", "libcuda.so=/usr/lib/x86_64-linux-gnu/libcuda.so"],
            libs.Select(kv => kv.Key + "=" + kv.Value));
        // libcudart is not a driver library: "libcuda.so" is a prefix of its name only up to "libcuda", not "libcuda.so".
        Assert.DoesNotContain(libs, kv => kv.Key.StartsWith("libcudart", StringComparison.Ordinal));
    }

    [Fact]
    public void No_driver_no_matches()
    {
        Assert.Empty(NvidiaLibraries.MatchLibraries(["libcuda.so"], "\tlibz.so.1 (libc6,x86-64) => /lib/libz.so.1\n"));
    }

    [Fact]
    public void The_shipped_list_names_the_driver_libraries()
    {
        var list = NvidiaLibraries.ParseList(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, NvidiaLibraries.ListFileName)));
        Assert.Contains("libcuda.so", list);
        Assert.Contains("libnvidia-ml.so", list);
        Assert.Contains("nvidia-smi", list);
    }
}
