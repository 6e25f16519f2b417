using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CvmfsImages.Registry.Json;
using Microsoft.Extensions.Logging;

namespace CvmfsImages.Registry.Transport;

/// <summary>
/// Registry authentication driven by the <c>WWW-Authenticate</c> challenge. The first request to a registry goes
/// anonymous; a 401 teaches the handler the registry's scheme, and from then on requests carry credentials up front:
/// <list type="bullet">
/// <item>Bearer: a token for the request's scope (<c>repository:NAME:pull[,push]</c>) from the challenge's realm,
/// asked with Basic credentials when the registry has some, anonymously otherwise; cached until shortly before it
/// expires, dropped and fetched again on a 401.</item>
/// <item>Basic: the registry's credentials on every request.</item>
/// </list>
/// Only requests marked with <see cref="RequestProperties.Scope"/> whose authority equals
/// <see cref="RequestProperties.AuthAuthority"/> are authenticated: a redirect to an object store never gets the
/// registry's <c>Authorization</c> header. Credentials and tokens never reach logs or exception messages.
/// </summary>
internal sealed class AuthenticationHandler : DelegatingHandler
{
    private const int MaxTokenResponseBytes = 1024 * 1024;
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(10);

    private readonly CredentialStore _credentials;
    private readonly Func<string, bool> _isInsecure;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, AuthChallenge> _challenges = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, CachedToken> _tokens = new(StringComparer.Ordinal);

    public AuthenticationHandler(CredentialStore credentials, Func<string, bool> isInsecure, TimeProvider time, ILogger logger)
    {
        _credentials = credentials;
        _isInsecure = isInsecure;
        _time = time;
        _logger = logger;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var authority = request.RequestUri!.Authority;
        if (!request.Options.TryGetValue(RequestProperties.Scope, out var scope)
            || !request.Options.TryGetValue(RequestProperties.AuthAuthority, out var authAuthority)
            || !string.Equals(authAuthority, authority, StringComparison.OrdinalIgnoreCase))
        {
            request.Headers.Authorization = null;
            return await base.SendAsync(request, cancellationToken);
        }

        var fresh = await AuthorizeAsync(request, authority, scope, cancellationToken);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized || AuthChallenge.From(response) is not { } challenge)
        {
            return response;
        }

        var known = _challenges.TryGetValue(authority, out var previous) ? previous : null;
        _challenges[authority] = challenge;
        var sent = request.Headers.Authorization is not null;
        if (challenge.IsBearer)
        {
            _tokens.TryRemove(TokenKey(authority, scope), out _);
        }

        // Try again once, when there is something new to try and the content can be sent again.
        var worthRetry = !sent
            || (challenge.IsBearer && !fresh)
            || (known is not null && !string.Equals(known.Scheme, challenge.Scheme, StringComparison.OrdinalIgnoreCase));
        if (!worthRetry || !RequestProperties.IsReplayable(request) || (challenge.IsBasic && _credentials.Find(authority) is null))
        {
            return response;
        }

        response.Dispose();
        var extraScope = challenge.Scope is { Length: > 0 } asked && !scope.Contains(asked, StringComparison.Ordinal) ? asked : null;
        await AuthorizeAsync(request, authority, extraScope is null ? scope : scope + " " + extraScope, cancellationToken);
        return await base.SendAsync(request, cancellationToken);
    }

    /// <summary>Sets the Authorization header from what is known of the registry; true when a token was fetched now.</summary>
    private async Task<bool> AuthorizeAsync(HttpRequestMessage request, string authority, string scope, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = null;
        if (!_challenges.TryGetValue(authority, out var challenge))
        {
            return false;
        }

        if (challenge.IsBasic)
        {
            if (_credentials.Find(authority) is { } credentials)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials.BasicHeaderValue);
            }

            return false;
        }

        var key = TokenKey(authority, scope);
        if (_tokens.TryGetValue(key, out var cached) && cached.ExpiresAt > _time.GetUtcNow())
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", cached.Token);
            return false;
        }

        var token = await FetchTokenAsync(authority, challenge, scope, cancellationToken);
        _tokens[key] = token;
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        return true;
    }

    private async Task<CachedToken> FetchTokenAsync(string authority, AuthChallenge challenge, string scope, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(challenge.Realm, UriKind.Absolute, out var realm) || realm.Scheme is not ("http" or "https"))
        {
            throw new RegistryException($"registry {authority} asked for a Bearer token from an invalid realm", reference: null, HttpStatusCode.Unauthorized) { Registry = authority };
        }

        if (!HostRules.MaySend(realm, _isInsecure))
        {
            throw new RegistryException($"registry {authority} asked for a token from the plain-HTTP realm {realm.GetLeftPart(UriPartial.Path)}; refused", reference: null, HttpStatusCode.Unauthorized) { Registry = authority };
        }

        var credentials = _credentials.Find(authority);
        var query = new List<string>();
        if (challenge.Service is { } service)
        {
            query.Add("service=" + Uri.EscapeDataString(service));
        }

        foreach (var part in scope.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            query.Add("scope=" + Uri.EscapeDataString(part));
        }

        if (credentials is not null)
        {
            query.Add("account=" + Uri.EscapeDataString(credentials.Username));
        }

        var builder = new UriBuilder(realm);
        builder.Query = string.Join('&', (string.IsNullOrEmpty(realm.Query) ? [] : new[] { realm.Query.TrimStart('?') }).Concat(query));
        using var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (credentials is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials.BasicHeaderValue);
        }

        RegistryClient.Log.FetchingToken(_logger, authority, realm.Authority, scope, credentials is not null);
        using var response = await base.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var who = credentials is null ? "anonymous access" : $"the credentials of user '{credentials.Username}'";
            throw new RegistryException(
                $"token server {realm.Authority} refused {who} to {authority} for '{scope}': {(int)response.StatusCode} {response.ReasonPhrase}",
                reference: null, response.StatusCode, [new RegistryError("UNAUTHORIZED", "token request refused")],
                isTransient: RetryHandler.IsTransient(response.StatusCode)) { Registry = authority };
        }

        var body = await BoundedContent.ReadAsync(response.Content, MaxTokenResponseBytes, cancellationToken);
        JsonTokenResponse? parsed = null;
        try
        {
            parsed = body is null ? null : JsonSerializer.Deserialize(body, RegistryJsonContext.Default.JsonTokenResponse);
        }
        catch (JsonException)
        {
            // Reported below without the body, which may hold a token.
        }

        var token = parsed?.Token is { Length: > 0 } t ? t : parsed?.AccessToken;
        if (string.IsNullOrEmpty(token))
        {
            throw new RegistryException($"token server {realm.Authority} for {authority} sent no token", reference: null, response.StatusCode) { Registry = authority };
        }

        // The spec's minimum lifetime is 60 s; the server's clock (issued_at) is not trusted against ours.
        var lifetime = TimeSpan.FromSeconds(Math.Max(parsed!.ExpiresIn ?? 60, 60));
        return new CachedToken(token, _time.GetUtcNow() + lifetime - ExpiryMargin);
    }

    private static string TokenKey(string authority, string scope) => authority.ToLowerInvariant() + "|" + scope;

    private sealed record CachedToken(string Token, DateTimeOffset ExpiresAt)
    {
        public override string ToString() => $"token (expires {ExpiresAt:O})";
    }
}
