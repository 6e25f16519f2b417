using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>The end-to-end tests share one sandbox (the copied command, config and busybox images), built once.</summary>
[CollectionDefinition(Name)]
public sealed class FrontEndTestGroup : ICollectionFixture<FrontEndSandbox>
{
    public const string Name = "FrontEnd";
}
