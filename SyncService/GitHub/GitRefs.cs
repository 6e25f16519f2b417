namespace CvmfsImages.Sync.GitHub;

/// <summary>Validation of the git names the service puts into URLs: branches, commit ids, repository paths.</summary>
internal static class GitRefs
{
    /// <summary>A full commit id: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.</summary>
    public static bool IsCommitSha(string? value) =>
        value is { Length: 40 or 64 } && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>A branch name by git's check-ref-format rules (the subset that matters for URLs).</summary>
    public static bool IsValidBranch(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 255 || value.StartsWith('/') || value.EndsWith('/') ||
            value.EndsWith(".lock", StringComparison.Ordinal) || value.EndsWith('.') || value.StartsWith('-') ||
            value.Contains("..", StringComparison.Ordinal) || value.Contains("//", StringComparison.Ordinal) ||
            value.Contains("@{", StringComparison.Ordinal) || value == "@")
        {
            return false;
        }

        return value.All(c => c > ' ' && c < '\x7f' && c is not '~' and not '^' and not ':' and not '?' and not '*' and not '[' and not '\\');
    }

    /// <summary>A relative path inside a repository: no empty, <c>.</c> or <c>..</c> components, no control characters.</summary>
    public static bool IsValidRepositoryPath(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 1024 || value.Any(char.IsControl) || value.Contains('\\'))
        {
            return false;
        }

        return value.Split('/').All(part => part.Length > 0 && part is not "." and not "..");
    }
}
