using CvmfsImages.Publisher.Native;

namespace CvmfsImages.Publisher.Flattening;

/// <summary>
/// A file the tree writer just created, open for writing by descriptor: positioned writes, size and mtime, closed on
/// dispose. A plain descriptor rather than a <see cref="Microsoft.Win32.SafeHandles.SafeFileHandle"/>, which would
/// probe the file (lseek, fcntl) before its first write: thousands of small files make that count.
/// </summary>
internal sealed unsafe class WritableFile : IDisposable
{
    private int _fd;

    public WritableFile(int fd, string physical)
    {
        _fd = fd;
        Physical = physical;
    }

    /// <summary>The file's path inside the root, for messages.</summary>
    public string Physical { get; }

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/>.</summary>
    public void Write(ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* start = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = Libc.Pwrite(_fd, start + done, (nuint)(data.Length - done), offset + done);
                if (n < 0)
                {
                    var errno = Libc.Errno;
                    if (errno == Libc.EINTR)
                    {
                        continue;
                    }

                    throw TreeWriter.Error(errno, "write", Physical);
                }

                done += (int)n;
            }
        }
    }

    /// <summary>Sets the file's size (a sparse file ends in a hole).</summary>
    public void Truncate(long length)
    {
        if (Libc.Ftruncate(_fd, length) != 0)
        {
            throw TreeWriter.Error(Libc.Errno, "ftruncate", Physical);
        }
    }

    /// <summary>Sets the file's access and modification times.</summary>
    public void SetTimes(long seconds, long nanoseconds)
    {
        var times = stackalloc Libc.Timespec[2];
        times[0] = new Libc.Timespec { Seconds = seconds, Nanoseconds = nanoseconds };
        times[1] = times[0];
        if (Libc.Futimens(_fd, times) != 0)
        {
            throw TreeWriter.Error(Libc.Errno, "utimens", Physical);
        }
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            // close() reports deferred write errors on some file systems (NFS); on the local staging area a failed
            // write has already failed above.
            Libc.Close(_fd);
            _fd = -1;
        }
    }
}
