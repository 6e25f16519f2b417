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
}
