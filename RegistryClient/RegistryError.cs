namespace CvmfsImages.Registry;

/// <summary>One entry of a registry's error body: <c>{"errors":[{"code":"MANIFEST_UNKNOWN","message":"..."}]}</c>.</summary>
public sealed record RegistryError(string Code, string Message);
