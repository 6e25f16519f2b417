using System.Globalization;
using System.Net.Sockets;
using CvmfsImages.Tests.Runtime.Support;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Starter;

/// <summary>
/// The user-namespace ops: USER_SHARED (containers of one parent share one user namespace: same namespace, working
/// cross-memory attach, nothing left behind, never another user's), USER_HOST (root keeps its capabilities), and
/// the FATAL message under Ubuntu's AppArmor restriction (a test build fakes the kernel's answer and the sysctl).
/// </summary>
[Collection(StarterTestGroup.Name)]
public sealed class StarterUserNamespaceTests(StarterSandbox sandbox)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private string[] Shared(string key, string? image = null) =>
    [
        "USER_SHARED", sandbox.Uid.ToString(CultureInfo.InvariantCulture), sandbox.Gid.ToString(CultureInfo.InvariantCulture), key, "4242",
        "NAMESPACES", "0", "0", "ROOT", image ?? sandbox.Image, "BIND_PROC", "/proc", "ENV", "PATH=/bin",
    ];

    private static string NewKey() => Random.Shared.Next(100_000, 4_000_000).ToString(CultureInfo.InvariantCulture);

    [Fact]
    public void Two_containers_with_the_same_key_share_one_user_namespace_and_cross_memory_attach_works()
    {
        var image = CmaImage();
        var key = NewKey();
        var holder = sandbox.Start([.. Shared(key, image), .. StarterSandbox.Exec("/bin/cma-probe", "hold")]);
        var held = holder.WaitForFirstLine(ReadyTimeout)?.Split(' ');
        Assert.True(held is { Length: 3 }, "cma-probe hold printed nothing: " + holder.Stderr);

        var reader = sandbox.Run([.. Shared(key, image), .. StarterSandbox.Exec("/bin/cma-probe", "read", held[0], held[1])]);
        var other = sandbox.Run([.. Shared(NewKey(), image), .. StarterSandbox.Exec("readlink", "/proc/self/ns/user")]);
        holder.Process.StandardInput.Close();
        var holderResult = StarterSandbox.Run(holder);

        Assert.True(reader.ExitCode == 0, reader.ToString());
        Assert.Equal($"cma-secret-{held[0]} {held[2]}\n", reader.Stdout);
        Assert.NotEqual(new FileInfo("/proc/self/ns/user").LinkTarget, held[2]);
        Assert.True(other.ExitCode == 0, other.ToString());
        Assert.NotEqual(held[2] + "\n", other.Stdout);
        Assert.True(holderResult.ExitCode == 0, holderResult.ToString());
    }

    [Fact]
    public void Without_sharing_the_kernel_refuses_cross_memory_attach_between_containers()
    {
        // The control for the test above: separate user namespaces are what makes MPI's CMA fail.
        var image = CmaImage();
        var holder = sandbox.Start([.. sandbox.Standard(pid: false, image), .. StarterSandbox.Exec("/bin/cma-probe", "hold")]);
        var held = holder.WaitForFirstLine(ReadyTimeout)?.Split(' ');
        Assert.True(held is { Length: 3 }, "cma-probe hold printed nothing: " + holder.Stderr);

        var reader = sandbox.Run([.. sandbox.Standard(pid: false, image), .. StarterSandbox.Exec("/bin/cma-probe", "read", held[0], held[1])]);
        holder.Process.StandardInput.Close();
        StarterSandbox.Run(holder);

        Assert.Equal(1, reader.ExitCode);
        Assert.StartsWith("process_vm_readv: Operation not permitted ", reader.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void The_rendezvous_is_gone_when_the_first_container_ends_and_a_later_one_creates_a_new_namespace()
    {
        var key = NewKey();
        var name = $"@cvmfs-images-sharens-{sandbox.Uid}-{key}-4242";
        var first = sandbox.Start([.. Shared(key), .. StarterSandbox.Shell("echo $$ $(readlink /proc/self/ns/user); read line || true")]);
        var firstLine = first.WaitForFirstLine(ReadyTimeout)?.Split(' ');
        Assert.True(firstLine is { Length: 2 }, first.Stderr.ToString());
        var firstNamespace = firstLine[1];
        Assert.True(AbstractSocketExists(name), name + " is not listening while the first container runs");
        // Held open by the test, the first namespace outlives its container, so the kernel cannot give its inode
        // number to the later one (it recycles them): a different number then means a different namespace.
        using var pinned = File.OpenHandle($"/proc/{firstLine[0]}/ns/user");

        first.Process.StandardInput.Close();
        Assert.Equal(0, StarterSandbox.Run(first).ExitCode);
        Assert.False(AbstractSocketExists(name), name + " is left behind after the container ended");

        var later = sandbox.Run([.. Shared(key), .. StarterSandbox.Exec("readlink", "/proc/self/ns/user")]);
        Assert.True(later.ExitCode == 0, later.ToString());
        Assert.NotEqual(firstNamespace + "\n", later.Stdout);
        Assert.False(AbstractSocketExists(name));
    }

    [Fact]
    public void A_rendezvous_held_by_another_user_is_refused_and_nothing_runs()
    {
        if (!sandbox.IsRoot)
        {
            CvmfsImages.TestSupport.RequiredTool.SkipOrFail("needs root: the squatting socket must belong to another uid than the starter's");
        }

        var key = NewKey();
        using var squatter = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        squatter.Bind(new UnixDomainSocketEndPoint($"\0cvmfs-images-sharens-{sandbox.Uid}-{key}-4242"));
        squatter.Listen(4);

        var r = sandbox.Run([.. Shared(key), .. StarterSandbox.Exec("echo", "ran")]);

        Assert.Equal(255, r.ExitCode);
        Assert.Contains($"is held by uid 0, not by the caller (uid {sandbox.Uid}); refusing to share", r.Stderr, StringComparison.Ordinal);
        Assert.Empty(r.Stdout);
    }

    [Theory]
    [InlineData("1", "0")]
    [InlineData("0", "1")]
    public void A_shared_user_namespace_takes_no_PID_or_IPC_namespace(string pid, string ipc)
    {
        string[] ops = [.. Shared(NewKey())];
        ops[6] = pid;
        ops[7] = ipc;
        var r = sandbox.Run([.. ops, .. StarterSandbox.Exec("true")]);

        Assert.Equal(255, r.ExitCode);
        Assert.Contains($"NAMESPACES {pid} {ipc}: USER_SHARED takes no PID or IPC namespace", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Root_with_USER_HOST_keeps_its_capabilities_in_the_host_user_namespace(bool pid)
    {
        string[] ops = ["USER_HOST", "0", "0", .. sandbox.Standard(pid)[3..], .. StarterSandbox.Shell("grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; readlink /proc/self/ns/user")];
        var r = StarterSandbox.Run(sandbox.Start(ops, asRoot: true));

        Assert.True(r.ExitCode == 0, r.ToString());
        var status = File.ReadLines("/proc/self/status").Where(l => l.StartsWith("CapBnd:", StringComparison.Ordinal)).Single();
        var mask = status.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.Contains($"CapEff:\t{mask}\n", r.Stdout, StringComparison.Ordinal);
        Assert.Contains($"CapBnd:\t{mask}\n", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("NoNewPrivs:\t1\n", r.Stdout, StringComparison.Ordinal);
        Assert.EndsWith(new FileInfo("/proc/self/ns/user").LinkTarget + "\n", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void USER_HOST_is_refused_to_a_caller_that_is_not_root()
    {
        var r = sandbox.Run(["USER_HOST", sandbox.Uid.ToString(CultureInfo.InvariantCulture), sandbox.Gid.ToString(CultureInfo.InvariantCulture), .. sandbox.Standard(pid: false)[3..], .. StarterSandbox.Exec("true")]);

        if (sandbox.Uid == 0)
        {
            Assert.Equal(0, r.ExitCode);
            return;
        }

        Assert.Equal(255, r.ExitCode);
        Assert.Contains("only a root caller may stay in the host's user namespace", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("0", false)]
    [InlineData(null, false)]
    public void Under_AppArmor_s_user_namespace_restriction_the_FATAL_names_the_cause_and_the_fix(string? sysctl, bool named)
    {
        if (sandbox.StarterAppArmorDenied is null)
        {
            CvmfsImages.TestSupport.RequiredTool.SkipOrFail("Runtime/starter/build/starter-apparmor-denied is not built: run `make -C Runtime/starter`");
        }

        // The fake sysctl lives in a tmpfs over /run in the test's own mount namespace (root only).
        var setup = "mount -t tmpfs tmpfs /run && mkdir -p " + Path.GetDirectoryName(StarterSandbox.FakeAppArmorSysctl) +
            (sysctl is null ? string.Empty : $" && echo {sysctl} > {StarterSandbox.FakeAppArmorSysctl}");
        var r = sandbox.Run([.. sandbox.Standard(pid: false), .. StarterSandbox.Exec("echo", "ran")], shellSetup: setup, privateMounts: true, starter: sandbox.StarterAppArmorDenied);

        Assert.Equal(255, r.ExitCode);
        Assert.Empty(r.Stdout);
        Assert.StartsWith("FATAL:   starter: USER: cannot write \"deny\" to /proc/self/setgroups: Operation not permitted", r.Stderr, StringComparison.Ordinal);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        if (named)
        {
            Assert.Contains("AppArmor restricts unprivileged user namespaces on this host (kernel.apparmor_restrict_unprivileged_userns = 1)", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("deploy/install-worker-node.sh", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("apparmor_parser -r /etc/apparmor.d/cvmfs-images-starter", r.Stderr, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain("AppArmor", r.Stderr, StringComparison.Ordinal);
        }
    }

    private string CmaImage()
    {
        var image = Path.Combine(sandbox.Root, "cma-image");
        lock (sandbox)
        {
            if (!File.Exists(Path.Combine(image, "bin", "cma-probe")))
            {
                sandbox.CreateImage("cma-image");
                NativeHelper.BuildCmaProbe(image);
            }
        }

        return image;
    }

    private static bool AbstractSocketExists(string name) =>
        File.ReadLines("/proc/net/unix").Any(l => l.EndsWith(" " + name, StringComparison.Ordinal));
}
