using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using CvmfsImages.Sync.GitHub;
using CvmfsImages.Sync.Observability;
using CvmfsImages.Sync.Web.Api;
using CvmfsImages.Sync.Web.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;

namespace CvmfsImages.Sync.Web;

/// <summary>
/// The one HTTP host of <c>serve</c>: Kestrel with its limits (<see cref="HttpOptions"/>) and the endpoints
/// <c>/</c>, <c>/images/{path}</c>, <c>/api/status</c>, <c>/api/images</c>, <c>/api/images/{path}</c>,
/// <c>/metrics</c>, <c>/healthz</c>, <c>/readyz</c>, <c>/assets/*</c> and, when configured, <c>POST /github/webhook</c>.
/// Pages and JSON answer GET and HEAD; another method on a known path is 405, an unknown path 404.
/// </summary>
internal static class StatusWebHost
{
    private const string Csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    private static readonly string[] GetHead = [HttpMethods.Get, HttpMethods.Head];

    /// <summary>Kestrel, its limits and listen addresses, and the services the endpoints use.</summary>
    public static void Configure(WebApplicationBuilder builder, HttpOptions http)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(http);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestLineSize = http.MaxRequestLineBytes;
            k.Limits.MaxRequestHeadersTotalSize = http.MaxRequestHeadersTotalBytes;
            k.Limits.MaxRequestBodySize = http.MaxRequestBodyBytes; // the webhook raises it for its own requests
            k.Limits.RequestHeadersTimeout = http.RequestHeadersTimeout;
            k.Limits.KeepAliveTimeout = http.KeepAliveTimeout;
            k.Limits.MinRequestBodyDataRate = new MinDataRate(http.MinRequestBodyBytesPerSecond, http.MinDataRateGracePeriod);
            k.Limits.MaxConcurrentConnections = http.MaxConcurrentConnections;
            k.Limits.MaxConcurrentUpgradedConnections = 0;
            foreach (var url in http.ParsedUrls)
            {
                if (url.IsLoopback && url.HostNameType == UriHostNameType.Dns)
                {
                    k.ListenLocalhost(url.Port, o => o.Protocols = HttpProtocols.Http1);
                }
                else
                {
                    k.Listen(IPAddress.Parse(url.Host.Trim('[', ']')), url.Port, o => o.Protocols = HttpProtocols.Http1);
                }
            }
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(sp => new PullRequestLinks(sp.GetService<GitHubOptions>()));
        builder.Services.AddSingleton<StatusReader>();
        builder.Services.AddHealthChecks()
            .AddCheck<SchedulerHealthCheck>("scheduler", tags: ["live", "ready"])
            .AddCheck<RepositoryHealthCheck>("repository", tags: ["ready"])
            .AddCheck<ListReadHealthCheck>("list", tags: ["ready"])
            .AddCheck<LastPassHealthCheck>("last-pass", tags: ["ready"]);
    }

    /// <summary>The middleware and endpoints.</summary>
    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var metrics = app.Services.GetRequiredService<SyncMetrics>();
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            headers.ContentSecurityPolicy = Csp;
            headers.CacheControl = "no-store";
            await next(context);
        });
        app.UseStatusCodePages(async context =>
        {
            var response = context.HttpContext.Response;
            response.ContentType = "text/plain; charset=utf-8";
            var text = response.StatusCode switch
            {
                StatusCodes.Status404NotFound => "not found: try /, /api/status, /api/images, /metrics, /healthz or /readyz\n",
                StatusCodes.Status405MethodNotAllowed => "method not allowed\n",
                _ => response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n",
            };
            await response.WriteAsync(text, context.HttpContext.RequestAborted);
        });
        app.UseRouting();
        app.UseHttpMetrics(o => o.SetMetricFactory(Metrics.WithCustomRegistry(metrics.Registry)));

        app.MapMethods("/", GetHead, async (HttpContext context, StatusReader reader) =>
        {
            var ct = context.RequestAborted;
            var status = await reader.StatusAsync(ct);
            var images = await reader.ImagesAsync(ct);
            var query = context.Request.Query;
            return Results.Content(StatusPage.Index(status, images, query["q"].ToString(), query["state"].ToString()), "text/html; charset=utf-8");
        });
        app.MapMethods("/images/{**path}", GetHead, async (string path, HttpContext context, StatusReader reader) =>
        {
            var ct = context.RequestAborted;
            var image = await reader.ImageAsync(path, ct);
            return image is null
                ? Results.Content(StatusPage.NotFound(path), "text/html; charset=utf-8", Encoding.UTF8, StatusCodes.Status404NotFound)
                : Results.Content(StatusPage.Image(image, await reader.StatusAsync(ct)), "text/html; charset=utf-8");
        });
        app.MapMethods("/api/status", GetHead, async (HttpContext context, StatusReader reader) =>
            Results.Json(await reader.StatusAsync(context.RequestAborted), ApiJsonContext.Default.ApiStatus));
        app.MapMethods("/api/images", GetHead, async (HttpContext context, StatusReader reader) =>
            Results.Json(await reader.ImagesAsync(context.RequestAborted), ApiJsonContext.Default.ApiImages));
        app.MapMethods("/api/images/{**path}", GetHead, async (string path, HttpContext context, StatusReader reader) =>
            await reader.ImageAsync(path, context.RequestAborted) is { } image
                ? Results.Json(image, ApiJsonContext.Default.ApiImage)
                : Results.Json(new ApiError(StatusReader.SchemaVersion, "no tag and no list line is known as " + path), ApiJsonContext.Default.ApiError, statusCode: StatusCodes.Status404NotFound));
        app.MapMethods("/assets/{name}", GetHead, (string name) => Asset(name));

        app.MapMetrics("/metrics", metrics.Registry).WithMetadata(new HttpMethodMetadata(GetHead));
        app.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains("live"),
            ResponseWriter = WriteLivenessAsync,
        }).WithMetadata(new HttpMethodMetadata(GetHead));
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains("ready"),
            ResponseWriter = WriteReadinessAsync,
        }).WithMetadata(new HttpMethodMetadata(GetHead));

        if (app.Services.GetService<GitHubWebhookListener>() is { } webhook)
        {
            app.MapPost(GitHubWebhookListener.Route, webhook.HandleAsync);
        }
    }

    private static IResult Asset(string name)
    {
        var type = Path.GetExtension(name) switch
        {
            ".css" => "text/css; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            _ => null,
        };
        var stream = type is null ? null : Assembly.GetExecutingAssembly().GetManifestResourceStream("CvmfsImages.Sync.Web.Assets." + name);
        return stream is null ? Results.NotFound() : Results.Stream(stream, type);
    }

    // Liveness: "ok" as the old endpoint said it; otherwise what is wrong.
    private static Task WriteLivenessAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var text = report.Status == HealthStatus.Unhealthy
            ? "unhealthy: " + string.Join("; ", report.Entries.Where(e => e.Value.Status == HealthStatus.Unhealthy).Select(e => $"{e.Key}: {e.Value.Description}")) + "\n"
            : "ok\n";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    // Readiness: JSON with each check's status and description (200 healthy or degraded, 503 unhealthy).
    private static async Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteNumber("schemaVersion", StatusReader.SchemaVersion);
        json.WriteString("status", report.Status.ToString().ToLowerInvariant());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString().ToLowerInvariant());
            json.WriteString("description", entry.Description);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}
