using System.Diagnostics;
using System.Globalization;

namespace CvmfsImages.Bench.Packages;

/// <summary>Runs candidates alternately (after one warm-up round each) and prints median wall and CPU seconds.</summary>
internal static class Timing
{
    public static void Compare(int runs, long bytes, params (string Name, Action Body)[] candidates)
    {
        foreach (var (_, body) in candidates)
        {
            body(); // warm-up: JIT and page cache
        }

        var wall = candidates.Select(_ => new List<double>()).ToArray();
        var cpu = candidates.Select(_ => new List<double>()).ToArray();
        for (var run = 0; run < runs; run++)
        {
            for (var i = 0; i < candidates.Length; i++)
            {
                GC.Collect();
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                candidates[i].Body();
                wall[i].Add(watch.Elapsed.TotalSeconds);
                cpu[i].Add((Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds);
            }
        }

        var baseline = Median(wall[0]);
        for (var i = 0; i < candidates.Length; i++)
        {
            var w = Median(wall[i]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {candidates[i].Name,-34} median {w:0.000} s wall, {Median(cpu[i]):0.000} s CPU, {bytes / w / 1e6:0} MB/s, {w / baseline:0.00} x the first"));
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
