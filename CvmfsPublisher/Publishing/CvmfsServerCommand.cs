using System.Diagnostics;
using System.Text;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// Runs <c>cvmfs_server</c>: arguments as a list (never through a shell), stdin closed or fed by the caller,
/// stdout and stderr drained concurrently and their ends kept for messages, a time limit after which the process
/// tree is killed, and the exit code checked.
/// </summary>
internal sealed class CvmfsServerCommand
{
    private const int KeptOutputChars = 8192;
    private readonly string executable;
    private readonly TimeSpan timeout;

    public CvmfsServerCommand(string executable, TimeSpan timeout)
    {
        this.executable = executable;
        this.timeout = timeout;
    }

    /// <summary>Runs the command; throws <see cref="CvmfsServerException"/> when it fails (non-zero exit, no start, timeout).</summary>
    public async Task<CommandOutput> RunAsync(IReadOnlyList<string> arguments, Func<Stream, CancellationToken, Task>? writeInput, CancellationToken ct)
    {
        var result = await TryRunAsync(arguments, writeInput, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new CvmfsServerException(result.CommandLine, result.ExitCode, result.StandardError, result.StandardOutput, result.InputError);
        }

        return result;
    }

    /// <summary>Runs the command and returns its exit code and output, whatever they are.</summary>
    public async Task<CommandOutput> TryRunAsync(IReadOnlyList<string> arguments, Func<Stream, CancellationToken, Task>? writeInput, CancellationToken ct)
    {
        var commandLine = executable + " " + string.Join(' ', arguments);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CvmfsServerException(commandLine, -1, $"could not start '{executable}': {e.Message} (Publisher:CvmfsServerPath)", string.Empty, e);
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        var stdout = DrainAsync(process.StandardOutput);
        var stderr = DrainAsync(process.StandardError);
        Exception? inputError = null;
        try
        {
            if (writeInput is not null)
            {
                try
                {
                    await writeInput(process.StandardInput.BaseStream, limit.Token).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    // The command stopped reading (it failed or refused the input): its exit code and stderr say why.
                    inputError = e;
                }
            }

            try
            {
                process.StandardInput.Close();
            }
            catch (IOException e)
            {
                inputError ??= e;
            }
            catch (ObjectDisposedException)
            {
                // The input writer closed stdin itself (e.g. by disposing a stream wrapped around it): EOF was sent.
            }

            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            if (ct.IsCancellationRequested)
            {
                throw;
            }

            throw new CvmfsServerException(commandLine, -1, $"killed after {timeout} (Publisher:CommandTimeout); stderr: {await stderr.ConfigureAwait(false)}", await stdout.ConfigureAwait(false));
        }

        var exitCode = process.ExitCode;
        if (exitCode == 0 && inputError is not null)
        {
            // A command that exits 0 without reading all of its input did not ingest what we sent.
            exitCode = -1;
        }

        return new CommandOutput(commandLine, exitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false), inputError);
    }

    private static async Task<string> DrainAsync(StreamReader reader)
    {
        var kept = new StringBuilder();
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            kept.Append(buffer, 0, read);
            if (kept.Length > 2 * KeptOutputChars)
            {
                kept.Remove(0, kept.Length - KeptOutputChars);
            }
        }

        return kept.Length > KeptOutputChars ? "..." + kept.ToString(kept.Length - KeptOutputChars, KeptOutputChars) : kept.ToString();
    }
}
