using System.Net;
using System.Text;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Auth;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.RegistryClient;

/// <summary>The real registry with htpasswd Basic auth and in Bearer token mode (with a test token server).</summary>
public sealed class AuthenticationTests
{
    private const string User = "alice";
    private const string Password = "s3cret-Pa55word";

    [Fact]
    public async Task Basic_auth_with_configured_credentials_pushes_and_pulls()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var registry = await AuthenticatedRegistry.StartWithBasicAuthAsync(User, Password, ct);
        var logs = new CapturingLoggerProvider();
        var options = Clients.Options(o => o.Hosts[registry.Host] = new RegistryHostOptions { Username = User, Password = Password });
        using var client = new Registry.RegistryClient(options, logs);
        var reference = ImageReference.Parse($"{registry.Host}/basic/image:1");

        var image = await TestImage.Create().WithLayer(TestFile.Text("a", "a")).PushAsync(client, reference, ct);
        var resolved = await client.ResolveImageAsync(reference, Platform.LinuxAmd64, ct);

        Assert.Equal(image.Manifest.Digest, resolved.ManifestDigest);
        Assert.Equal(["1"], await client.ListTagsAsync(reference.Repository, ct));
        Assert.DoesNotContain(Password, logs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")), logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basic_auth_from_docker_config_json_and_refusals_without_or_with_wrong_credentials()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var registry = await AuthenticatedRegistry.StartWithBasicAuthAsync(User, Password, ct);
        using var dir = new TempDirectory("docker-config");
        var config = dir.Combine("config.json");
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"));
        await File.WriteAllTextAsync(config, "{\"auths\":{\"http://" + registry.Host + "/v1/\":{\"auth\":\"" + auth + "\"}}}", ct);
        var reference = ImageReference.Parse($"{registry.Host}/basic/config:1");

        using (var client = Clients.Create(o => o.DockerConfigPath = config))
        {
            await TestImage.Create().WithLayer(TestFile.Text("a", "a")).PushAsync(client, reference, ct);
            Assert.NotEqual(default, await client.ResolveDigestAsync(reference, ct));
        }

        using (var anonymous = Clients.Create())
        {
            var ex = await Assert.ThrowsAsync<RegistryException>(() => anonymous.GetManifestAsync(reference, ct));
            Assert.Equal(HttpStatusCode.Unauthorized, ex.Status);
            Assert.True(ex.HasErrorCode("UNAUTHORIZED"), ex.Message);
            Assert.Contains($"Registry:Hosts:{registry.Host}:Username", ex.Message, StringComparison.Ordinal);
            Assert.False(ex.IsTransient);
        }

        using var wrong = Clients.Create(o => o.Hosts[registry.Host] = new RegistryHostOptions { Username = User, Password = "wrong-password" });
        var refused = await Assert.ThrowsAsync<RegistryException>(() => wrong.GetManifestAsync(reference, ct));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.DoesNotContain("wrong-password", refused.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bearer_tokens_are_fetched_per_scope_cached_and_pushes_need_credentials()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var tokens = TokenServer.Start();
        tokens.Users[User] = Password;
        await using var registry = await AuthenticatedRegistry.StartWithTokenAuthAsync(tokens, ct);
        var logs = new CapturingLoggerProvider();
        var reference = ImageReference.Parse($"{registry.Host}/bearer/image:1");

        // Anonymous clients get pull tokens only: a push is denied by the registry.
        using (var anonymous = Clients.Create())
        {
            var denied = await Assert.ThrowsAsync<RegistryException>(() =>
                TestImage.Create().WithLayer(TestFile.Text("a", "a")).PushAsync(anonymous, reference, ct));
            Assert.Equal(HttpStatusCode.Unauthorized, denied.Status);
        }

        var options = Clients.Options(o => o.Hosts[registry.Host] = new RegistryHostOptions { Username = User, Password = Password });
        using var client = new Registry.RegistryClient(options, logs);
        var image = await TestImage.Create().WithLayer(TestFile.Text("a", "a")).WithLayer(TestFile.Text("b", "b")).PushAsync(client, reference, ct);
        var pushTokenRequests = tokens.Requests.Count;
        Assert.Contains(tokens.Requests, r => r.Query.Contains("scope=repository%3Abearer%2Fimage%3Apull%2Cpush", StringComparison.Ordinal)
                                             && r.Query.Contains("service=test-registry", StringComparison.Ordinal)
                                             && r.Query.Contains("account=alice", StringComparison.Ordinal));

        var resolved = await client.ResolveImageAsync(reference, Platform.LinuxAmd64, ct);
        foreach (var layer in resolved.Layers)
        {
            await RoundTripTests.ReadAllAsync(client, reference.Repository, layer, ct);
        }

        await client.ListTagsAsync(reference.Repository, ct);
        Assert.Equal(image.Manifest.Digest, resolved.ManifestDigest);

        // One more token for the pull scope; every later request reuses the cached one.
        Assert.Equal(pushTokenRequests + 1, tokens.Requests.Count);
        Assert.DoesNotContain(Password, logs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", logs.Text, StringComparison.Ordinal); // no JWT in the logs

        // Anonymous pulls work with pull tokens.
        using var reader = Clients.Create();
        Assert.Equal(image.Digest, await reader.ResolveDigestAsync(reference, ct));
    }

    [Fact]
    public async Task Bearer_token_request_with_wrong_password_fails_clearly_without_secrets()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var tokens = TokenServer.Start();
        tokens.Users[User] = Password;
        tokens.AllowAnonymousPull = false;
        await using var registry = await AuthenticatedRegistry.StartWithTokenAuthAsync(tokens, ct);
        using var client = Clients.Create(o => o.Hosts[registry.Host] = new RegistryHostOptions { Username = User, Password = "not-the-password" });

        var ex = await Assert.ThrowsAsync<RegistryException>(() => client.ListTagsAsync(RepositoryName.Parse($"{registry.Host}/x/y"), ct));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.Status);
        Assert.Contains("refused the credentials of user 'alice'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", ex.ToString(), StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task Expired_tokens_are_refreshed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var tokens = TokenServer.Start();
        await using var registry = await AuthenticatedRegistry.StartWithTokenAuthAsync(tokens, ct);
        var time = new ImmediateTimeProvider(DateTimeOffset.UtcNow);
        tokens.Users[User] = Password;
        using var client = Clients.Create(o => o.Hosts[registry.Host] = new RegistryHostOptions { Username = User, Password = Password }, time);
        var repository = RepositoryName.Parse($"{registry.Host}/expiry/repo");
        await Assert.ThrowsAsync<RegistryException>(() => client.ListTagsAsync(repository, ct));
        var before = tokens.Requests.Count;

        await Assert.ThrowsAsync<RegistryException>(() => client.ListTagsAsync(repository, ct));
        Assert.Equal(before, tokens.Requests.Count);

        time.Advance(TimeSpan.FromMinutes(10));
        await Assert.ThrowsAsync<RegistryException>(() => client.ListTagsAsync(repository, ct));
        Assert.Equal(before + 1, tokens.Requests.Count);
    }
}
