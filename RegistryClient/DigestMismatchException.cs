using CvmfsImages.Registry.Names;

namespace CvmfsImages.Registry;

/// <summary>Content from a registry does not match the digest or size it was asked for by.</summary>
public sealed class DigestMismatchException : RegistryException
{
    public DigestMismatchException()
    {
    }

    public DigestMismatchException(string message)
        : base(message)
    {
    }

    public DigestMismatchException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public DigestMismatchException(string reference, Digest expected, Digest? actual, long expectedSize, long actualSize)
        : base(Describe(reference, expected, actual, expectedSize, actualSize), reference)
    {
        Expected = expected;
        Actual = actual;
        ExpectedSize = expectedSize;
        ActualSize = actualSize;
    }

    /// <summary>The digest asked for.</summary>
    public Digest Expected { get; }

    /// <summary>The digest of what arrived, or null when the size was already wrong.</summary>
    public Digest? Actual { get; }

    /// <summary>The size asked for (-1 when unknown).</summary>
    public long ExpectedSize { get; }

    /// <summary>The bytes that arrived (as far as they were read).</summary>
    public long ActualSize { get; }

    private static string Describe(string reference, Digest expected, Digest? actual, long expectedSize, long actualSize) =>
        actual is { } a
            ? $"content of {reference} has digest {a}, expected {expected}"
            : $"content of {reference} ({expected}) has {(actualSize > expectedSize ? "more than" : "only")} {Math.Min(actualSize, expectedSize + 1)} bytes, expected {expectedSize}";
}
