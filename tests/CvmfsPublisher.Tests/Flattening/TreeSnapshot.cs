using System.Globalization;
using System.Security.Cryptography;

namespace CvmfsImages.Tests.CvmfsPublisher.Flattening;

/// <summary>A tree described line by line (path, type, mode, size, content hash, link target), for comparisons.</summary>
internal static class TreeSnapshot
{
    public static SortedDictionary<string, string> Take(string root, bool withTimes = false, Func<string, bool>? include = null)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Walk(new DirectoryInfo(root), root, result, withTimes, include ?? (_ => true));
        return result;
    }

    private static void Walk(DirectoryInfo dir, string root, SortedDictionary<string, string> result, bool withTimes, Func<string, bool> include)
    {
        foreach (var entry in dir.EnumerateFileSystemInfos())
        {
            var relative = Path.GetRelativePath(root, entry.FullName);
            if (!include(relative))
            {
                continue;
            }

            var time = withTimes ? " t=" + entry.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture) : string.Empty;
            if (entry.LinkTarget is { } target)
            {
                result[relative] = "l -> " + target + time;
            }
            else if (entry is DirectoryInfo sub)
            {
                result[relative] = "d " + Mode(entry) + time;
                Walk(sub, root, result, withTimes, include);
            }
            else
            {
                var file = (FileInfo)entry;
                using var stream = file.OpenRead();
                result[relative] = "f " + Mode(entry) + " " + file.Length.ToString(CultureInfo.InvariantCulture) + " " +
                    Convert.ToHexStringLower(SHA256.HashData(stream))[..16] + time;
            }
        }
    }

    private static string Mode(FileSystemInfo entry) => Convert.ToString((int)entry.UnixFileMode, 8);
}
