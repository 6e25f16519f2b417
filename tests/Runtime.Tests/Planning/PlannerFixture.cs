using CvmfsImages.Runtime.Cli;
using CvmfsImages.Runtime.Config;
using CvmfsImages.Runtime.Diagnostics;
using CvmfsImages.Runtime.Native;
using CvmfsImages.Runtime.Nvidia;
using CvmfsImages.Runtime.Planning;
using CvmfsImages.Tests.Runtime.Support;
using CvmfsImages.TestSupport;

namespace CvmfsImages.Tests.Runtime.Planning;

/// <summary>A busybox image, a host home and a fixed caller, to plan against without running anything.</summary>
public sealed class PlannerFixture : IDisposable
{
    private readonly TempDirectory _dir = new("rt-plan");

    public PlannerFixture()
    {
        Image = BusyboxImage.Create(_dir.Combine("img"));
        Home = Directory.CreateDirectory(_dir.Combine("home", "u")).FullName;
        Directory.CreateDirectory(Path.Combine(Home, "work"));
        Data = Directory.CreateDirectory(_dir.Combine("data")).FullName;
        Directory.CreateDirectory(Path.Combine(Data, "sub"));
        DataFile = _dir.Combine("data.txt");
        File.WriteAllText(DataFile, "x");
    }

    public string Root => _dir.Path;

    public string Image { get; }

    public string Home { get; }

    public string Data { get; }

    public string DataFile { get; }

    public void Dispose() => _dir.Dispose();

    internal (ContainerPlan Plan, string Messages) Plan(
        string[] args,
        string? config = null,
        Dictionary<string, string>? env = null,
        string? cwd = null,
        Func<NvidiaFiles?>? nvidia = null,
        string userHome = "/home/u",
        uint uid = 1000)
    {
        var stderr = new StringWriter();
        var environment = env ?? new Dictionary<string, string> { ["FOO"] = "host-foo" };
        var invocation = CommandLineParser.Parse(args, environment);
        var messages = new Messages(stderr, invocation.Level, 1000, 1);
        var parsed = ConfigParser.Parse(config ?? string.Empty, "/etc/test.conf", messages);
        var user = new HostUser(uid, 1000, "u", "A User", userHome, "/bin/bash", "g");
        var input = new PlannerInput(invocation, parsed, user, environment, cwd ?? Root, messages)
        {
            NvidiaProbe = nvidia ?? (() => null),
            HostPathExists = _ => false,
            Parent = () => new ParentProcess(4242, 987654),
        };
        var plan = new ContainerPlanner(input).Plan();
        return (plan, stderr.ToString());
    }
}
