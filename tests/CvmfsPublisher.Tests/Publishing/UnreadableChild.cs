using CvmfsImages.Publisher.Publishing;

namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

/// <summary>
/// The child process of <see cref="UnreadableDirectoryTests"/> (<c>dotnet CvmfsPublisher.Tests.dll
/// unreadable-dir-child ...</c>), run where a directory of the repository cannot be read (as root only without
/// CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH): reads the state, then moves <c>org/app:2</c> to the image of
/// <c>org/app:1</c> and removes <c>org/app:1</c>. Prints <c>TAGS</c>, <c>UNREADABLE</c> and <c>FAILED</c> lines.
/// </summary>
internal static class UnreadableChild
{
    public const string Verb = "unreadable-dir-child";

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new PublisherOptions
        {
            Backend = args[0],
            Root = NullIfEmpty(args[1]),
            RepositoryName = NullIfEmpty(args[2]),
            CvmfsServerPath = args[3],
            MountRoot = args[4],
            StagingDirectory = NullIfEmpty(args[5]),
            UseIngest = bool.Parse(args[6]),
        };
        var repository = new CvmfsRepository(options);
        var state = await repository.ReadStateAsync(CancellationToken.None);
        await Console.Out.WriteLineAsync("TAGS " + string.Join(',', state.Tags.Keys.Order(StringComparer.Ordinal)));
        await Console.Out.WriteLineAsync("UNREADABLE " + string.Join(',', state.UnreadableDirectories));
        var result = await repository.ApplyAsync([new SetTag("org/app:2", state.Tags["org/app:1"]), new RemoveTag("org/app:1")], null, CancellationToken.None);
        await Console.Out.WriteLineAsync("FAILED " + string.Join(" | ", result.Failed.Select(f => f.Error.Message)));
        var after = await repository.ReadStateAsync(CancellationToken.None);
        await Console.Out.WriteLineAsync("TAGS " + string.Join(',', after.Tags.Keys.Order(StringComparer.Ordinal)));
        return 0;
    }

    public static string[] Arguments(PublisherOptions o) =>
        [Verb, o.Backend, o.Root ?? "", o.RepositoryName ?? "", o.CvmfsServerPath, o.MountRoot, o.StagingDirectory ?? "", o.UseIngest.ToString()];

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
