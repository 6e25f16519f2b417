namespace CvmfsImages.Publisher.Publishing;

/// <summary>How tag symlinks are written (<c>Publisher:TagLinks</c>); links already there are read in either form.</summary>
public enum TagLinks
{
    /// <summary><c>library/python:3.12 -> ../.images/ab/cdef...</c>: the tree can move (the default).</summary>
    Relative,

    /// <summary>
    /// <c>library/python:3.12 -> /cvmfs/&lt;repository&gt;/.images/ab/cdef...</c> (<c>Publisher:MountPath</c>), as OSG's
    /// <c>cvmfs-singularity-sync</c> writes them: its <c>cleanup.py</c> counts an image only relative links point at
    /// as unlinked, so keep this while a rollback to it must stay possible.
    /// </summary>
    Absolute,
}
