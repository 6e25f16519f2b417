using System.Collections;
using CvmfsImages.Runtime.Cli;
using CvmfsImages.Runtime.Config;
using CvmfsImages.Runtime.Diagnostics;
using CvmfsImages.Runtime.Inspect;
using CvmfsImages.Runtime.Launch;
using CvmfsImages.Runtime.Native;
using CvmfsImages.Runtime.Nvidia;
using CvmfsImages.Runtime.Planning;
using CvmfsImages.Runtime.Trace;

namespace CvmfsImages.Runtime;

/// <summary>Entry point of the <c>singularity</c> front end.</summary>
internal static class Program
{
    /// <summary>The runtime's own errors exit 255, as Singularity's do.</summary>
    public const int RuntimeError = 255;

    private static int Main(string[] args)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        var messages = new Messages(() => Console.Error, MessageLevel.Info, Libc.GetUid(), Libc.GetPid());
        try
        {
            return Run(args, environment, messages);
        }
        catch (RuntimeFailureException e)
        {
            messages.Fatal(e.Message);
            return RuntimeError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            messages.Fatal(e.Message);
            return RuntimeError;
        }
    }

    private static int Run(string[] args, Dictionary<string, string> environment, Messages messages)
    {
        // The level options come first on the command line, but parse errors must still be reported: parse once.
        var invocation = CommandLineParser.Parse(args, environment);
        messages.Threshold = invocation.Level;
        if (invocation.Action == ActionKind.Version)
        {
            Console.Out.WriteLine($"singularity version {Usage.Version}");
            return 0;
        }

        if (invocation.HelpFor is { } topic)
        {
            Console.Out.Write(Usage.For(topic));
            return 0;
        }

        var config = ConfigFileLocator.Load(environment, messages);
        var cwd = CurrentDirectory(environment);
        if (invocation.Action == ActionKind.Inspect)
        {
            return ImageInspector.Run(invocation, cwd, Console.Out);
        }

        var user = HostUser.Current(environment);
        var input = new PlannerInput(invocation, config, user, environment, cwd, messages)
        {
            NvidiaProbe = () => NvidiaLibraries.FindList(config.Path) is { } list ? NvidiaLibraries.Probe(File.ReadAllText(list)) : null,
        };
        var plan = new ContainerPlanner(input).Plan();
        if (plan.ImmediateExit is { } code)
        {
            return code;
        }

        var starter = Starter.Choose(user.Uid, config.AllowSetuid, messages);
        TraceLog.Write(config, invocation, plan, user, cwd, environment, messages);
        if (messages.IsDebug)
        {
            foreach (var op in plan.Ops)
            {
                messages.Debug(op.Code == OpCode.File ? $"FILE {op.Args[0]} ({op.Args[1].Length} bytes)" : op.ToString(), "Plan");
            }

            messages.Debug($"Executing {starter}", "Exec");
        }

        throw Starter.Exec(starter, plan.Ops);
    }

    /// <summary>The physical current directory; if it is gone (deleted under us), "/".</summary>
    private static string CurrentDirectory(Dictionary<string, string> environment)
    {
        try
        {
            return Directory.GetCurrentDirectory();
        }
        catch (IOException)
        {
            return environment.TryGetValue("HOME", out var home) && home.StartsWith('/') ? home : "/";
        }
    }
}
