namespace CvmfsImages.Publisher.Publishing;

/// <summary>
/// One line of the directory backend's undo journal, written (and flushed) before the change it describes, so that
/// replaying the journal backwards undoes a transaction cut short at any point. Every undo is idempotent: it also
/// holds when the change itself never happened.
/// </summary>
/// <param name="Op"><c>mkdir</c>, <c>rmdir</c>, <c>image</c> (added), <c>link</c>, <c>file</c>, <c>trash</c> (image moved away).</param>
/// <param name="Path">The repository-relative path changed.</param>
/// <param name="Old">For <c>link</c>: the old target; for <c>file</c>: the old content (base64); null: nothing was there.</param>
/// <param name="Temporary">The temporary name used on the way (removed on undo), or the trash location.</param>
internal sealed record JournalEntry(string Op, string Path, string? Old = null, string? Temporary = null);
