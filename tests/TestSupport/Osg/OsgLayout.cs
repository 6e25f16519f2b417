using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CvmfsImages.TestSupport.Osg;

/// <summary>
/// The naming rules of OSG's <c>cvmfs-singularity-sync</c>, ported line by line from its source at HEAD
/// <c>07b0da3</c> (opensciencegrid/cvmfs-singularity-sync), so that tests build a repository exactly as it does:
/// <list type="bullet">
/// <item><see cref="ImageHash"/>: <c>cvmfs-singularity-sync</c> lines 389-405 (<c>publish_image</c>); the manifest
/// is the one served for its <c>Accept</c> list, which includes manifest lists and OCI indexes (<c>dockerhub.py</c>
/// lines 518-524), so a multi-platform image is hashed as its index's digest.</item>
/// <item><see cref="ImageDirectory"/>: lines 407-413 (<c>image_hash.find(':')</c>, then <c>[0:sep+3]</c> and
/// <c>[sep+3:]</c>).</item>
/// <item><see cref="TagPath"/>: <c>parse_image</c>, lines 314-357 (the registry is dropped; <c>library</c> for a
/// one-component name; the tag only when the last component splits into exactly two at <c>:</c>), and
/// <c>make_final_symlink</c>, lines 280-311 (<c>&lt;root&gt;/&lt;namespace&gt;/&lt;image&gt;:&lt;tag&gt;</c>, an
/// absolute link to the image directory: the root is <c>os.path.abspath</c>'d at line 130).</item>
/// </list>
/// </summary>
public static class OsgLayout
{
    /// <summary>The commit of opensciencegrid/cvmfs-singularity-sync these rules were read from.</summary>
    public const string SourceCommit = "07b0da3";

    /// <summary>
    /// OSG's image hash: sha256 (lower-case hex) over the hex parts of the layer digests concatenated in manifest
    /// order (<c>fsLayers[].blobSum</c> for schema 1, <c>layers[].digest</c> for schema 2); for a document with
    /// neither (a manifest list or OCI index), <paramref name="contentDigest"/> itself, <c>sha256:&lt;hex&gt;</c>.
    /// </summary>
    /// <param name="manifest">The manifest's bytes as the registry served them.</param>
    /// <param name="contentDigest">Its <c>Docker-Content-Digest</c>.</param>
    public static string ImageHash(ReadOnlySpan<byte> manifest, string contentDigest)
    {
        ArgumentException.ThrowIfNullOrEmpty(contentDigest);
        using var document = JsonDocument.Parse(manifest.ToArray());
        var root = document.RootElement;

        // manifest['schemaVersion']: OSG's script fails with a KeyError without it; so does this.
        var schemaVersion = root.GetProperty("schemaVersion").GetInt32();
        var layers = schemaVersion switch
        {
            1 when root.TryGetProperty("fsLayers", out var fsLayers) => fsLayers.EnumerateArray().Select(l => l.GetProperty("blobSum").GetString()!).ToList(),
            2 when root.TryGetProperty("layers", out var layerList) => layerList.EnumerateArray().Select(l => l.GetProperty("digest").GetString()!).ToList(),
            _ => null,
        };
        if (layers is null)
        {
            return contentDigest;
        }

        // layerinfo['digest'].split(":")[-1].encode('utf-8'), each fed to one hasher.
        using var hasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var digest in layers)
        {
            hasher.AppendData(Encoding.UTF8.GetBytes(digest[(digest.LastIndexOf(':') + 1)..]));
        }

        return Convert.ToHexStringLower(hasher.GetHashAndReset());
    }

    /// <summary>
    /// The image directory of a hash, relative to the root: <c>.images/&lt;h[0:2]&gt;/&lt;h[2:]&gt;</c>, or for a
    /// digest <c>.images/sha256:&lt;2 hex&gt;/&lt;62 hex&gt;</c>.
    /// </summary>
    public static string ImageDirectory(string imageHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(imageHash);
        var sep = imageHash.IndexOf(':', StringComparison.Ordinal); // Python's str.find: -1 when absent
        return ".images/" + imageHash[..(sep + 3)] + "/" + imageHash[(sep + 3)..];
    }

    /// <summary>
    /// The tag path OSG's script writes for an image as its list names it (<c>parse_image</c>, registry dropped):
    /// <c>python</c> -> <c>library/python:latest</c>, <c>containers.ligo.org/lscsoft/lalsuite/lalsuite-v6.53:stretch</c>
    /// -> <c>lscsoft/lalsuite/lalsuite-v6.53:stretch</c>.
    /// </summary>
    public static string TagPath(string image)
    {
        ArgumentException.ThrowIfNullOrEmpty(image);
        var split = image.Split('/');
        string ns;
        string rest;
        if (split.Length == 2)
        {
            ns = split[0];
            rest = split[1];
        }
        else if (split.Length > 2)
        {
            ns = split[1];
            rest = string.Join('/', split[2..]);
        }
        else
        {
            ns = "library";
            rest = split[0];
        }

        var parts = rest.Split(':');
        var (name, tag) = parts.Length == 2 ? (parts[0], parts[1]) : (parts[0], "latest");
        return $"{ns}/{name}:{tag}";
    }
}
