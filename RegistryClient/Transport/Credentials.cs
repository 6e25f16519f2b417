namespace CvmfsImages.Registry.Transport;

/// <summary>A user name and secret. <see cref="ToString"/> hides the secret so it cannot leak into logs.</summary>
internal sealed record Credentials(string Username, string Password)
{
    public string BasicHeaderValue => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Username + ":" + Password));

    public override string ToString() => $"{Username}:***";
}
