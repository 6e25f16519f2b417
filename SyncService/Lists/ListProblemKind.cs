namespace CvmfsImages.Sync.Lists;

/// <summary>
/// What kind of problem a <see cref="ListProblem"/> is; <c>validate --json</c> prints it (as the kebab-case name in
/// parentheses, a stable part of its schema).
/// </summary>
public enum ListProblemKind
{
    /// <summary>The line is not an image reference or a valid tag glob (<c>syntax</c>).</summary>
    Syntax,

    /// <summary>The line is longer than <see cref="ImageList.MaxLineLength"/> (<c>line-too-long</c>).</summary>
    LineTooLong,

    /// <summary>The list has more lines than <c>Sync:MaxListLines</c>; this line and later ones are not read (<c>too-many-lines</c>).</summary>
    TooManyLines,

    /// <summary>The line holds bytes that are not UTF-8 (<c>not-utf8</c>).</summary>
    NotUtf8,

    /// <summary>The same image is listed on an earlier line (<c>duplicate</c>).</summary>
    Duplicate,

    /// <summary>A different reference on an earlier line is published at the same path (<c>path-collision</c>).</summary>
    PathCollision,

    /// <summary>Online check: the registry answered that the reference does not resolve for the primary platform (<c>unresolvable</c>).</summary>
    Unresolvable,

    /// <summary>Online check: a tag glob matches no tag of its repository (<c>no-matching-tag</c>).</summary>
    NoMatchingTag,

    /// <summary>Online check: the registry could not be asked (no answer, rate limit, server error); worth retrying later (<c>registry-unavailable</c>).</summary>
    RegistryUnavailable,
}
