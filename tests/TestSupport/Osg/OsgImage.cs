using CvmfsImages.TestSupport.Images;

namespace CvmfsImages.TestSupport.Osg;

/// <summary>One image directory of an <see cref="OsgRepository"/>.</summary>
/// <param name="Hash">OSG's image hash (<see cref="OsgLayout.ImageHash"/>): 64 hex, or <c>sha256:&lt;hex&gt;</c> for a manifest list.</param>
/// <param name="RelativeDirectory"><c>.images/xx/yyyy...</c>, relative to the root.</param>
/// <param name="LinkTarget">The absolute path OSG's links and <c>.missing_links.json</c> name: the mount path plus <see cref="RelativeDirectory"/>.</param>
/// <param name="LocalDirectory">Where the tree is on this machine (the root plus <see cref="RelativeDirectory"/>).</param>
/// <param name="Source">The image as pushed.</param>
/// <param name="Unpacked">The platform manifest whose layers the tree holds (for a manifest list, the chosen platform's).</param>
public sealed record OsgImage(string Hash, string RelativeDirectory, string LinkTarget, string LocalDirectory, BuiltImage Source, BuiltManifest Unpacked);
