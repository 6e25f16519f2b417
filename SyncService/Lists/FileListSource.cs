using System.Globalization;
using System.Security.Cryptography;

namespace CvmfsImages.Sync.Lists;

/// <summary>
/// A list in a local file. The version is the sha256 of the bytes, so an edit is seen whatever the file's time says,
/// and a poll of an unchanged file returns null.
/// </summary>
public sealed class FileListSource : IListSource
{
    /// <summary>Files larger than this are refused (a list of 100,000 long lines is far smaller).</summary>
    public const long MaxBytes = 64L * 1024 * 1024;

    private readonly string _path;
    private string? _lastVersion;

    public FileListSource(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _path = Path.GetFullPath(path);
    }

    /// <summary>The absolute path read.</summary>
    public string FilePath => _path;

    public async Task<ListSnapshot?> ReadAsync(CancellationToken ct)
    {
        var bytes = await ReadBytesAsync(ct).ConfigureAwait(false);
        var version = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (version == _lastVersion)
        {
            return null;
        }

        var text = ListText.Decode(bytes, out var notUtf8);
        if (notUtf8.Count > 0)
        {
            var more = notUtf8.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $" and {notUtf8.Count - 1} more") : string.Empty;
            throw new ListReadException(_path, string.Create(CultureInfo.InvariantCulture, $"the list file '{_path}' is not UTF-8 text (line {notUtf8[0]}{more})"));
        }

        _lastVersion = version;
        return new ListSnapshot(text.TrimStart('\uFEFF'), _path, "sha256:" + version);
    }

    /// <summary>
    /// For <c>validate</c>: the list even when some lines are not UTF-8 (their bad bytes read as U+FFFD), and those
    /// lines' numbers. Does not change what <see cref="ReadAsync"/> saw last.
    /// </summary>
    internal async Task<(ListSnapshot Snapshot, IReadOnlyList<int> NotUtf8Lines)> ReadForCheckAsync(CancellationToken ct)
    {
        var bytes = await ReadBytesAsync(ct).ConfigureAwait(false);
        var text = ListText.Decode(bytes, out var notUtf8);
        return (new ListSnapshot(text.TrimStart('\uFEFF'), _path, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes))), notUtf8);
    }

    private async Task<byte[]> ReadBytesAsync(CancellationToken ct)
    {
        try
        {
            var info = new FileInfo(_path);
            if (info.Exists && info.Length > MaxBytes)
            {
                throw new ListReadException(_path, $"the list file '{_path}' is larger than {MaxBytes} bytes");
            }

            return await File.ReadAllBytesAsync(_path, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ListReadException(_path, $"cannot read the list file '{_path}': {ex.Message}", ex);
        }
    }
}
