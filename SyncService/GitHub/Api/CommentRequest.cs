namespace CvmfsImages.Sync.GitHub.Api;

/// <summary>Body of the create and edit comment calls.</summary>
internal sealed record CommentRequest(string Body);
