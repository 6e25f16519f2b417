using System.Text;
using System.Text.Json;
using CvmfsImages.Runtime.Cli;
using CvmfsImages.Runtime.Native;
using CvmfsImages.Runtime.Planning;

namespace CvmfsImages.Runtime.Inspect;

/// <summary>
/// <c>singularity inspect</c>: the image's labels (<c>/.singularity.d/labels.json</c>), runscript and environment
/// scripts, read through the in-root resolution (a link in the image cannot make it print a host file).
/// </summary>
internal static class ImageInspector
{
    private const int MaxFileBytes = 4 * 1024 * 1024;

    public static int Run(Invocation invocation, string currentDirectory, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        ArgumentNullException.ThrowIfNull(output);
        var image = invocation.Image!;
        var real = PathRules.RealPath(Path.GetFullPath(image, currentDirectory));
        if (real is null || FileStatus.Of(real).Kind != FileKind.Directory)
        {
            throw new RuntimeFailureException($"image {image}: {(real is null ? "no such file or directory" : "not a directory (only directory images are supported)")}") { Subject = image };
        }

        var view = new ContainerView(real);
        var wantLabels = invocation.InspectLabels || !(invocation.InspectRunscript || invocation.InspectEnvironment);
        var attributes = new InspectAttributes
        {
            Labels = wantLabels ? ReadLabels(view) : null,
            Runscript = invocation.InspectRunscript ? ReadFile(view, "/.singularity.d/runscript") ?? string.Empty : null,
            Environment = invocation.InspectEnvironment ? ReadEnvironment(view) : null,
        };

        if (invocation.InspectJson)
        {
            output.WriteLine(attributes.WriteJson());
            return 0;
        }

        if (attributes.Labels is { } labels)
        {
            foreach (var (key, value) in labels)
            {
                output.WriteLine($"{key}: {value}");
            }
        }

        if (attributes.Runscript is { } runscript)
        {
            output.Write(runscript.EndsWith('\n') || runscript.Length == 0 ? runscript : runscript + "\n");
        }

        if (attributes.Environment is { } environment)
        {
            output.Write(environment);
        }

        return 0;
    }

    private static Dictionary<string, string> ReadLabels(ContainerView view)
    {
        var text = ReadFile(view, "/.singularity.d/labels.json");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text))
        {
            return labels;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new RuntimeFailureException("/.singularity.d/labels.json in the image is not a JSON object");
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                labels[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            }
        }
        catch (JsonException e)
        {
            throw new RuntimeFailureException($"/.singularity.d/labels.json in the image is not valid JSON: {e.Message}", e);
        }

        return labels;
    }

    private static string ReadEnvironment(ContainerView view)
    {
        var dir = view.Resolve("/.singularity.d/env");
        if (!dir.Exists || dir.Kind != FileKind.Directory)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        var names = Directory.EnumerateFiles(view.ImageRoot + dir.Existing, "*.sh").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (ReadFile(view, dir.Existing + "/" + name) is { } content)
            {
                text.Append("=== /.singularity.d/env/").Append(name).Append(" ===\n").Append(content);
                if (!content.EndsWith('\n'))
                {
                    text.Append('\n');
                }
            }
        }

        return text.ToString();
    }

    private static string? ReadFile(ContainerView view, string path)
    {
        var resolved = view.Resolve(path);
        if (!resolved.Exists || resolved.Kind != FileKind.Regular)
        {
            return null;
        }

        var host = view.ImageRoot + resolved.Existing;
        using var stream = new FileStream(host, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length > MaxFileBytes)
        {
            throw new RuntimeFailureException($"{path} in the image is larger than {MaxFileBytes} bytes") { Subject = path };
        }

        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
