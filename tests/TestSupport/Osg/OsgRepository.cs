using System.Globalization;
using System.Text;
using CvmfsImages.Publisher.Flattening;
using CvmfsImages.Registry;
using CvmfsImages.TestSupport.Images;

namespace CvmfsImages.TestSupport.Osg;

/// <summary>
/// A repository laid out exactly as OSG's <c>cvmfs-singularity-sync</c> (HEAD <c>07b0da3</c>) lays out
/// <c>/cvmfs/singularity.opensciencegrid.org</c>, for tests of the takeover: image directories named by
/// <see cref="OsgLayout.ImageHash"/> with no metadata file, absolute tag links, and <c>.missing_links.json</c>.
/// <para>
/// What was checked against OSG's source (opensciencegrid/cvmfs-singularity-sync at 07b0da3):
/// <c>cvmfs-singularity-sync</c> lines 130 (the root is made absolute, so links are absolute), 389-413 (hash and
/// directory), 416-418 (an existing directory is only linked), 428-433 (the parent <c>.images/xx</c> is created,
/// the image directory by the build), 446-453 (<c>singularity build --fix-perms --sandbox</c>), 455-461
/// (<c>srv/</c> and <c>cvmfs/</c> created after it), 280-311 (<c>make_final_symlink</c>: parent directories made,
/// an existing link to elsewhere unlinked and the new one made, <c>os.symlink(image_dir, final_path)</c>);
/// <c>cleanup.py</c> lines 19-25 and 68-136 (<c>.missing_links.json</c> is <c>{"missing_links": {absolute image dir:
/// int(time.time())}}</c> written by <c>json.dump</c>, keys from <c>glob(base + '/.images/*/*')</c>, entries dropped
/// when linked again, directories older than <c>delay=2</c> days removed, at most <c>max_per_cycle=50</c> per run).
/// </para>
/// <para>
/// The tree is unpacked with this project's own <see cref="ImageFlattener"/> (its public API), not plain tar
/// extraction: OSG's trees come from <c>singularity build --sandbox</c>, which applies whiteouts and writes
/// <c>/.singularity.d</c>, and the flattener is this project's tested emulation of exactly that; a second, naive tar
/// extractor here would differ from both (no whiteouts, no metadata) and make the takeover tests less realistic.
/// The one known difference from <c>--fix-perms</c> (owner <c>rwX</c> only) is that the flattener also makes
/// everything world-readable, which CVMFS needs anyway.
/// </para>
/// </summary>
public sealed class OsgRepository
{
    private readonly List<KeyValuePair<string, long>> _missingLinks = [];

    /// <param name="root">The directory to lay the repository out in (created when missing).</param>
    /// <param name="mountPath">
    /// The absolute path OSG's links and <c>.missing_links.json</c> name. Default: <paramref name="root"/> made
    /// absolute, which is what the script writes when run with <c>--rootfs</c> <paramref name="root"/>, so links
    /// resolve on this machine. A repository as worker nodes see it has <c>/cvmfs/&lt;repository&gt;</c>; for the
    /// <c>cvmfs_server</c> stand-in pass its mount point (<c>MountRoot/Name</c>).
    /// </param>
    public OsgRepository(string root, string? mountPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
        MountPath = Path.TrimEndingDirectorySeparator(mountPath ?? Root);
        if (!Path.IsPathFullyQualified(MountPath))
        {
            throw new ArgumentException($"the mount path must be absolute (it is '{mountPath}')", nameof(mountPath));
        }

        Directory.CreateDirectory(Root);
    }

    /// <summary>Where the repository is on this machine.</summary>
    public string Root { get; }

    /// <summary>The absolute path its links name.</summary>
    public string MountPath { get; }

    /// <summary><c>Root/.missing_links.json</c>.</summary>
    public string MissingLinksFile => Path.Combine(Root, ".missing_links.json");

    /// <summary>
    /// Publishes <paramref name="image"/> as <c>publish_image</c> does and links it at the tag path of
    /// <paramref name="listedAs"/> (a list line such as <c>127.0.0.1:5000/ns/app:1</c>; see
    /// <see cref="OsgLayout.TagPath"/>). An image whose directory exists is only linked. For a manifest list the
    /// directory is named by its digest and holds <paramref name="platform"/>'s tree (default linux/amd64, what
    /// <c>singularity build</c> picks on an amd64 host).
    /// </summary>
    public async Task<OsgImage> AddImageAsync(BuiltImage image, string listedAs, Platform? platform = null, CancellationToken cancellationToken = default)
    {
        var added = await AddUnlinkedImageAsync(image, platform, cancellationToken);
        LinkTag(OsgLayout.TagPath(listedAs), added);
        return added;
    }

