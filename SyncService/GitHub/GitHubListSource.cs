using CvmfsImages.Sync.Lists;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// The image list read from a GitHub repository's branch (the default branch when none is configured) through the
/// contents API. Each read after the first sends the last <c>ETag</c> as <c>If-None-Match</c>: an unchanged list is a
/// 304, which costs nothing against the rate limit, and <see cref="ReadAsync"/> returns null.
/// </summary>
internal sealed partial class GitHubListSource : IListSource, IDisposable
{
    private readonly GitHubClient _client;
    private readonly GitHubOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _serial = new(1, 1);
    private string? _etag;

    public GitHubListSource(GitHubClient client, GitHubOptions options, ILogger<GitHubListSource>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public void Dispose() => _serial.Dispose();

    /// <inheritdoc/>
    /// <exception cref="ListReadException">
    /// The list could not be read, like a missing local file: GitHub refused or did not answer (the inner
    /// <see cref="GitHubException"/> carries the status, e.g. 404 for a missing file, and whether it is transient), or
    /// the file is not UTF-8 text or is larger than the limit (inner <see cref="InvalidDataException"/>).
    /// </exception>
    public async Task<ListSnapshot?> ReadAsync(CancellationToken ct)
    {
        await _serial.WaitAsync(ct);
        try
        {
            return await ReadOnceAsync(ct);
        }
        catch (Exception ex) when (ex is GitHubException or InvalidDataException)
        {
            var where = _options.Describe();
            throw new ListReadException(where, $"cannot read the list {where}: {ex.Message}", ex);
        }
        finally
        {
            _serial.Release();
        }
    }

    private async Task<ListSnapshot?> ReadOnceAsync(CancellationToken ct)
    {
        var branch = await _client.ResolveBranchAsync(ct);
        var file = await _client.GetFileAsync(_options.Path, branch, _etag, ct);
        var source = $"github:{_options.Owner}/{_options.Repository}/{_options.Path}@{branch}";
        if (file is null)
        {
            LogUnchanged(_logger, source);
            return null;
        }

        _etag = file.ETag;
        LogRead(_logger, source, file.Text.Length, file.ETag);

        // The version must change when the text does; a missing ETag falls back to a hash of the text.
        var version = file.ETag ?? "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(file.Text)));
        return new ListSnapshot(file.Text, source, version);
    }
}
