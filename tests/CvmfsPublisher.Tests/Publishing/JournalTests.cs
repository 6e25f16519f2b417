using Xunit;
using CvmfsImages.Publisher.Publishing;
using CvmfsImages.TestSupport;

namespace CvmfsImages.Tests.CvmfsPublisher.Publishing;

/// <summary>The directory backend's undo journal: one entry per line, replayed backwards; a torn last line is ignored.</summary>
public sealed class JournalTests
{
    [Fact]
    public void Each_entry_is_one_line_and_undo_restores_the_old_link_and_removes_the_new_one()
    {
        using var temp = new TempDirectory("journal");
        var tree = new RepositoryTree(temp.Combine("root"));
        Directory.CreateDirectory(tree.Full("org"));
        File.CreateSymbolicLink(tree.Full("org/app:1"), "../.images/aa/old");
        File.CreateSymbolicLink(tree.Full("org/app:2"), "../.images/aa/new");
        var journal = temp.Combine("transaction.journal");
        File.WriteAllLines(journal,
        [
            """{"op":"link","path":"org/app:1","old":"../.images/aa/old"}""",
            """{"op":"link","path":"org/app:2"}""",
            """{"op":"link","path":"org/app:3","old":"../.im""", // torn: the process died while writing it
        ]);
        tree.ReplaceSymlink("org/app:1", "../.images/aa/new", RepositoryTree.TemporaryName("org/app:1"));

        Assert.Equal(2, DirectorySession.Undo(tree, journal));

        Assert.Equal("../.images/aa/old", new FileInfo(tree.Full("org/app:1")).LinkTarget);
        Assert.False(Path.Exists(tree.Full("org/app:2")));
    }

    [Fact]
    public void A_damaged_line_before_the_last_stops_the_undo_and_names_the_journal_and_line()
    {
        using var temp = new TempDirectory("journal");
        var tree = new RepositoryTree(temp.Combine("root"));
        Directory.CreateDirectory(tree.Full("org"));
        File.CreateSymbolicLink(tree.Full("org/app:1"), "../.images/aa/new");
        var journal = temp.Combine("transaction.journal");
        File.WriteAllLines(journal, ["{", """{"op":"link","path":"org/app:1"}"""]);

        var error = Assert.Throws<InvalidDataException>(() => DirectorySession.Undo(tree, journal));

        Assert.Contains(journal, error.Message);
        Assert.Contains("line 1", error.Message);
        Assert.Equal("../.images/aa/new", new FileInfo(tree.Full("org/app:1")).LinkTarget); // nothing undone
    }

    /// <summary>
    /// Links are journaled ahead in batches (one flush for many): a crash in the middle leaves entries whose change
    /// never happened. Undoing them changes nothing, and never goes through a link to do it.
    /// </summary>
    [Fact]
    public void Entries_journaled_ahead_whose_change_never_happened_undo_nothing_and_follow_no_link()
    {
        using var temp = new TempDirectory("journal");
        var tree = new RepositoryTree(temp.Combine("root"));
        Directory.CreateDirectory(tree.Full(".images/aa/old"));
        File.CreateSymbolicLink(tree.Full(".images/aa/old/x:1"), "inside-the-image");
        Directory.CreateDirectory(tree.Full("org"));
        File.CreateSymbolicLink(tree.Full("org/app:1"), "../.images/aa/old");
        var journal = temp.Combine("transaction.journal");
        File.WriteAllLines(journal,
        [
            """{"op":"link","path":"org/app:1","old":"../.images/aa/old","temporary":"org/.app:1.tmp-1"}""",
            """{"op":"mkdir","path":"new"}""",
            """{"op":"mkdir","path":"new/deeper"}""",
            """{"op":"link","path":"new/deeper/app:1","temporary":"new/deeper/.app:1.tmp-2"}""",
            """{"op":"link","path":"org/app:1/x:1","temporary":"org/app:1/.x:1.tmp-3"}""", // below a link: never ours
        ]);

        Assert.Equal(5, DirectorySession.Undo(tree, journal));

        Assert.Equal("../.images/aa/old", new FileInfo(tree.Full("org/app:1")).LinkTarget);
        Assert.Equal("inside-the-image", new FileInfo(tree.Full(".images/aa/old/x:1")).LinkTarget); // not reached through org/app:1
        Assert.False(Path.Exists(tree.Full("new")));
        Assert.Equal(["app:1"], Directory.EnumerateFileSystemEntries(tree.Full("org")).Select(Path.GetFileName));
    }
}
