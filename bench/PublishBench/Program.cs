using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CvmfsImages.Publisher.Publishing;

// Usage: PublishBench transaction|ingest CVMFS_SERVER MOUNT_ROOT REPOSITORY STAGING SOURCE_TREE TAG_PATH
// Copies SOURCE_TREE (a flattened image) to a staging path with `cp -a` (not timed: that is the flattener's output),
// then times CvmfsRepository.ApplyAsync([AddImage, SetTag]) and prints one line: "publish S s, cpu C s" (wall time;
// CPU time of this process and its cvmfs_server children during ApplyAsync).
if (args.Length != 7 || args[0] is not ("transaction" or "ingest"))
{
    Console.Error.WriteLine("usage: PublishBench transaction|ingest CVMFS_SERVER MOUNT_ROOT REPOSITORY STAGING SOURCE_TREE TAG_PATH");
    return 2;
}

var options = new PublisherOptions
{
    Backend = PublisherBackends.CvmfsServer,
    UseIngest = args[0] == "ingest",
    CvmfsServerPath = args[1],
    MountRoot = args[2],
    RepositoryName = args[3],
    StagingDirectory = args[4],
};
var source = args[5];
var tagPath = args[6];
var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tagPath + args[0])));

var repository = new CvmfsRepository(options);
await repository.RecoverAsync(CancellationToken.None);
var staged = repository.CreateStagingPath(digest);
using (var copy = Process.Start("cp", ["-a", source, staged]))
{
    await copy.WaitForExitAsync();
    if (copy.ExitCode != 0)
    {
        Console.Error.WriteLine($"PublishBench: cp -a {source} {staged} failed");
        return 1;
    }
}

var metadata = new ImageMetadata
{
    ConfigDigest = digest,
    ManifestDigest = digest,
    Platform = "linux/amd64",
    Sources = ["bench/" + tagPath],
    SourceDigests = [digest],
    Size = 1,
    Files = 1,
};
var cpuBefore = CpuSeconds();
var stopwatch = Stopwatch.StartNew();
var result = await repository.ApplyAsync([new AddImage(metadata, staged), new SetTag(tagPath, digest)], null, CancellationToken.None);
var seconds = stopwatch.Elapsed.TotalSeconds;
var cpu = CpuSeconds() - cpuBefore;
if (result.Failed.Count > 0)
{
    Console.Error.WriteLine($"PublishBench: {result.Failed[0].Error.Message}");
    return 1;
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"publish {seconds:F3} s, cpu {cpu:F3} s"));
return 0;

// User + system CPU of this process and of its finished children (cvmfs_server and what it ran), from /proc/self/stat.
static double CpuSeconds()
{
    var stat = File.ReadAllText("/proc/self/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return Enumerable.Range(11, 4).Sum(i => double.Parse(fields[i], CultureInfo.InvariantCulture)) / 100.0; // utime stime cutime cstime, in USER_HZ (100)
}
