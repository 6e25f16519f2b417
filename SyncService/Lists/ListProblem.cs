namespace CvmfsImages.Sync.Lists;

/// <summary>
/// Something wrong with a list line: its number (1-based), what is wrong, and for duplicates and path collisions the
/// number of the other line involved.
/// </summary>
public sealed record ListProblem(int LineNumber, string Message, int? OtherLineNumber = null)
{
    /// <summary>What kind of problem this is; null where the producer does not say (see <c>ValidateCommand</c>).</summary>
    public ListProblemKind? Kind { get; init; }

    public override string ToString() => $"line {LineNumber}: {Message}";
}
