using CvmfsImages.Runtime;
using CvmfsImages.Runtime.Environment;
using CvmfsImages.Runtime.Nvidia;
using CvmfsImages.Runtime.Planning;
using CvmfsImages.Tests.Runtime.Support;
using Xunit;

namespace CvmfsImages.Tests.Runtime.Planning;

/// <summary>The op list for typical invocations: what is mounted where, what is created, cwd, env, payload.</summary>
public sealed class ContainerPlannerTests : IClassFixture<PlannerFixture>
{
    private readonly PlannerFixture _f;

    public ContainerPlannerTests(PlannerFixture fixture)
    {
        _f = fixture;
    }

    private static List<string> Lines(ContainerPlan plan) =>
        [.. plan.Ops.Where(o => o.Code is not OpCode.Env and not OpCode.Exec and not OpCode.File).Select(o => o.ToString())];

    private static Dictionary<string, string> Env(ContainerPlan plan) =>
        plan.Ops.Where(o => o.Code == OpCode.Env).Select(o => o.Args[0].Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    private static List<string> Exec(ContainerPlan plan) => [.. plan.Ops[^1].Args.Skip(1)];

    private static string FileOp(ContainerPlan plan, string path) => plan.Ops.Single(o => o.Code == OpCode.File && o.Args[0] == path).Args[1];

    [Fact]
    public void Typical_exec()
    {
        var (plan, _) = _f.Plan(["exec", _f.Image, "id", "-u"], cwd: Path.Combine(_f.Home, "work"), userHome: _f.Home);
        var lines = Lines(plan);
        Assert.Equal(["USER 1000 1000", "NAMESPACES 0 0", $"ROOT {_f.Image}"], lines.Take(3));
        Assert.Equal(["BIND_PROC /proc", "SYS /sys", "DEV /dev"], lines.Where(l => l.EndsWith("/proc", StringComparison.Ordinal) || l.EndsWith("/sys", StringComparison.Ordinal) || l.EndsWith("/dev", StringComparison.Ordinal)));
        Assert.Contains($"BIND_HOME {_f.Home} {_f.Home}", lines);
        Assert.Equal([$"CHDIR {_f.Home}/work", $"CHDIR {_f.Home}", "CHDIR /"], lines.TakeLast(3));
        Assert.DoesNotContain(lines, l => l.StartsWith("MKFILE /etc/", StringComparison.Ordinal));
        Assert.Equal("root:x:0:0:root:/root:/bin/sh\nu:x:1000:1000:A User:" + _f.Home + ":/bin/sh\n", FileOp(plan, "/etc/passwd"));
        Assert.Equal("root:x:0:\ng:x:1000:u\n", FileOp(plan, "/etc/group"));
        var env = Env(plan);
        Assert.Equal("host-foo", env["FOO"]);
        Assert.Equal(_f.Home, env["HOME"]);
        Assert.Equal(_f.Image, env["SINGULARITY_CONTAINER"]);
        Assert.Equal("img", env["SINGULARITY_NAME"]);
        Assert.Equal(_f.Image, env["APPTAINER_CONTAINER"]);
        Assert.Equal(["/bin/sh", "-c", ShellWrapper.Script, "/.singularity.d/actions/exec", "id", "-u"], Exec(plan));
        Assert.Equal(OpCode.Exec, plan.Ops[^1].Code);
        Assert.Equal("6", plan.Ops[^1].Args[0]);
    }

    [Fact]
    public void Home_missing_on_the_host_is_not_mounted_and_its_missing_destination_is_created_for_contain()
    {
        var (plan, _) = _f.Plan(["exec", _f.Image, "true"]);
        Assert.DoesNotContain(Lines(plan), l => l.Contains("/home/u", StringComparison.Ordinal));
        var (contained, _) = _f.Plan(["exec", "-c", _f.Image, "true"]);
        var lines = Lines(contained);
        Assert.Contains("UNDERLAY /home", lines);
        Assert.True(lines.IndexOf("MKDIR /home/u") < lines.IndexOf("TMPFS /home/u 16777216"));
        Assert.Equal("/home/u", contained.WorkingDirectory);
    }

    [Fact]
    public void Pid_namespace_gives_a_new_proc_unless_the_config_forbids_it()
    {
        var (plan, _) = _f.Plan(["exec", "-p", "-i", _f.Image, "true"]);
        Assert.Contains("NAMESPACES 1 1", Lines(plan));
        Assert.Contains("PROC /proc", Lines(plan));

        var (denied, messages) = _f.Plan(["exec", "-p", "-i", _f.Image, "true"], config: "allow pid ns = no\nallow ipc ns = no\n");
        Assert.Contains("NAMESPACES 0 0", Lines(denied));
        Assert.Contains("BIND_PROC /proc", Lines(denied));
        Assert.Contains("'allow pid ns = no'", messages, StringComparison.Ordinal);
        Assert.Contains("'allow ipc ns = no'", messages, StringComparison.Ordinal);
    }

    [Fact]
    public void Contain_uses_minimal_dev_and_session_tmpfs_for_tmp_and_home()
    {
        var (plan, _) = _f.Plan(["exec", "--contain", _f.Image, "true"], config: "sessiondir max size = 2\n");
        var lines = Lines(plan);
        Assert.Contains("DEV_MINIMAL /dev", lines);
        Assert.Contains("TMPFS /tmp 2097152", lines);
        Assert.Contains("TMPFS /var/tmp 2097152", lines);
        Assert.Contains("TMPFS /home/u 2097152", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("BIND ", StringComparison.Ordinal));
    }

    [Fact]
    public void Containall_is_contain_pid_ipc_cleanenv()
    {
        var (plan, _) = _f.Plan(["exec", "-C", _f.Image, "true"]);
        Assert.Contains("NAMESPACES 1 1", Lines(plan));
        Assert.Contains("DEV_MINIMAL /dev", Lines(plan));
        Assert.False(Env(plan).ContainsKey("FOO"));
        Assert.Equal("C", Env(plan)["LANG"]);
    }

    [Fact]
    public void Contain_with_workdir_binds_its_subdirectories()
    {
        var work = Directory.CreateDirectory(Path.Combine(_f.Root, "w1")).FullName;
        var (plan, _) = _f.Plan(["exec", "-c", "-W", work, "-S", "/scratch/a", _f.Image, "true"]);
        var lines = Lines(plan);
        Assert.Contains($"BIND {work}/tmp /tmp rw", lines);
        Assert.Contains($"BIND {work}/var_tmp /var/tmp rw", lines);
        Assert.Contains($"BIND_HOME {work}/home /home/u", lines);
        Assert.Contains($"BIND {work}/scratch/scratch_a /scratch/a rw", lines);
        Assert.True(Directory.Exists(Path.Combine(work, "var_tmp")));
    }

    [Fact]
    public void Scratch_without_workdir_is_a_tmpfs_created_under_an_underlay()
    {
        var (plan, _) = _f.Plan(["exec", "-S", "/scratch", _f.Image, "true"]);
        var lines = Lines(plan);
        Assert.Contains("UNDERLAY /", lines);
        Assert.True(lines.IndexOf("MKDIR /scratch") < lines.IndexOf("TMPFS /scratch 16777216"));
    }

    [Fact]
    public void Binds_read_write_read_only_files_and_missing_destinations()
    {
        var (plan, _) = _f.Plan(["exec", "-B", $"{_f.Data}:/opt/data:ro,{_f.DataFile}:/etc/data.txt", "--bind", $"{_f.Data}:/new/deep", _f.Image, "true"]);
        var lines = Lines(plan);
        Assert.Contains($"BIND {_f.Data} /opt/data ro", lines);
        Assert.Contains("MKDIR /opt/data", lines);
        Assert.Contains("UNDERLAY /opt", lines);
        Assert.Contains("MKFILE /etc/data.txt", lines);
        Assert.Contains($"BIND {_f.DataFile} /etc/data.txt rw", lines);
        Assert.Contains("UNDERLAY /etc", lines);
        Assert.Equal(["MKDIR /new", "MKDIR /new/deep", $"BIND {_f.Data} /new/deep rw"], lines.Where(l => l.Contains("/new", StringComparison.Ordinal)));
        // Underlays come before every mount, parents first.
        var firstMount = lines.FindIndex(l => l.StartsWith("MKDIR", StringComparison.Ordinal) || l.StartsWith("BIND", StringComparison.Ordinal));
        Assert.True(lines.FindLastIndex(l => l.StartsWith("UNDERLAY", StringComparison.Ordinal)) < firstMount);
        Assert.True(lines.IndexOf("UNDERLAY /") < lines.IndexOf("UNDERLAY /etc"));
    }

    [Fact]
    public void Parents_are_mounted_first_whatever_the_order_given()
    {
        var (plan, _) = _f.Plan(["exec", "-B", $"{_f.Data}/sub:/opt/d/sub,{_f.Data}:/opt/d", _f.Image, "true"]);
        var lines = Lines(plan);
        Assert.True(lines.IndexOf($"BIND {_f.Data} /opt/d rw") < lines.IndexOf($"BIND {_f.Data}/sub /opt/d/sub rw"));
        // /opt/d/sub exists in the bound host directory: nothing is created there.
        Assert.DoesNotContain("MKDIR /opt/d/sub", lines);
    }

    [Fact]
    public void A_missing_destination_inside_a_host_bind_is_refused()
    {
        var e = Assert.Throws<RuntimeFailureException>(() => _f.Plan(["exec", "-B", $"{_f.Data}:/opt/d,{_f.Data}:/opt/d/nothere", _f.Image, "true"]));
        Assert.Contains("/opt/d/nothere does not exist in the container", e.Message, StringComparison.Ordinal);
        Assert.Contains("does not create files on the host", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Type_mismatch_between_source_and_destination_is_refused()
    {
        var e = Assert.Throws<RuntimeFailureException>(() => _f.Plan(["exec", "-B", $"{_f.DataFile}:/etc", _f.Image, "true"]));
        Assert.Contains("/etc is a directory in the container but the source is a file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_bind_source_and_binding_over_root_are_refused()
    {
        var e = Assert.Throws<RuntimeFailureException>(() => _f.Plan(["exec", "-B", "/does/not/exist:/x", _f.Image, "true"]));
        Assert.Equal("--bind: source /does/not/exist does not exist on the host", e.Message);
        e = Assert.Throws<RuntimeFailureException>(() => _f.Plan(["exec", "-B", $"{_f.Data}:/", _f.Image, "true"]));
        Assert.Contains("refusing to mount over the container's root", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Symlinked_destinations_bind_inside_the_image()
    {
        var image = BusyboxImage.Create(Path.Combine(_f.Root, "links"));
        Directory.CreateDirectory(Path.Combine(image, "a/b/c"));
        File.CreateSymbolicLink(Path.Combine(image, "var/etc"), "/etc");
        File.CreateSymbolicLink(Path.Combine(image, "a/b/c/x"), "../../../../..");
        File.CreateSymbolicLink(Path.Combine(image, "hostetc"), "/etc/ssl");
        var (plan, _) = _f.Plan(["exec", "-B", $"{_f.Data}:/var/etc/d,{_f.Data}:/a/b/c/x/up,{_f.Data}:/hostetc", image, "true"]);
        var lines = Lines(plan);
        Assert.Contains($"BIND {_f.Data} /etc/d rw", lines);
        Assert.Contains($"BIND {_f.Data} /up rw", lines);
        // /etc/ssl exists on the host but not in the image: it is created in the container, never taken from the host.
        Assert.Contains("MKDIR /etc/ssl", lines);
        Assert.Contains($"BIND {_f.Data} /etc/ssl rw", lines);
    }

    [Fact]
    public void Working_directory_rules()
    {
        // The current directory exists in the image: kept.
        Assert.Equal("/opt", _f.Plan(["exec", _f.Image, "true"], cwd: "/opt").Plan.WorkingDirectory);
        // Not in the image: home (bound).
        Assert.Equal(_f.Home, _f.Plan(["exec", _f.Image, "true"], cwd: "/nowhere/at/all", userHome: _f.Home).Plan.WorkingDirectory);
        // Neither (no home mounted, and the image has no such directory): /.
        Assert.Equal("/", _f.Plan(["exec", "--no-home", _f.Image, "true"], cwd: "/nowhere", userHome: _f.Home).Plan.WorkingDirectory);
        // --pwd wins.
        Assert.Equal("/etc", _f.Plan(["exec", "--pwd", "/etc", _f.Image, "true"], cwd: "/opt").Plan.WorkingDirectory);
        var e = Assert.Throws<RuntimeFailureException>(() => _f.Plan(["exec", "--pwd", "/nope", _f.Image, "true"]));
        Assert.Equal("--pwd /nope: no such directory in the container", e.Message);
    }

    [Fact]
    public void Custom_home_and_no_home()
    {
        var (plan, _) = _f.Plan(["exec", "-H", $"{_f.Data}:/home/custom", _f.Image, "true"], config: "allow unowned home = yes");
        Assert.Contains($"BIND_HOME {_f.Data} /home/custom", Lines(plan));
        Assert.Equal("/home/custom", Env(plan)["HOME"]);
        Assert.Contains(":/home/custom:", FileOp(plan, "/etc/passwd"), StringComparison.Ordinal);

        var (noHome, _) = _f.Plan(["exec", "--no-home", _f.Image, "true"], userHome: _f.Home);
        Assert.DoesNotContain(Lines(noHome), l => l.Contains(_f.Home, StringComparison.Ordinal) && l.StartsWith("BIND", StringComparison.Ordinal));
        Assert.Equal(_f.Home, Env(noHome)["HOME"]);

        var e = Assert.Throws<RuntimeFailureException>(() => _f.Plan(["exec", "-H", "/no/such/home", _f.Image, "true"]));
        Assert.Equal("--home: source /no/such/home does not exist on the host", e.Message);
    }

    [Fact]
    public void A_custom_home_the_caller_does_not_own_is_refused_unless_allowed_or_the_caller_is_root()
    {
        var e = Assert.Throws<RuntimeFailureException>(() => _f.Plan(["exec", "-H", $"{_f.Data}:/home/custom", _f.Image, "true"]));
        Assert.StartsWith($"--home {_f.Data}:/home/custom: home directory {_f.Data} is not owned by the calling user (it is owned by uid ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("'allow unowned home = yes' in /etc/test.conf", e.Message, StringComparison.Ordinal);
        Assert.Contains($"BIND_HOME {_f.Data} /home/custom", Lines(_f.Plan(["exec", "-H", $"{_f.Data}:/home/custom", _f.Image, "true"], uid: 0).Plan));
    }

    [Fact]
    public void The_user_op_is_a_new_namespace_a_shared_one_or_for_root_none()
    {
        Assert.Equal("USER 1000 1000", Lines(_f.Plan(["exec", _f.Image, "true"]).Plan)[0]);
        Assert.Equal("USER_SHARED 1000 1000 4242 987654", Lines(_f.Plan(["exec", "--sharens", _f.Image, "true"]).Plan)[0]);
        Assert.Equal("USER_HOST 0 1000", Lines(_f.Plan(["exec", _f.Image, "true"], uid: 0).Plan)[0]);
        Assert.Equal("USER_HOST 0 1000", Lines(_f.Plan(["exec", "--sharens", _f.Image, "true"], uid: 0).Plan)[0]);
        Assert.Equal("USER 0 1000", Lines(_f.Plan(["exec", "--no-privs", _f.Image, "true"], uid: 0).Plan)[0]);
        Assert.Equal("USER_SHARED 0 1000 4242 987654", Lines(_f.Plan(["exec", "--no-privs", "--sharens", _f.Image, "true"], uid: 0).Plan)[0]);
        Assert.Equal("USER 0 1000", Lines(_f.Plan(["exec", _f.Image, "true"], config: "root default capabilities = no", uid: 0).Plan)[0]);
    }

    [Fact]
    public void Config_keys_turn_features_off()
    {
        var config = """
            mount proc = no
            mount sys = no
            mount dev = no
            mount home = no
            mount tmp = no
            config passwd = no
            config group = no
            user bind control = no
            """;
        var (plan, messages) = _f.Plan(["exec", "-B", $"{_f.Data}:/opt/d", _f.Image, "true"], config: config);
        var lines = Lines(plan);
        Assert.Equal(["USER 1000 1000", "NAMESPACES 0 0", $"ROOT {_f.Image}", "CHDIR /"], lines);
        Assert.DoesNotContain(plan.Ops, o => o.Code == OpCode.File);
        Assert.Contains("ignoring the requested binds: 'user bind control = no'", messages, StringComparison.Ordinal);

        var e = Assert.Throws<RuntimeFailureException>(() => _f.Plan(["exec", "-H", _f.Data, _f.Image, "true"], config: "user bind control = no"));
        Assert.Contains("'user bind control = no'", e.Message, StringComparison.Ordinal);
        Assert.Contains("DEV_MINIMAL /dev", Lines(_f.Plan(["exec", _f.Image, "true"], config: "mount dev = minimal").Plan));
    }

    [Fact]
    public void Config_bind_paths_skip_missing_sources_and_user_binds_replace_them()
    {
        var config = $"bind path = /does/not/exist\nbind path = {_f.Data}:/opt/site\n";
        var (plan, _) = _f.Plan(["exec", _f.Image, "true"], config: config);
        Assert.Contains($"BIND {_f.Data} /opt/site rw", Lines(plan));
        Assert.DoesNotContain(Lines(plan), l => l.Contains("/does/not/exist", StringComparison.Ordinal));

        var (replaced, _) = _f.Plan(["exec", "-B", $"{_f.Data}/sub:/opt/site:ro", _f.Image, "true"], config: config);
        Assert.Single(Lines(replaced), l => l.EndsWith("/opt/site ro", StringComparison.Ordinal) || l.EndsWith("/opt/site rw", StringComparison.Ordinal));
        Assert.Contains($"BIND {_f.Data}/sub /opt/site ro", Lines(replaced));
    }

    [Fact]
    public void Image_policy_limit_container_paths_on_component_boundaries()
    {
        var parent = Path.GetDirectoryName(_f.Image)!;
        var admitted = _f.Plan(["exec", _f.Image, "true"], config: $"limit container paths = /nowhere, {parent}").Plan;
        Assert.Equal(_f.Image, admitted.ImagePath);
        Assert.Contains($"ROOT {_f.Image}", Lines(admitted));
        Assert.Equal("true", Exec(admitted)[^1]);
        var e = Assert.Throws<RuntimeFailureException>(() => _f.Plan(["exec", _f.Image, "true"], config: $"limit container paths = {_f.Image[..^1]}"));
        Assert.Contains("is not under 'limit container paths", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<RuntimeFailureException>(() => _f.Plan(["exec", _f.Image, "true"], config: "allow container dir = no"));
        Assert.Contains("'allow container dir = no'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("docker://busybox", "URIs are not supported")]
    [InlineData("/no/such/image", "no such file or directory")]
    public void Bad_images(string image, string why)
    {
        var e = Assert.Throws<RuntimeFailureException>(() => _f.Plan(["exec", image, "true"]));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.Contains(image, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_is_not_an_image()
    {
        var e = Assert.Throws<RuntimeFailureException>(() => _f.Plan(["exec", _f.DataFile, "true"]));
        Assert.Contains("not a directory (only directory images are supported)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_test_and_shell_payloads()
    {
        Assert.Equal(["/.singularity.d/runscript", "a"], Exec(_f.Plan(["run", _f.Image, "a"]).Plan).Skip(4));
        Assert.Equal(0, _f.Plan(["test", _f.Image]).Plan.ImmediateExit);
        var (shell, _) = _f.Plan(["shell", "-s", "/bin/ash", _f.Image]);
        Assert.Equal(["/bin/ash"], Exec(shell).Skip(4));
        Assert.Equal("Singularity> ", Env(shell)["PS1"]);
        Assert.Equal(["/bin/sh"], Exec(_f.Plan(["shell", _f.Image]).Plan).Skip(4));
    }

    [Fact]
    public void Without_a_shell_in_the_image_the_payload_runs_directly_with_the_final_environment()
    {
        var image = Directory.CreateDirectory(Path.Combine(_f.Root, "noshell")).FullName;
        Directory.CreateDirectory(Path.Combine(image, "etc"));
        var env = new Dictionary<string, string> { ["SINGULARITYENV_PREPEND_PATH"] = "/pre", ["SINGULARITYENV_X"] = "1" };
        var (plan, _) = _f.Plan(["exec", image, "/app", "arg"], env: env);
        Assert.Equal(["/app", "arg"], Exec(plan));
        Assert.Equal("/pre:" + EnvironmentBuilder.DefaultPath, Env(plan)["PATH"]);
        Assert.Equal("1", Env(plan)["X"]);
        Assert.Equal("/.singularity.d/libs", Env(plan)["LD_LIBRARY_PATH"]);
    }

    [Fact]
    public void Without_env_scripts_or_user_variables_the_wrapper_is_skipped()
    {
        var image = BusyboxImage.Create(Path.Combine(_f.Root, "noenv"));
        Directory.Delete(Path.Combine(image, ".singularity.d", "env"), recursive: true);
        Assert.Equal(["ls", "-l"], Exec(_f.Plan(["exec", image, "ls", "-l"]).Plan));
        // A user-defined variable must still be exported over what scripts would set: the wrapper runs.
        var env = new Dictionary<string, string> { ["SINGULARITYENV_X"] = "1" };
        Assert.Equal("/bin/sh", Exec(_f.Plan(["exec", image, "ls"], env: env).Plan)[0]);
    }

    [Fact]
    public void Nv_binds_driver_libraries_and_devices()
    {
        var lib = _f.DataFile;
        var files = new NvidiaFiles([new("libcuda.so.1", lib)], [], ["/dev/null"]);
        var (plan, _) = _f.Plan(["exec", "--nv", "-c", _f.Image, "true"], nvidia: () => files);
        var lines = Lines(plan);
        Assert.Contains("MKDIR /.singularity.d/libs", lines);
        Assert.Contains("MKFILE /.singularity.d/libs/libcuda.so.1", lines);
        Assert.Contains($"BIND {lib} /.singularity.d/libs/libcuda.so.1 ro", lines);
        Assert.Contains("MKFILE /dev/null", lines);
        Assert.Contains("BIND /dev/null /dev/null rw", lines);

        var (none, messages) = _f.Plan(["exec", "--nv", _f.Image, "true"], nvidia: () => new NvidiaFiles([], [], []));
        Assert.Contains("no NVIDIA driver found on this host", messages, StringComparison.Ordinal);
        Assert.DoesNotContain(Lines(none), l => l.Contains(".singularity.d/libs", StringComparison.Ordinal));
        Assert.Contains("no nvliblist.conf found", _f.Plan(["exec", _f.Image, "true"], config: "always use nv = yes").Messages, StringComparison.Ordinal);
    }

    [Fact]
    public void Debug_adds_the_debug_op()
    {
        Assert.Contains("DEBUG 1", Lines(_f.Plan(["-d", "exec", _f.Image, "true"]).Plan));
        Assert.DoesNotContain("DEBUG 1", Lines(_f.Plan(["exec", _f.Image, "true"]).Plan));
    }
}
