using System.Diagnostics.CodeAnalysis;

namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// The one rule for tag-path collisions: the first claim of a path keeps it; a later claim of that path by a
/// different owner collides with that first claim (the same owner again is not a collision). The publisher uses it
/// for the <see cref="SetTag"/>s of one call (owner: the image; there neither wins), list validation for two lines,
/// and the sync for its targets after glob expansion (there the earlier line keeps the path).
/// </summary>
/// <typeparam name="T">What claims a path.</typeparam>
public sealed class TagPathClaims<T>
{
    private readonly Dictionary<string, T> holders = new(StringComparer.Ordinal);
    private readonly Func<T, T, bool> sameOwner;

    /// <param name="sameOwner">Whether two claimants are one owner; default: <see cref="EqualityComparer{T}.Default"/>.</param>
    public TagPathClaims(Func<T, T, bool>? sameOwner = null)
    {
        this.sameOwner = sameOwner ?? EqualityComparer<T>.Default.Equals;
    }

    /// <summary>
    /// Claims <paramref name="tagPath"/> for <paramref name="claimant"/>: true when the path was free or is held by the
    /// same owner; false when it collides, with <paramref name="holder"/> the first claimant (who keeps the path).
    /// </summary>
    public bool TryClaim(string tagPath, T claimant, [MaybeNullWhen(true)] out T holder)
    {
        ArgumentNullException.ThrowIfNull(tagPath);
        if (holders.TryGetValue(tagPath, out var first))
        {
            holder = first;
            if (sameOwner(first, claimant))
            {
                holder = default;
                return true;
            }

            return false;
        }

        holders.Add(tagPath, claimant);
        holder = default;
        return true;
    }
}
