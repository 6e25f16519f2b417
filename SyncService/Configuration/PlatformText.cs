namespace CvmfsImages.Sync.Configuration;

/// <summary>Syntax check of <c>os/arch[/variant]</c> before the registry client parses it.</summary>
internal static class PlatformText
{
    public static bool IsValid(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 64)
        {
            return false;
        }

        var parts = text.Split('/');
        return parts.Length is 2 or 3 && parts.All(p => p.Length > 0 && p.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'));
    }
}
