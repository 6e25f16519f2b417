namespace CvmfsImages.Sync.Web.Api;

/// <summary>The list line an image comes from: its number and its text as written (hostile: render as text).</summary>
internal sealed record ApiLine(int Number, string Text);
