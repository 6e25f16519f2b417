namespace CvmfsImages.Publisher.Publishing;

/// <summary>How an image reference becomes a path in the repository.</summary>
public enum PathStyle
{
    /// <summary>
    /// As singularity.opensciencegrid.org: the registry host is dropped and Docker Hub's <c>library/</c> is kept:
    /// <c>docker.io/library/python:3.12</c> becomes <c>library/python:3.12</c>.
    /// </summary>
    Osg = 0,

    /// <summary>As DUCC: the registry host is the first component: <c>docker.io/library/python:3.12</c>.</summary>
    Registry = 1,
}
