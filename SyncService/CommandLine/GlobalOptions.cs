using System.CommandLine;
using CvmfsImages.Sync.Configuration;

namespace CvmfsImages.Sync.CommandLine;

/// <summary>The options every command accepts (recursive), turned into configuration overrides.</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Config { get; } = new("--config") { Description = "An extra appsettings.json to read (after the built-in ones, before environment and command line).", Recursive = true };

    public Option<string?> List { get; } = new("--list") { Description = "The image list: a file path (overrides Sync:List).", Recursive = true };

    public Option<string?> Root { get; } = new("--root") { Description = "Publish with the directory backend into this directory (overrides Publisher:Backend and Publisher:Root).", Recursive = true };

    public Option<string[]> Mirrors { get; } = new("--registry-mirror")
    {
        Description = "Pull a registry through a mirror, e.g. docker.io=http://127.0.0.1:5000 (repeatable).",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> DockerCreds { get; } = new("--docker-creds")
    {
        Description = "A registry credentials file: OSG's --docker-creds JSON or a Docker config.json (overrides Registry:DockerConfigPath; read at start).",
        Recursive = true,
    };

    public Option<string[]> Platforms { get; } = new("--platform") { Description = "Platform to publish, os/arch[/variant]; the first is primary (repeatable; overrides Sync:Platforms).", Recursive = true };

    public Option<string[]> Settings { get; } = new("--set") { Description = "Any configuration key, Section:Key=Value (repeatable), e.g. Sync:MaxConcurrentPulls=4.", Recursive = true };

    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Log at Information level to stderr (Debug with Logging:LogLevel:Default).", Recursive = true };

    public void AddTo(Command command)
    {
        command.Add(Config);
        command.Add(List);
        command.Add(Root);
        command.Add(Mirrors);
        command.Add(DockerCreds);
        command.Add(Platforms);
        command.Add(Settings);
        command.Add(Verbose);
    }

    public CommandLineOverrides Read(ParseResult result) => new()
    {
        ConfigFile = result.GetValue(Config),
        List = result.GetValue(List),
        Root = result.GetValue(Root),
        Mirrors = result.GetValue(Mirrors) ?? [],
        DockerCreds = result.GetValue(DockerCreds),
        Platforms = result.GetValue(Platforms) ?? [],
        Settings = result.GetValue(Settings) ?? [],
    };
}
