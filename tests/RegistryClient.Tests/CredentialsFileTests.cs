using System.Text;
using CvmfsImages.Registry;
using CvmfsImages.Registry.Names;
using CvmfsImages.Registry.Transport;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Auth;
using CvmfsImages.TestSupport.Images;
using Xunit;

namespace CvmfsImages.Tests.RegistryClient;

/// <summary>
/// The credentials file in both formats: OSG's <c>--docker-creds</c> JSON and Docker's <c>config.json</c>; what is
/// refused, with the file named and never a secret; and the OSG file against the real registry's Basic auth.
/// </summary>
public sealed class CredentialsFileTests
{
    private const string Secret = "hunter2-s3cret";

    // docker-creds.example.json of opensciencegrid/cvmfs-singularity-sync at 07b0da3, with our secret.
    private const string OsgExample = """
        {
           "https://registry.hub.docker.com": {
              "username": "janedoe",
              "password": "hunter2-s3cret"
           }
        }
        """;

    [Fact]
    public void The_osg_example_file_gives_docker_hub_credentials_under_every_alias()
    {
        using var dir = new TempDirectory("creds");
        var store = new CredentialStore(new RegistryClientOptions { DockerConfigPath = Write(dir, OsgExample) });

        foreach (var authority in (string[])["docker.io", "registry-1.docker.io", "index.docker.io", "registry.hub.docker.com", "REGISTRY-1.docker.io"])
        {
            Assert.Equal(new Credentials("janedoe", Secret), store.Find(authority));
        }

        Assert.Null(store.Find("ghcr.io"));
    }

