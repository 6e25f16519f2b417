using CvmfsImages.TestSupport;
using Microsoft.Playwright;
using Xunit;

namespace CvmfsImages.Tests.SyncService.Web;

/// <summary>
/// Debian's <c>/usr/bin/chromium</c> driven by Playwright (never a downloaded browser): headless, a fresh profile
/// directory, no GPU, no background traffic, clipboard allowed. <see cref="RunAsync"/> saves a screenshot into the
/// test results when the test body fails.
/// </summary>
internal sealed class Browser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly TempDirectory _profile;

    private Browser(IPlaywright playwright, IBrowserContext context, TempDirectory profile)
    {
        _playwright = playwright;
        Context = context;
        _profile = profile;
    }

    public IBrowserContext Context { get; }

    /// <summary>Where screenshots go: <c>.test-results/screenshots</c> at the repository root (test.sh's results).</summary>
    public static string ScreenshotDirectory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CvmfsImages.sln")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, ".test-results", "screenshots");
        }
    }

    public static async Task<Browser> LaunchAsync()
    {
        if (!File.Exists(Chromium))
        {
            RequiredTool.SkipOrFail($"'{Chromium}' is not installed: run `apt-get install chromium` (or ./test.sh as root, which installs it)");
        }

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var playwright = await Playwright.CreateAsync();
        var profile = new TempDirectory("chromium-profile");
        var context = await playwright.Chromium.LaunchPersistentContextAsync(profile.Path, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            ChromiumSandbox = Environment.UserName != "root",
            Args = ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
            Permissions = ["clipboard-read", "clipboard-write"],
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            Timeout = 60_000,
        });
        context.SetDefaultTimeout(30_000);
        return new Browser(playwright, context, profile);
    }

    /// <summary>Runs <paramref name="body"/> on a new page; on failure saves <c>NAME-failure.png</c> and attaches it.</summary>
    public async Task RunAsync(string name, Func<IPage, Task> body)
    {
        var page = await Context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        try
        {
            await body(page);
            Assert.True(errors.Count == 0, "the page's script failed: " + string.Join("\n", errors));
        }
        catch
        {
            await SaveAsync(page, name + "-failure.png");
            throw;
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    /// <summary>Saves a full-page screenshot into the test results and attaches it to the test.</summary>
    public static async Task<string> SaveAsync(IPage page, string fileName)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = Path.Combine(ScreenshotDirectory, fileName);
        var bytes = await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.Current.AddAttachment(fileName, bytes, "image/png");
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync();
        _playwright.Dispose();
        _profile.Dispose();
    }
}
