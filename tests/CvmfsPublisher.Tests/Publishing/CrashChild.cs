using Xunit;
using CvmfsImages.Publisher.Publishing;

namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

/// <summary>
/// The child process of the crash tests (run as <c>dotnet CvmfsPublisher.Tests.dll publish-crash-child ...</c>):
/// publishes a new image, moves <c>org/app:1</c> to it and removes <c>org/app:2</c>; at the named point it says
/// <c>PAUSED &lt;point&gt;</c> on stdout and waits until it is killed. With the point <c>hold-lock</c> it pauses at
/// the first point while holding the repository lock. With a point <c>name#N</c> it pauses at the N-th time it
/// reaches <c>name</c>, and also sets <see cref="MoreTags"/> tags <c>org/more:K</c> after <c>org/app:1</c> (one
/// batch of links journaled ahead, killed in the middle of it).
/// </summary>
internal static class CrashChild
{
    public const string Verb = "publish-crash-child";

    /// <summary>How many more tags a <c>name#N</c> point sets.</summary>
    public const int MoreTags = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        var hash = args[0].IndexOf('#', StringComparison.Ordinal);
        var pausePoint = hash < 0 ? args[0] : args[0][..hash];
        var pauseAt = hash < 0 ? 1 : int.Parse(args[0][(hash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var reached = 0;
        var options = new PublisherOptions
        {
            Backend = args[1],
            Root = NullIfEmpty(args[2]),
            RepositoryName = NullIfEmpty(args[3]),
            CvmfsServerPath = args[4],
            MountRoot = args[5],
            StagingDirectory = NullIfEmpty(args[6]),
            UseIngest = bool.Parse(args[7]),
        };
        var repository = new CvmfsRepository(options);
        repository.TestHook = async (point, ct) =>
        {
            if (point == pausePoint && ++reached == pauseAt)
            {
                await Console.Out.WriteLineAsync($"PAUSED {args[0]}");
                await Console.Out.FlushAsync(ct);
                await Task.Delay(Timeout.Infinite, ct);
            }
        };
        var add = TestImages.Stage(repository, "crash-new", extraFiles: 50);
        var more = Enumerable.Range(1, hash < 0 ? 0 : MoreTags).Select(k => new SetTag($"org/more:{k}", add.Metadata.ConfigDigest));
        var result = await repository.ApplyAsync([add, new SetTag("org/app:1", add.Metadata.ConfigDigest), .. more, new RemoveTag("org/app:2")], null, CancellationToken.None);
        await Console.Out.WriteLineAsync(result.Failed.Count == 0 ? "DONE" : "FAILED " + result.Failed[0].Error.Message);
        return result.Failed.Count == 0 ? 0 : 1;
    }

    public static string[] Arguments(string pausePoint, PublisherOptions o) =>
        [Verb, pausePoint, o.Backend, o.Root ?? "", o.RepositoryName ?? "", o.CvmfsServerPath, o.MountRoot, o.StagingDirectory ?? "", o.UseIngest.ToString()];

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
