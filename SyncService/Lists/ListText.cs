using System.Buffers;
using System.Text;

namespace CvmfsImages.Sync.Lists;

/// <summary>
/// A list's bytes as text. A list must be UTF-8; where it is not, the lines that are not are named (numbered as
/// <see cref="ImageList.Parse"/> numbers them: CR, LF, CRLF, FF, NEL, LS and PS end a line), and their bad bytes
/// read as U+FFFD, so that <c>validate</c> can say which line to fix instead of refusing the whole file.
/// </summary>
internal static class ListText
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The text of <paramref name="bytes"/>; <paramref name="notUtf8Lines"/> the 1-based lines with bytes that are not UTF-8, ascending.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes, out IReadOnlyList<int> notUtf8Lines)
    {
        try
        {
            notUtf8Lines = [];
            return Strict.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            // The slow path, only for a file that is not UTF-8.
        }

        var text = new StringBuilder(bytes.Length);
        var bad = new List<int>();
        Span<char> chars = stackalloc char[2];
        var line = 1;
        var afterCr = false;
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out var rune, out var consumed) != OperationStatus.Done)
            {
                // Invalid or truncated: the maximal bad subsequence becomes one U+FFFD (never a line break byte).
                rune = Rune.ReplacementChar;
                if (bad.Count == 0 || bad[^1] != line)
                {
                    bad.Add(line);
                }
            }

            bytes = bytes[consumed..];
            text.Append(chars[..rune.EncodeToUtf16(chars)]);
            switch (rune.Value)
            {
                case '\n':
                    line += afterCr ? 0 : 1;
                    afterCr = false;
                    break;
                case '\r':
                    line++;
                    afterCr = true;
                    break;
                case '\f' or '\u0085' or '\u2028' or '\u2029':
                    line++;
                    afterCr = false;
                    break;
                default:
                    afterCr = false;
                    break;
            }
        }

        notUtf8Lines = bad;
        return text.ToString();
    }
}
