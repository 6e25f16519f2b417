namespace CvmfsImages.Sync.Execution;

/// <summary>Published paths a pass must not remove: exact paths and tests (globs that could not be expanded, out-of-scope globs).</summary>
internal sealed class PathProtection
{
    private readonly HashSet<string> _paths = new(StringComparer.Ordinal);
    private readonly List<Func<string, bool>> _tests = [];
    private readonly Lock _gate = new();

    public void Add(string path)
    {
        lock (_gate)
        {
            _paths.Add(path);
        }
    }

    public void Add(Func<string, bool> test)
    {
        lock (_gate)
        {
            _tests.Add(test);
        }
    }

    public bool Covers(string path)
    {
        lock (_gate)
        {
            return _paths.Contains(path) || _tests.Exists(t => t(path));
        }
    }
}
