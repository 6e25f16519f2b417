using System.Globalization;
using System.Text;

namespace CvmfsImages.TestSupport;

/// <summary>A unified diff of two texts (LCS, three lines of context), as GitHub shows a file's <c>patch</c> (no headers).</summary>
public static class UnifiedDiff
{
    public static string Create(string oldText, string newText, int context = 3)
    {
        var a = Lines(oldText);
        var b = Lines(newText);
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        // The edit script: (' ' | '-' | '+', text, old index, new index).
        var ops = new List<(char Op, string Text, int Old, int New)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                ops.Add((' ', a[x], x++, y++));
            }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y]))
            {
                ops.Add(('+', b[y], x, y++));
            }
            else
            {
                ops.Add(('-', a[x], x++, y));
            }
        }

        var sb = new StringBuilder();
        var k = 0;
        while (k < ops.Count)
        {
            if (ops[k].Op == ' ')
            {
                k++;
                continue;
            }

            var start = Math.Max(0, k - context);
            var end = k;
            var quiet = 0;
            while (end < ops.Count && quiet <= 2 * context)
            {
                quiet = ops[end].Op == ' ' ? quiet + 1 : 0;
                end++;
            }

            end = Math.Min(ops.Count, end - Math.Max(0, quiet - context));
            var hunk = ops.GetRange(start, end - start);
            var oldCount = hunk.Count(o => o.Op != '+');
            var newCount = hunk.Count(o => o.Op != '-');
            var oldStart = oldCount == 0 ? hunk[0].Old : hunk[0].Old + 1;
            var newStart = newCount == 0 ? hunk[0].New : hunk[0].New + 1;
            sb.Append(CultureInfo.InvariantCulture, $"@@ -{oldStart},{oldCount} +{newStart},{newCount} @@\n");
            foreach (var op in hunk)
            {
                sb.Append(op.Op).Append(op.Text).Append('\n');
            }

            k = end;
        }

        return sb.ToString().TrimEnd('\n');
    }

    private static string[] Lines(string text)
    {
        var lines = text.Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }
}
