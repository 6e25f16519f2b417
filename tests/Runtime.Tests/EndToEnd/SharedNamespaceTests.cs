using CvmfsImages.Tests.Runtime.Support;
using CvmfsImages.TestSupport;
using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>SharedNamespaceBehaviour, with the unprivileged starter (user namespaces).</summary>
[Collection(FrontEndTestGroup.Name)]
public sealed class SharedNamespaceTests(FrontEndSandbox sandbox) : SharedNamespaceBehaviour(sandbox);

/// <summary>SharedNamespaceBehaviour, in setuid mode (a node without unprivileged user namespaces, installed with --setuid).</summary>
[Collection(SetuidFrontEndTestGroup.Name)]
public sealed class SharedNamespaceSetuidTests(SetuidFrontEndSandbox sandbox) : SharedNamespaceBehaviour(sandbox);

/// <summary>
/// <c>--sharens</c>: the containers one parent process starts (MPI ranks) share one user namespace, so that shared
/// memory and cross-memory attach work between them: first without MPI (two containers started by this test
/// process), then Debian's Open MPI running a ring of 4 ranks, with and without sharing.
/// </summary>
public abstract class SharedNamespaceBehaviour(FrontEndSandbox sandbox)
{
    private static readonly string[] HostOpenMpi =
    [
        // The host's Open MPI and the libraries it loads, bound into the busybox image (which has no libc).
        "-B", "/usr/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:ro", "-B", "/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:ro",
        "-B", "/usr/lib64:/lib64:ro", "-B", "/usr/share/openmpi:/usr/share/openmpi:ro", "-B", "/etc/openmpi:/etc/openmpi:ro",
        // Debian reaches libpsm_infinipath through an alternatives link.
        "-B", "/etc/alternatives:/etc/alternatives:ro", "-B", "/usr/lib/libpsm1:/usr/lib/libpsm1:ro",
    ];

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, "APPTAINER_SHARENS")]
    [InlineData(false, "SINGULARITY_SHARENS")]
    public void Two_containers_of_one_parent_share_the_user_namespace_and_can_read_each_other_s_memory(bool option, string? variable)
    {
        var image = CmaImage();
        string[] share = option ? ["--sharens"] : [];
        var env = variable is null ? null : new Dictionary<string, string> { [variable] = "true" };
        using var holder = sandbox.Start(["exec", .. share, image, "/bin/cma-probe", "hold"], env: env);
        var held = holder.StandardOutput.ReadLine()?.Split(' ');
        Assert.True(held is { Length: 3 }, "cma-probe hold printed nothing: " + (holder.HasExited ? holder.StandardError.ReadToEnd() : "(running)"));

        var reader = sandbox.Run(["exec", .. share, image, "/bin/cma-probe", "read", held[0], held[1]], env: env);
        var alone = sandbox.Run(["exec", image, "/bin/cma-probe", "read", held[0], held[1]]);
        holder.StandardInput.Close();
        Assert.True(holder.WaitForExit(TimeSpan.FromSeconds(60)));

        Assert.True(reader.ExitCode == 0, reader.ToString());
        Assert.Equal($"cma-secret-{held[0]} {held[2]}\n", reader.Stdout);
        if (sandbox.IsSetuid)
        {
            // Setuid mode: no user namespace at all; every container of the caller is in the host's, as any two of
            // its processes are, so cross-memory attach works with or without --sharens.
            Assert.True(alone.ExitCode == 0, alone.ToString());
            Assert.Equal(reader.Stdout, alone.Stdout);
            Assert.Equal(0, holder.ExitCode);
            return;
        }

        Assert.Equal(1, alone.ExitCode);
        Assert.StartsWith("process_vm_readv: Operation not permitted", alone.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(held[2], alone.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, holder.ExitCode);
    }

    [Theory]
    [InlineData("-p", "-p/--pid")]
    [InlineData("-i", "-i/--ipc")]
    [InlineData("-C", "--containall (which implies -p and -i)")]
    public void Sharens_with_a_PID_or_IPC_namespace_is_refused(string option, string named)
    {
        var r = sandbox.Run(["exec", "--sharens", option, sandbox.Image, "echo", "ran"]);

        Assert.Equal(255, r.ExitCode);
        Assert.Contains($"--sharens cannot be combined with {named}", r.Stderr, StringComparison.Ordinal);
        Assert.Empty(r.Stdout);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_Open_MPI_ring_of_4_ranks_shares_one_namespace_and_a_clean_stderr_only_with_sharens(bool share)
    {
        var mpirun = RequiredTool.Require("mpirun", "openmpi-bin");
        var image = MpiImage();
        var home = sandbox.CreateFolder("mpi-home", ownedByNobody: true);
        string[] sharens = share ? ["--sharens"] : [];

        var r = sandbox.Run(
            ["exec", .. sharens, .. HostOpenMpi, image, "/bin/mpi-ring"],
            env: new() { ["HOME"] = home },
            launcher: [mpirun, "-np", "4", "--oversubscribe"]);

        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("ring: token 3 after 4 ranks, block intact", lines);
        var namespaces = lines.Where(l => l.StartsWith("rank ", StringComparison.Ordinal)).Select(l => l.Split(' ')[^1]).ToList();
        Assert.Equal(4, namespaces.Count);
        if (share || sandbox.IsSetuid)
        {
            // Setuid mode: the host's user namespace for every rank, shared with or without --sharens.
            Assert.Single(namespaces.Distinct());
            Assert.True(r.Stderr.Length == 0, "stderr is not clean: " + r.Stderr);
        }
        else
        {
            // The control: what every run printed before --sharens (the report): the CMA warning, and on some
            // runs instead the error Open MPI hits while sending that warning's text between its processes.
            Assert.Equal(4, namespaces.Distinct().Count());
            Assert.Matches("not available due to different user namespaces|ORTE_ERROR_LOG: Data unpack would read past end of buffer", r.Stderr);
        }
    }

    private string CmaImage() => Image("img-cma", NativeHelper.BuildCmaProbe);

    private string MpiImage() => Image("img-mpi", NativeHelper.BuildMpiRing);

    private string Image(string name, Func<string, string> build)
    {
        var image = Path.Combine(sandbox.Root, name);
        lock (sandbox)
        {
            if (!Directory.Exists(image))
            {
                BusyboxImage.Create(image);
                build(image);
                Directory.CreateDirectory(Path.Combine(image, "etc", "openmpi"));
                Directory.CreateDirectory(Path.Combine(image, "etc", "alternatives"));
                BusyboxImage.MakeReadable(image);
            }
        }

        return image;
    }
}
