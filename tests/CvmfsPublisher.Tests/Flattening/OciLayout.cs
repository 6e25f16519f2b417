using System.Text;
using CvmfsImages.TestSupport;

namespace CvmfsImages.Tests.CvmfsPublisher.Flattening;

/// <summary>Writes an OCI image layout (gzip layers, config, manifest, index with one tag) for peers such as umoci.</summary>
internal static class OciLayout
{
    public static void Write(string directory, string tag, IReadOnlyList<byte[]> tars)
    {
        Directory.CreateDirectory(Path.Combine(directory, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        var layers = new List<string>();
        var diffIds = new List<string>();
        foreach (var tar in tars)
        {
            var gz = TarBuilder.Gzip(tar);
            layers.Add(Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", Blob(directory, gz), gz.Length));
            diffIds.Add("\"" + TarBuilder.Digest(tar) + "\"");
        }

        var config = Encoding.UTF8.GetBytes(
            $$$"""{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[{{{string.Join(',', diffIds)}}}]}}""");
        var manifest = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{Descriptor("application/vnd.oci.image.config.v1+json", Blob(directory, config), config.Length)}},"layers":[{{string.Join(',', layers)}}]}""");
        var manifestDigest = Blob(directory, manifest);
        File.WriteAllText(Path.Combine(directory, "index.json"),
            $$$"""{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{manifestDigest}}}","size":{{{manifest.Length}}},"annotations":{"org.opencontainers.image.ref.name":"{{{tag}}}"}}]}""");
    }

    private static string Blob(string directory, byte[] content)
    {
        var digest = TarBuilder.Digest(content);
        File.WriteAllBytes(Path.Combine(directory, "blobs", "sha256", digest["sha256:".Length..]), content);
        return digest;
    }

    private static string Descriptor(string mediaType, string digest, long size) =>
        $$"""{"mediaType":"{{mediaType}}","digest":"{{digest}}","size":{{size}}}""";
}
