using System.Text;

namespace CvmfsImages.TestSupport.Http;

/// <summary>What the <see cref="FakeHttpServer"/> answers, including faults a real server will not produce on demand.</summary>
public sealed class FakeResponse
{
    public FakeResponse(int status, byte[]? body = null)
    {
        Status = status;
        Body = body ?? [];
    }

    public int Status { get; }

    public byte[] Body { get; }

    /// <summary>Response headers (Content-Length is added unless set here).</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Write only this many body bytes, then drop the connection (the Content-Length still announces all).</summary>
    public int? DropAfterBytes { get; init; }

    /// <summary>Send nothing at all (not even headers) until the server stops: a hung server.</summary>
    public bool Hang { get; init; }

    /// <summary>Write only this many body bytes, then keep the connection open and silent until the server stops.</summary>
    public int? StallAfterBytes { get; init; }

    public static FakeResponse Text(int status, string body) => new(status, Encoding.UTF8.GetBytes(body));

    /// <summary>A registry-style JSON error body: <c>{"errors":[{"code":..,"message":..}]}</c>.</summary>
    public static FakeResponse Error(int status, string code, string message)
    {
        var response = Text(status, $$"""{"errors":[{"code":"{{code}}","message":"{{message}}"}]}""");
        response.Headers["Content-Type"] = "application/json";
        return response;
    }

    public FakeResponse With(string header, string value)
    {
        Headers[header] = value;
        return this;
    }
}
