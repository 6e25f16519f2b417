using CvmfsImages.Sync;
using CvmfsImages.Sync.CommandLine;
using CvmfsImages.Sync.Configuration;
using CvmfsImages.Sync.Execution;
using CvmfsImages.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CvmfsImages.Tests.SyncService.EndToEnd;

/// <summary>
/// A sync setup in a temp directory: a list file, a directory-backend root and a state directory. Runs the real
/// command line in-process (<see cref="Cli.RunAsync"/>), or the same runner the command uses with the registry
/// client's requests counted (<see cref="SyncAsync"/>).
/// </summary>
internal sealed class SyncHarness : IDisposable
{
    private readonly TempDirectory _dir = new("sync-e2e");

    public SyncHarness()
    {
        Directory.CreateDirectory(Root);
    }

    public string ListPath => _dir.Combine("images.txt");

    public string Root => _dir.Combine("root");

    public string State => _dir.Combine("state");

    /// <summary>Publisher settings used instead of <c>--root</c> (e.g. a <see cref="StandInRepository"/>'s); null: the directory backend at <see cref="Root"/>.</summary>
    public IReadOnlyList<string>? PublisherSettings { get; init; }

    public string Combine(params string[] parts) => _dir.Combine(parts);

    public void WriteList(params string[] lines) => File.WriteAllText(ListPath, string.Join('\n', lines) + "\n");

    /// <summary>The options every run gets: this list, this root, this state directory, no retry delays.</summary>
    public string[] CommonArgs(params string[] extra) =>
    [
        "--list", ListPath,
        .. PublisherSettings is null ? ["--root", Root] : PublisherSettings.SelectMany(p => (string[])["--set", p]),
        "--set", "Sync:StateDirectory=" + State,
        "--set", "Registry:MaxRetries=1",
        "--set", "Registry:RetryBaseDelay=00:00:00.010",
        .. extra,
    ];

    public async Task<(int Exit, string Output, string Error)> RunCliAsync(string command, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        string[] all = [.. command.Split(' '), .. CommonArgs(args)];
        var exit = await Cli.RunAsync(all, output, error, TestContext.Current.CancellationToken);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>One full pass through the runner the <c>sync</c> command uses, counting registry requests by method.</summary>
    public Task<(SyncReport Report, IReadOnlyDictionary<string, int> Requests)> SyncAsync(params string[] extraSettings) => SyncAsync(null, extraSettings);

    /// <summary>A full pass with <paramref name="observer"/> told about every image.</summary>
    public async Task<(SyncReport Report, IReadOnlyDictionary<string, int> Requests)> SyncAsync(ISyncObserver? observer, params string[] extraSettings)
    {
        await using var session = Open(observer, extraSettings);
        var report = await session.Runner.SyncAllAsync(null, TestContext.Current.CancellationToken);
        return (report, session.Requests);
    }

    /// <summary>
    /// The services the command line builds, kept across calls (a <c>serve</c> without its schedules), with the
    /// registry client's requests counted by method.
    /// </summary>
    public SyncSession Open(ISyncObserver? observer = null, params string[] extraSettings)
    {
        var overrides = new CommandLineOverrides
        {
            List = ListPath,
            Root = PublisherSettings is null ? Root : null,
            Settings = ["Sync:StateDirectory=" + State, "Registry:MaxRetries=1", "Registry:RetryBaseDelay=00:00:00.010", .. PublisherSettings ?? [], .. extraSettings],
        };
        var settings = SyncSettings.Load(overrides, includeSystemFile: false);
        var context = CommandContext.Create(settings, verbose: false, services =>
        {
            if (observer is not null)
            {
                services.AddSingleton(observer);
            }
        });
        return new SyncSession(context);
    }

    /// <summary>The config digest directory a published path points at (relative to the root), or null.</summary>
    public string? ImageOf(string tagPath) => ImageOf(Root, tagPath);

    /// <summary>The config digest directory <paramref name="tagPath"/> points at, relative to <paramref name="root"/>, or null.</summary>
    public static string? ImageOf(string root, string tagPath)
    {
        var full = Path.Combine(root, tagPath);
        var info = new FileInfo(full);
        if (info.LinkTarget is null)
        {
            return null;
        }

        var target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(full)!, info.LinkTarget));
        return Path.GetRelativePath(root, target);
    }

    public string ReadFromImage(string tagPath, string file) => File.ReadAllText(Path.Combine(Root, tagPath, file));

    public void Dispose() => _dir.Dispose();
}
