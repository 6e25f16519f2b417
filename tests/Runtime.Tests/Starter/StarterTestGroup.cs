using Xunit;

namespace CvmfsImages.Tests.Runtime.Starter;

/// <summary>The starter tests share one sandbox (the copied binary and the busybox images), built once.</summary>
[CollectionDefinition(Name)]
public sealed class StarterTestGroup : ICollectionFixture<StarterSandbox>
{
    public const string Name = "Starter";
}
