using System.Runtime.InteropServices;

namespace CvmfsImages.Runtime.Native;

/// <summary>The calling user as the host's password and group databases (NSS) describe them.</summary>
internal sealed record HostUser(uint Uid, uint Gid, string Name, string Gecos, string Home, string Shell, string GroupName)
{
    /// <summary>
    /// Looks the caller up with <c>getpwuid</c>/<c>getgrgid</c> (so LDAP/SSSD users on worker nodes work). A uid without
    /// an entry (a pilot's pool account missing from NSS) gets <c>$USER</c> or <c>uid&lt;N&gt;</c>, and home <c>$HOME</c> or
    /// <c>/</c>, so a job still runs.
    /// </summary>
    public static unsafe HostUser Current(IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var uid = Libc.GetUid();
        var gid = Libc.GetGid();
        var pw = Libc.GetPwUid(uid);
        string name, gecos, home, shell;
        if (pw is not null)
        {
            name = Marshal.PtrToStringUTF8(pw->Name) ?? $"uid{uid}";
            gecos = Marshal.PtrToStringUTF8(pw->Gecos) ?? string.Empty;
            home = Marshal.PtrToStringUTF8(pw->Directory) ?? "/";
            shell = Marshal.PtrToStringUTF8(pw->Shell) ?? "/bin/sh";
        }
        else
        {
            name = environment.TryGetValue("USER", out var user) && IsSafeName(user) ? user : $"uid{uid}";
            gecos = string.Empty;
            home = environment.TryGetValue("HOME", out var h) && h.StartsWith('/') ? h : "/";
            shell = "/bin/sh";
        }

        var gr = Libc.GetGrGid(gid);
        var groupName = gr is not null ? Marshal.PtrToStringUTF8(gr->Name) ?? $"gid{gid}" : $"gid{gid}";
        return new HostUser(uid, gid, name, Sanitize(gecos), home, shell, groupName);
    }

    private static bool IsSafeName(string name) =>
        name.Length is > 0 and < 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    // A passwd field must not carry ':' or a newline; gecos is the only free-text one.
    private static string Sanitize(string field) => field.Replace(':', ' ').Replace('\n', ' ');
}
