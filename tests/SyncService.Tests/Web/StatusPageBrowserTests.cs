using System.Text;
using CvmfsImages.TestSupport;
using CvmfsImages.TestSupport.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Web;

/// <summary>
/// The status page in a real browser (Debian's chromium through Playwright) against <c>serve</c> with the real
/// registry and the directory backend: a pass's progress bar moving, a published tag found, filtered, opened and its
/// path copied, a failing image with its reason; and hostile text from the list and a registry shown as text only.
/// </summary>
public sealed class StatusPageBrowserTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private const string Pwn = "<script>window.__pwned=1</script>";
    private const string PwnImg = "\"><img src=x onerror=\"window.__pwned=1\">";

    [Fact]
    public async Task A_person_watches_a_pass_then_finds_filters_opens_and_copies_a_published_tag()
    {
        var registry = fixture.Registry;
        await ServeHostFixture.PushAsync(registry, "web/app:1", "app one\n");
        await ServeHostFixture.PushAsync(registry, "web/tool:1", "tool one\n");
        using var gate = new PassGate();
        await using var serve = await ServeHostFixture.StartAsync(
            [$"{registry.Host}/web/app:1", $"{registry.Host}/web/tool:1", $"{registry.Host}/web/missing:1"],
            s => s.AddSingleton<CvmfsImages.Sync.ISyncObserver>(gate),
            "Sync:MaxConcurrentPulls=1",
            "Sync:PublishBatchSize=1");
        await using var browser = await Browser.LaunchAsync();
        await browser.RunAsync("status-page", async page =>
        {
            try
            {
                // The pass is held after its first published image: the bar stands part way.
                await gate.WaitHeldAsync();
                await page.GotoAsync(serve.BaseUri.ToString());
                var first = await page.EvaluateAsync<int>("document.getElementById('progress').value");
                Assert.InRange(first, 1, 99);
                Assert.Contains("images done", await page.InnerTextAsync("#progress-text"), StringComparison.Ordinal);

                // Let the next image publish: the page (polling /api/status) moves the bar without a reload.
                gate.Release();
                await gate.WaitHeldAsync();
                await page.WaitForFunctionAsync("v => document.getElementById('progress').value > v", first);

                // The pass ends: the page reloads itself and shows the results.
                gate.ReleaseAll();
                await page.WaitForSelectorAsync("body[data-running='false']");
            }
            finally
            {
                gate.ReleaseAll();
            }

            var app = page.Locator("#image-table tr[data-path='web/app:1']");
            var tool = page.Locator("#image-table tr[data-path='web/tool:1']");
            var missing = page.Locator("#image-table tr[data-path='web/missing:1']");
            Assert.True(await app.IsVisibleAsync());
            Assert.Contains("published", await app.InnerTextAsync(), StringComparison.Ordinal);
            Assert.Contains("linux/amd64", await app.InnerTextAsync(), StringComparison.Ordinal);

            // The failing image, with its reason.
            var failing = await page.InnerTextAsync("#failing");
            Assert.Contains("web/missing:1", failing, StringComparison.Ordinal);
            Assert.Contains("manifest", failing, StringComparison.OrdinalIgnoreCase);

            // The picture for the README (the whole page after a real pass).
            await page.SetViewportSizeAsync(1100, 900);
            await Browser.SaveAsync(page, "status-page.png");

            // Filter by name, then by state.
            await page.FillAsync("#filter", "tool");
            Assert.True(await tool.IsVisibleAsync());
            Assert.False(await app.IsVisibleAsync());
            await page.FillAsync("#filter", string.Empty);
            await page.SelectOptionAsync("#state", "failing");
            Assert.True(await missing.IsVisibleAsync());
            Assert.False(await app.IsVisibleAsync());
            Assert.Contains("1 of 3 shown", await page.InnerTextAsync("#shown"), StringComparison.Ordinal);
            await page.SelectOptionAsync("#state", string.Empty);

            // Open the tag's page and copy its path.
            await app.Locator("a").First.ClickAsync();
            await page.WaitForURLAsync("**/images/web/app%3A1");
            var path = Path.Combine(serve.Harness.Root, "web/app:1");
            Assert.Equal(path, await page.InnerTextAsync("#cvmfs-path"));
            await page.ClickAsync("button.copy");
            await page.WaitForFunctionAsync("() => document.querySelector('button.copy').textContent === 'Copied'");
            Assert.Equal(path, await page.EvaluateAsync<string>("navigator.clipboard.readText()"));

            // Narrow (a phone): the table becomes labelled cards, nothing wider than the screen.
            await page.SetViewportSizeAsync(390, 800);
            await page.GotoAsync(serve.BaseUri.ToString());
            Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways on a phone");
        });
    }

    [Fact]
    public async Task Hostile_text_from_the_list_and_a_registry_is_shown_as_text_and_runs_nothing()
    {
        var hostileMessage = Pwn + PwnImg + " \u202Egnp.exe";
        await using var evil = FakeHttpServer.Start(request => request.Path switch
        {
            "/v2/" => FakeResponse.Text(200, "{}"),
            "/v2/evil/glob/tags/list" => Json("{\"name\":\"evil/glob\",\"tags\":[\"" + Pwn.Replace("\"", "\\\"", StringComparison.Ordinal) + "\",\"" + PwnImg.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"]}"),
            // HEAD names a digest; the GET of the manifest then fails with the registry's (hostile) message.
            _ when request.Method == "HEAD" => new FakeResponse(200)
                .With("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .With("Docker-Content-Digest", "sha256:" + new string('a', 64)),
            _ => FakeResponse.Error(404, "MANIFEST_UNKNOWN", hostileMessage.Replace("\"", "\\\"", StringComparison.Ordinal)),
        });
        var longComment = new string('w', 3000);
        await using var serve = await ServeHostFixture.StartAsync(
            [
                $"{evil.Authority}/evil/img:1 # {Pwn} \u202Egnp.exe {longComment}",
                PwnImg,
                Pwn,
                "x/" + new string('y', 10_000),
            ]);
        await using var browser = await Browser.LaunchAsync();
        await browser.RunAsync("hostile-text", async page =>
        {
            await WaitForPassAsync(page, serve.BaseUri);
            var text = await page.InnerTextAsync("body");
            Assert.Contains("<script>window.__pwned=1</script>", text, StringComparison.Ordinal);
            Assert.Contains("onerror", text, StringComparison.Ordinal);
            Assert.Contains("evil/img:1", await page.InnerTextAsync("#failing"), StringComparison.Ordinal);
            Assert.Contains(Pwn, await page.InnerTextAsync("#failing"), StringComparison.Ordinal); // the registry's message, as text
            Assert.Contains("longer than", await page.InnerTextAsync("#problems"), StringComparison.Ordinal); // the 10 kB line
            Assert.True(await page.EvaluateAsync<bool>("typeof window.__pwned === 'undefined'"), "a script from the data ran");
            Assert.Equal(1, await page.EvaluateAsync<int>("document.scripts.length"));
            Assert.Equal(0, await page.EvaluateAsync<int>("document.images.length"));

            // The failing image's own page too.
            await page.Locator("#failing a").First.ClickAsync();
            await page.WaitForSelectorAsync("#image");
            Assert.Contains("__pwned", await page.InnerTextAsync("#image"), StringComparison.Ordinal);
            Assert.True(await page.EvaluateAsync<bool>("typeof window.__pwned === 'undefined'"), "a script from the data ran");
            Assert.Equal(0, await page.EvaluateAsync<int>("document.images.length"));
        });

        // And the raw HTML carries it escaped: the only script element is the page's own.
        using var http = new HttpClient();
        var html = await http.GetStringAsync(serve.BaseUri, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(Pwn, html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Single(html.Split("<script").Skip(1));
    }

    private static FakeResponse Json(string body)
    {
        var response = new FakeResponse(200, Encoding.UTF8.GetBytes(body));
        response.Headers["Content-Type"] = "application/json";
        return response;
    }

    private static async Task WaitForPassAsync(IPage page, Uri baseUri)
    {
        for (var i = 0; i < 180; i++)
        {
            await page.GotoAsync(baseUri.ToString());
            if (await page.Locator("#passes table").CountAsync() > 0 && await page.GetAttributeAsync("body", "data-running") == "false")
            {
                return;
            }

            await Task.Delay(500, TestContext.Current.CancellationToken);
        }

        Assert.Fail("no pass finished within 90 s");
    }
}
