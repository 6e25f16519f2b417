using CvmfsImages.Sync.Lists;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>One problem <c>validate</c> reports: the line (1-based) and its text as in the file, the kind, the message, and for duplicates and path collisions the other line.</summary>
internal sealed record ValidateProblem(int LineNumber, string LineText, ListProblemKind Kind, string Message, int? OtherLineNumber)
{
    /// <summary>True for the kinds that make the list invalid (exit 3); false for online failures (exit 1).</summary>
    public bool MakesListInvalid => Kind is not (ListProblemKind.Unresolvable or ListProblemKind.NoMatchingTag or ListProblemKind.RegistryUnavailable);
}
