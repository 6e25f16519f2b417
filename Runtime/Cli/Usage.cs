using System.Text;

namespace CvmfsImages.Runtime.Cli;

/// <summary>The help texts (generated from the option tables, so they cannot drift from the parser).</summary>
internal static class Usage
{
    public const string Version = "3.11.0+cvmfs-images.0.1";

    public static string For(ActionKind action)
    {
        var text = new StringBuilder();
        switch (action)
        {
            case ActionKind.Exec:
                text.AppendLine("Usage: singularity [global options] exec [options] <image> <command> [args...]");
                text.AppendLine("Run a command inside a directory image.");
                Options(text, CommandLineParser.ContainerOptions);
                break;
            case ActionKind.Run:
                text.AppendLine("Usage: singularity [global options] run [options] <image> [args...]");
                text.AppendLine("Run the image's runscript (/.singularity.d/runscript).");
                Options(text, CommandLineParser.ContainerOptions);
                break;
            case ActionKind.Test:
                text.AppendLine("Usage: singularity [global options] test [options] <image> [args...]");
                text.AppendLine("Run the image's test script (/.singularity.d/test).");
                Options(text, CommandLineParser.ContainerOptions);
                break;
            case ActionKind.Shell:
                text.AppendLine("Usage: singularity [global options] shell [options] <image> [args...]");
                text.AppendLine("Start a shell inside the image.");
                Options(text, [.. CommandLineParser.ShellOptions, .. CommandLineParser.ContainerOptions]);
                break;
            case ActionKind.Inspect:
                text.AppendLine("Usage: singularity [global options] inspect [options] <image>");
                text.AppendLine("Show the image's metadata (labels by default).");
                Options(text, CommandLineParser.InspectOptions);
                break;
            default:
                text.AppendLine("Usage: singularity [global options] <action> [options] <image> [args...]");
                text.AppendLine();
                text.AppendLine("Actions:");
                text.AppendLine("  exec      run a command inside an image");
                text.AppendLine("  shell     start a shell inside an image");
                text.AppendLine("  run       run the image's runscript");
                text.AppendLine("  test      run the image's test script");
                text.AppendLine("  inspect   show the image's labels, runscript or environment");
                text.AppendLine("  help      show help for an action");
                text.AppendLine();
                text.AppendLine("Global options:");
                Options(text, CommandLineParser.GlobalOptions);
                text.AppendLine();
                text.AppendLine("Bind lists are also read from SINGULARITY_BIND, SINGULARITY_BINDPATH and APPTAINER_BIND.");
                break;
        }

        return text.ToString();
    }

    private static void Options(StringBuilder text, IEnumerable<OptionSpec> options)
    {
        foreach (var option in options)
        {
            var left = option.Display + (option.TakesValue ? " <value>" : string.Empty);
            text.Append("  ").Append(left.PadRight(28)).AppendLine(option.Help);
        }
    }
}
