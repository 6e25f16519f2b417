using CvmfsImages.Publisher.Flattening;
using CvmfsImages.Registry;

namespace CvmfsImages.Sync.Execution;

/// <summary>The flattener's view of a resolved image: its config parsed and one lazily opened, counted stream per layer.</summary>
internal static class ImageLayers
{
    public static (ImageConfig Config, IReadOnlyList<LayerInput> Layers) For(RegistryClient registry, ResolvedImage image, Action<int> onRead)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(onRead);
        var config = ImageConfig.Parse(image.ConfigBytes.Span);

        // DiffIds are checked when the config lists one per layer; a mismatch in count is the flattener's to refuse.
        var diffIds = config.DiffIds.Count == image.Layers.Count ? config.DiffIds : null;
        var layers = image.Layers.Select((layer, i) => new LayerInput(
            layer.MediaType,
            layer.Digest.ToString(),
            async token => new CountingStream(await registry.OpenBlobAsync(image.Reference.Repository, layer, token).ConfigureAwait(false), onRead))
        {
            DiffId = diffIds?[i],
        }).ToList();
        return (config, layers);
    }
}