    /// <summary>
    /// An image directory that no tag links (what is left when a tag moved or a line was removed, before
    /// <c>cleanup.py</c> deletes it); add <see cref="AddMissingLink(OsgImage, DateTimeOffset)"/> for OSG's clock.
    /// </summary>
    public async Task<OsgImage> AddUnlinkedImageAsync(BuiltImage image, Platform? platform = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var hash = OsgLayout.ImageHash(image.Content.Span, image.Digest.ToString());
        var relative = OsgLayout.ImageDirectory(hash);
        var local = Path.Combine(Root, relative);
        var wanted = platform ?? Platform.LinuxAmd64;
        var manifest = image.IsIndex
            ? image.Manifests.FirstOrDefault(m => m.Platform.Equals(wanted)) ?? throw new ArgumentException($"the index has no {wanted} manifest", nameof(platform))
            : image.Manifest;
        if (!Directory.Exists(local))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(local)!);
            var layers = manifest.Layers
                .Select(l => new LayerInput(l.Descriptor.MediaType, l.Descriptor.Digest.ToString(), _ => Task.FromResult<Stream>(new MemoryStream(l.Blob.ToArray(), writable: false))))
                .ToList();
            await new ImageFlattener().FlattenAsync(layers, ImageConfig.Parse(manifest.ConfigBytes.Span), local, new FlattenOptions(), cancellationToken);
            Directory.CreateDirectory(Path.Combine(local, "srv"));
            Directory.CreateDirectory(Path.Combine(local, "cvmfs"));
        }

        return new OsgImage(hash, relative, MountPath + "/" + relative, local, image, manifest);
    }

    /// <summary>
    /// Links <paramref name="tagPath"/> (<c>&lt;namespace&gt;/&lt;image&gt;:&lt;tag&gt;</c>) to <paramref name="image"/>
    /// with an absolute link, replacing a link that is there, as <c>make_final_symlink</c> does. Also the way to make
    /// an unlisted tag: link a path that the test's list does not name.
    /// </summary>
    public string LinkTag(string tagPath, OsgImage image)
    {
        ArgumentException.ThrowIfNullOrEmpty(tagPath);
        ArgumentNullException.ThrowIfNull(image);
        if (tagPath.StartsWith('/') || tagPath.Split('/').Any(p => p is "" or "." or ".."))
        {
            throw new ArgumentException($"'{tagPath}' is not a relative tag path", nameof(tagPath));
        }

        var link = Path.Combine(Root, tagPath);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        if (new FileInfo(link).LinkTarget is not null)
        {
            File.Delete(link);
        }

        File.CreateSymbolicLink(link, image.LinkTarget);
        return link;
    }

    /// <summary>Enters <paramref name="image"/> into <c>.missing_links.json</c> as first seen unlinked at <paramref name="firstSeenUnlinked"/>.</summary>
    public void AddMissingLink(OsgImage image, DateTimeOffset firstSeenUnlinked)
    {
        ArgumentNullException.ThrowIfNull(image);
        AddMissingLink(image.LinkTarget, firstSeenUnlinked);
    }

    /// <summary>
    /// Enters any absolute directory (one that exists or not, inside the mount path or not: <c>cleanup.py</c>
    /// skips those outside) into <c>.missing_links.json</c> and rewrites the file as <c>json.dump</c> writes it.
    /// </summary>
    public void AddMissingLink(string absoluteImageDirectory, DateTimeOffset firstSeenUnlinked)
    {
        ArgumentException.ThrowIfNullOrEmpty(absoluteImageDirectory);
        _missingLinks.RemoveAll(e => e.Key == absoluteImageDirectory);
        _missingLinks.Add(new(absoluteImageDirectory, firstSeenUnlinked.ToUnixTimeSeconds()));
        WriteMissingLinks();
    }

    /// <summary>
    /// The file's text, byte for byte what Python's <c>json.dump({"missing_links": d}, f)</c> writes: separators
    /// <c>", "</c> and <c>": "</c>, keys in insertion order, non-ASCII escaped (<c>ensure_ascii</c>), integer times.
    /// </summary>
    public static string MissingLinksJson(IEnumerable<KeyValuePair<string, long>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var text = new StringBuilder("{\"missing_links\": {");
        var first = true;
        foreach (var (directory, time) in entries)
        {
            text.Append(first ? string.Empty : ", ").Append(PythonString(directory)).Append(": ").Append(time.ToString(CultureInfo.InvariantCulture));
            first = false;
        }

        return text.Append("}}").ToString();
    }

    private void WriteMissingLinks() => File.WriteAllText(MissingLinksFile, MissingLinksJson(_missingLinks));

    // json.dumps of a str with ensure_ascii=True.
    private static string PythonString(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\b' => "\\b",
                '\f' => "\\f",
                _ when c < 0x20 || c > 0x7e => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => c.ToString(),
            });
        }

        return text.Append('"').ToString();
    }
}
