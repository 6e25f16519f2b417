using Xunit;

namespace CvmfsImages.Tests.Runtime.EndToEnd;

/// <summary>
/// <see cref="FrontEndSandbox"/> on a node without unprivileged user namespaces, installed with <c>--setuid</c>: the
/// behaviour tests run once with each (their <c>...SetuidTests</c> twins).
/// </summary>
public sealed class SetuidFrontEndSandbox : FrontEndSandbox
{
    public SetuidFrontEndSandbox()
        : base(null, setuid: true)
    {
    }
}

/// <summary>The setuid twins of the end-to-end tests share one sandbox, built once.</summary>
[CollectionDefinition(Name)]
public sealed class SetuidFrontEndTestGroup : ICollectionFixture<SetuidFrontEndSandbox>
{
    public const string Name = "FrontEndSetuid";
}
