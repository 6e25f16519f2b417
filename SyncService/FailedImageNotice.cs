namespace CvmfsImages.Sync;

/// <summary>
/// An image that a sync could not bring up to date (its last published version, if any, stays): the list line, the
/// canonical reference and a one-line reason fit for a pull-request comment (no secrets).
/// </summary>
public sealed record FailedImageNotice(int LineNumber, string ListLine, string Reference, string Reason);
