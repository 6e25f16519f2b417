namespace CvmfsImages.Runtime.Planning;

/// <summary>Where a container path's content comes from.</summary>
internal enum ViewOrigin
{
    /// <summary>The image (read-only); a child can be created only after an UNDERLAY of the directory.</summary>
    Image,

    /// <summary>A tmpfs or a path the runtime created (MKDIR/MKFILE); children can be created.</summary>
    Session,

    /// <summary>A host path bound in; nothing is created there.</summary>
    Host,
}
