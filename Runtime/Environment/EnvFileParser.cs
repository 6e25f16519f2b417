namespace CvmfsImages.Runtime.Environment;

/// <summary>
/// An <c>--env-file</c>: one <c>NAME=VALUE</c> per line (optionally after <c>export </c>), <c>#</c> comments and blank
/// lines ignored, a value wholly in single or double quotes unquoted. It is read as data, never run by a shell.
/// </summary>
internal static class EnvFileParser
{
    public static IEnumerable<(string Name, string Value, int Line)> Parse(string content, string fileName)
    {
        ArgumentNullException.ThrowIfNull(content);
        var lines = content.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line[7..].TrimStart();
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !EnvironmentBuilder.IsValidName(line[..eq]))
            {
                throw new RuntimeFailureException($"--env-file {fileName}:{i + 1}: expected NAME=VALUE: '{line}'") { Subject = $"{fileName}:{i + 1}" };
            }

            var value = line[(eq + 1)..];
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            yield return (line[..eq], value, i + 1);
        }
    }
}
