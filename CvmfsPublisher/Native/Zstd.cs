using System.Runtime.InteropServices;

namespace CvmfsImages.Publisher.Native;

/// <summary>The streaming decompression calls of the system's libzstd (<c>libzstd.so.1</c>, Debian package libzstd1).</summary>
internal static unsafe partial class Zstd
{
    public const string LibraryName = "libzstd.so.1";

    private static readonly Lazy<bool> Available = new(() => NativeLibrary.TryLoad(LibraryName, out _));

    /// <summary>True when libzstd.so.1 can be loaded.</summary>
    public static bool IsAvailable => Available.Value;

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_createDStream")]
    public static partial nint CreateDStream();

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_freeDStream")]
    public static partial nuint FreeDStream(nint stream);

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_initDStream")]
    public static partial nuint InitDStream(nint stream);

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_decompressStream")]
    public static partial nuint DecompressStream(nint stream, Buffer* output, Buffer* input);

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_DStreamInSize")]
    public static partial nuint DStreamInSize();

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_isError")]
    public static partial uint IsError(nuint code);

    [LibraryImport(LibraryName, EntryPoint = "ZSTD_getErrorName")]
    public static partial nint GetErrorName(nuint code);

    public static string ErrorName(nuint code) => Marshal.PtrToStringUTF8(GetErrorName(code)) ?? "unknown zstd error";

    /// <summary>ZSTD_inBuffer and ZSTD_outBuffer share this layout: pointer, size, position.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Buffer
    {
        public void* Pointer;
        public nuint Size;
        public nuint Position;
    }
}
