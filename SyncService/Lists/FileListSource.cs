using System.Security.Cryptography;
using System.Text;

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
        byte[] bytes;
        try
        {
            var info = new FileInfo(_path);
            if (info.Exists && info.Length > MaxBytes)
            {
                throw new ListReadException(_path, $"the list file '{_path}' is larger than {MaxBytes} bytes");
            }

            bytes = await File.ReadAllBytesAsync(_path, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ListReadException(_path, $"cannot read the list file '{_path}': {ex.Message}", ex);
        }

        var version = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (version == _lastVersion)
        {
            return null;
        }

        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new ListReadException(_path, $"the list file '{_path}' is not UTF-8 text", ex);
        }

        _lastVersion = version;
        return new ListSnapshot(text.TrimStart('\uFEFF'), _path, "sha256:" + version);
    }
}
