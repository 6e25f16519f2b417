namespace CvmfsImages.Sync.CommandLine;

/// <summary>
/// What <c>validate</c> found in one list: the problems in line order, the counts and the exit code; or, when the
/// file could not be read at all, <see cref="Error"/>.
/// </summary>
internal sealed record ValidateReport(string File, bool Online, int Lines, int Images, IReadOnlyList<ValidateProblem> Problems, string? Error = null)
{
    /// <summary>Problems that make the list invalid (syntax, duplicates, path collisions, encoding, length).</summary>
    public int Invalid => Problems.Count(p => p.MakesListInvalid);

    /// <summary>Lines that the online check could not resolve (including registries that could not be asked).</summary>
    public int Unresolvable => Problems.Count(p => !p.MakesListInvalid);

    /// <summary>0 valid, 3 invalid or unreadable, 1 valid but some lines do not resolve.</summary>
    public int ExitCode => Error is not null || Invalid > 0 ? ExitCodes.ListInvalid : Unresolvable > 0 ? ExitCodes.ImagesFailed : ExitCodes.Success;

    /// <summary>A report for a file that could not be read (missing, too large, unreadable).</summary>
    public static ValidateReport Unreadable(string file, bool online, string error) => new(file, online, 0, 0, [], error);
}