    [Fact]
    public void Osg_keys_are_registry_urls_and_docker_config_keys_are_normalised_the_same_way()
    {
        using var dir = new TempDirectory("creds");
        var osg = Write(dir, """{"https://ghcr.io": {"username": "a", "password": "1"}, "https://containers.ligo.org": {"username": "b", "password": "2"}, "https://127.0.0.1:5000": {"username": "c", "password": "3"}}""");
        Assert.Equal(["127.0.0.1:5000", "containers.ligo.org", "ghcr.io"], new RegistryClientOptions { DockerConfigPath = osg }.CheckCredentialsFile());

        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("robot:" + Secret));
        var docker = Write(dir, "{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"" + auth + "\"}, \"quay.io\": {\"username\": \"q\", \"password\": \"p\", \"email\": \"q@example.org\"}}, \"psFormat\": \"table\", \"credHelpers\": {}}");
        var store = new CredentialStore(new RegistryClientOptions { DockerConfigPath = docker });
        Assert.Equal(new Credentials("robot", Secret), store.Find("registry-1.docker.io"));
        Assert.Equal(new Credentials("q", "p"), store.Find("quay.io"));
    }

    [Fact]
    public void Docker_hub_aliases_are_one_registry_the_same_credentials_twice_are_one_entry_different_ones_an_error()
    {
        using var dir = new TempDirectory("creds");
        var same = Write(dir, """{"https://registry.hub.docker.com": {"username": "u", "password": "p"}, "https://index.docker.io": {"username": "u", "password": "p"}, "docker.io": {"username": "u", "password": "p"}}""");
        Assert.Equal(["docker.io"], new RegistryClientOptions { DockerConfigPath = same }.CheckCredentialsFile());

        var different = Write(dir, "{\"auths\": {\"https://index.docker.io/v1/\": {\"username\": \"u\", \"password\": \"old-" + Secret + "\"}, \"registry.hub.docker.com\": {\"username\": \"u\", \"password\": \"" + Secret + "\"}}}");
        var ex = Assert.Throws<CredentialsFileException>(() => new RegistryClientOptions { DockerConfigPath = different }.CheckCredentialsFile());
        Assert.Contains("'https://index.docker.io/v1/' and 'registry.hub.docker.com', both the registry docker.io", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { string.Empty, "is empty" },
        { " \n\t ", "is empty" },
        { "[]", "holds a JSON array, not an object" },
        { """[{"https://ghcr.io": {"username": "u", "password": "p"}}]""", "holds a JSON array, not an object" },
        { "\"https://ghcr.io\"", "holds a JSON string, not an object" },
        { "not json at all", "is not valid JSON (line 1)" },
        { "{\n\"https://ghcr.io\": {\"username\": \"u\", \"password\": \"" + Secret, "is not valid JSON (line 2)" },
        { "{}", "holds no credentials" },
        { """{"auths": {}}""", "holds no credentials" },
        { """{"https://ghcr.io": {"username": "u", "password": 12345}}""", "has 'password' of 'https://ghcr.io' as a JSON number; expected a string" },
        { """{"https://ghcr.io": {"username": ["u"], "password": "p"}}""", "has 'username' of 'https://ghcr.io' as a JSON array; expected a string" },
        { """{"https://ghcr.io": "u:p"}""", "has 'https://ghcr.io' as a JSON string; expected an object with 'username' and 'password'" },
        { """{"https://ghcr.io": {"username": "u"}}""", "has a 'username' but no 'password' in 'https://ghcr.io'" },
        { "{\"https://ghcr.io\": {\"password\": \"" + Secret + "\"}}", "has a 'password' but no 'username' in 'https://ghcr.io'" },
        { """{"https://ghcr.io": {"username": "u", "password": "p", "pasword": "p"}}""", "has the field 'pasword' in 'https://ghcr.io'; expected only 'username' and 'password'" },
        { """{"https://registry.hub.docker.com": {"token": "eyJ"}}""", "has a ready-made 'token' in 'https://registry.hub.docker.com'" },
        { """{"psFormat": "table {{.ID}}"}""", "has the key 'psFormat', which is not a registry" },
        { """{"auths": []}""", "has 'auths' as a JSON array; expected an object of registries" },
        { """{"auths": {"ghcr.io": "dTpw"}}""", "has 'auths.ghcr.io' as a JSON string; expected an object" },
        { """{"auths": {"ghcr.io": {}}}""", "has no credentials ('auth', or 'username' and 'password') in 'auths.ghcr.io'" },
        { """{"auths": {"ghcr.io": {"auth": "not base64!"}}}""", "has an 'auth' in 'auths.ghcr.io' that is not base64" },
        { """{"auths": {"ghcr.io": {"auth": "bm9jb2xvbg=="}}}""", "does not decode to 'user:password'" },
        { """{"auths": {"ghcr.io": {"auth": 7}}}""", "has 'auth' of 'auths.ghcr.io' as a JSON number" },
        { """{"auths": {"ghcr.io": {"identitytoken": "refresh"}}}""", "has an OAuth token in 'auths.ghcr.io' ('identitytoken')" },
        { """{"credsStore": "desktop", "auths": {"ghcr.io": {}}}""", "names a credential store ('credsStore')" },
        { """{"credHelpers": {"gcr.io": "gcloud", "123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login"}}""", "names credential helpers ('credHelpers' for 'gcr.io', '123.dkr.ecr.us-east-1.amazonaws.com')" },
        { """{"auths": {"not a registry": {"username": "u", "password": "p"}}}""", "has the key 'auths.not a registry', which is not a registry" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_file_in_neither_format_is_refused_naming_the_file_and_both_formats_never_a_secret(string content, string problem)
    {
        using var dir = new TempDirectory("creds");
        var path = Write(dir, content);

        var ex = Assert.Throws<CredentialsFileException>(() => new RegistryClientOptions { DockerConfigPath = path }.CheckCredentialsFile());

        Assert.Contains($"the credentials file '{path}' ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Contains("expected a Docker config.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("or an OSG --docker-creds file", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, ex.ToString(), StringComparison.Ordinal);
        Assert.Equal(path, ex.FilePath);
    }

    [Fact]
    public void A_missing_or_oversized_file_is_refused_naming_it()
    {
        using var dir = new TempDirectory("creds");
        var missing = dir.Combine("absent.json");
        var ex = Assert.Throws<CredentialsFileException>(() => new RegistryClientOptions { DockerConfigPath = missing }.CheckCredentialsFile());
        Assert.Contains($"the credentials file '{missing}' cannot be read", ex.Message, StringComparison.Ordinal);

        var huge = Write(dir, "{\"https://ghcr.io\": {\"username\": \"u\", \"password\": \"" + new string('p', CredentialsFile.MaxBytes) + "\"}}");
        ex = Assert.Throws<CredentialsFileException>(() => new RegistryClientOptions { DockerConfigPath = huge }.CheckCredentialsFile());
        Assert.Contains($"is larger than {CredentialsFile.MaxBytes} bytes", ex.Message, StringComparison.Ordinal);

        Assert.Empty(new RegistryClientOptions().CheckCredentialsFile());
    }

    [Fact]
    public void A_bad_file_found_on_first_need_fails_the_request_naming_the_key()
    {
        using var dir = new TempDirectory("creds");
        var path = Write(dir, "[]");
        var store = new CredentialStore(new RegistryClientOptions { DockerConfigPath = path });

        var ex = Assert.Throws<RegistryException>(() => store.Find("ghcr.io"));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("Registry:DockerConfigPath", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_osg_creds_file_authenticates_against_the_real_registry_with_basic_auth()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var registry = await AuthenticatedRegistry.StartWithBasicAuthAsync("janedoe", Secret, ct);
        using var dir = new TempDirectory("creds");

        // OSG's script looks credentials up as "https://" + the registry of the list line.
        var osg = Write(dir, "{\"https://" + registry.Host + "\": {\"username\": \"janedoe\", \"password\": \"" + Secret + "\"}}");
        var reference = ImageReference.Parse($"{registry.Host}/osg/creds:1");
        using (var client = Clients.Create(o => o.DockerConfigPath = osg))
        {
            var image = await TestImage.Create().WithLayer(TestFile.Text("etc/osg", "creds\n")).PushAsync(client, reference, ct);
            var resolved = await client.ResolveImageAsync(reference, Platform.LinuxAmd64, ct);
            Assert.Equal(image.Manifest.Digest, resolved.ManifestDigest);
        }

        // The same file with a wrong password is refused by the registry: the file's credentials are what is sent.
        var wrong = Write(dir, "{\"https://" + registry.Host + "\": {\"username\": \"janedoe\", \"password\": \"wrong\"}}");
        using var refused = Clients.Create(o => o.DockerConfigPath = wrong);
        var ex = await Assert.ThrowsAsync<RegistryException>(() => refused.ResolveDigestAsync(reference, ct));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, ex.Status);
    }

    private static string Write(TempDirectory dir, string content)
    {
        var path = dir.Combine($"creds-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, content);
        return path;
    }
}
