namespace CvmfsImages.TestSupport;

/// <summary>An issue comment held by the <see cref="GitHubFake"/>; <see cref="Edits"/> counts PATCHes.</summary>
public sealed class GitHubFakeComment(long id, int issue, string login, string body)
{
    public long Id { get; } = id;

    public int Issue { get; } = issue;

    public string Login { get; } = login;

    public string Body { get; internal set; } = body;

    public int Edits { get; internal set; }
}
