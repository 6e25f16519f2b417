using System.Globalization;
using Microsoft.Data.Sqlite;

namespace CvmfsImages.Sync.GitHub;

/// <summary>
/// What the publish notices remember across restarts (SQLite): which lines each recently merged PR added, which
/// PRs were scanned, the answers given per PR and line, and the id of each PR's notice comment. It caches and
/// de-duplicates only; the repository stays the source of truth for what is published.
/// </summary>
internal sealed class NoticeStore
{
    private readonly string _connectionString;

    public NoticeStore(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
        using var connection = Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS scanned_pulls (pr INTEGER PRIMARY KEY, merged_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS pull_lines (pr INTEGER NOT NULL, line TEXT NOT NULL, PRIMARY KEY (pr, line));
            CREATE TABLE IF NOT EXISTS notices (pr INTEGER NOT NULL, line TEXT NOT NULL, item TEXT NOT NULL, published INTEGER NOT NULL,
                path TEXT, digest TEXT, size INTEGER NOT NULL, reason TEXT, PRIMARY KEY (pr, line, item));
            CREATE TABLE IF NOT EXISTS comments (pr INTEGER PRIMARY KEY, comment_id INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS unsent (pr INTEGER PRIMARY KEY);
            CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, line TEXT NOT NULL, item TEXT NOT NULL,
                published INTEGER NOT NULL, path TEXT, digest TEXT, size INTEGER NOT NULL, reason TEXT, received_at INTEGER NOT NULL);
            """);
    }

    public bool IsScanned(int pullRequest)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT 1 FROM scanned_pulls WHERE pr = $pr", ("$pr", pullRequest));
        return command.ExecuteScalar() is not null;
    }

    /// <summary>Records a merged PR and the (normalised) lines it added, in one transaction.</summary>
    public void AddScanned(int pullRequest, DateTimeOffset mergedAt, IEnumerable<string> lines)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        foreach (var line in lines.Distinct(StringComparer.Ordinal))
        {
            using var insert = Command(connection, "INSERT OR IGNORE INTO pull_lines (pr, line) VALUES ($pr, $line)", ("$pr", pullRequest), ("$line", line));
            insert.Transaction = transaction;
            insert.ExecuteNonQuery();
        }

        using var scanned = Command(connection, "INSERT OR REPLACE INTO scanned_pulls (pr, merged_at) VALUES ($pr, $at)", ("$pr", pullRequest), ("$at", mergedAt.ToUnixTimeSeconds()));
        scanned.Transaction = transaction;
        scanned.ExecuteNonQuery();
        transaction.Commit();
    }

    /// <summary>The most recently merged PR (merged at or after <paramref name="since"/>) that added <paramref name="line"/>.</summary>
    public int? FindPullRequest(string line, DateTimeOffset since)
    {
        using var connection = Open();
        using var command = Command(connection, """
            SELECT l.pr FROM pull_lines l JOIN scanned_pulls s ON s.pr = l.pr
            WHERE l.line = $line AND s.merged_at >= $since ORDER BY s.merged_at DESC, l.pr DESC LIMIT 1
            """, ("$line", line), ("$since", since.ToUnixTimeSeconds()));
        return command.ExecuteScalar() is long pr ? (int)pr : null;
    }

    public IReadOnlyList<NoticeRecord> Notices(int pullRequest)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT line, item, published, path, digest, size, reason FROM notices WHERE pr = $pr ORDER BY rowid", ("$pr", pullRequest));
        using var reader = command.ExecuteReader();
        var result = new List<NoticeRecord>();
        while (reader.Read())
        {
            result.Add(ReadRecord(reader, 0, pullRequest));
        }

        return result;
    }

    /// <summary>Stores a published answer; drops the line's earlier failures. False when the same answer was already given.</summary>
    public bool RecordPublished(NoticeRecord record) => Record(
        record,
        "SELECT 1 FROM notices WHERE pr = $pr AND line = $line AND item = $item AND published = 1 AND digest IS $digest",
        "DELETE FROM notices WHERE pr = $pr AND line = $line AND (published = 0 OR item = $item)");

    /// <summary>Stores a failure unless the line was published or the same reason was already given. False when nothing changed.</summary>
    public bool RecordFailed(NoticeRecord record) => Record(
        record,
        "SELECT 1 FROM notices WHERE pr = $pr AND line = $line AND (published = 1 OR (item = $item AND reason IS $reason))",
        "DELETE FROM notices WHERE pr = $pr AND line = $line AND item = $item");

    /// <summary>
    /// In one transaction: nothing when <paramref name="alreadySql"/> finds a row; else <paramref name="clearSql"/>, the
    /// new row, and the PR marked unsent (its comment must be written).
    /// </summary>
    private bool Record(NoticeRecord record, string alreadySql, string clearSql)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        (string, object?)[] keys = [("$pr", record.PullRequest), ("$line", record.Line), ("$item", record.Item), ("$digest", record.Digest), ("$reason", record.Reason)];
        using var existing = Command(connection, alreadySql, keys);
        existing.Transaction = transaction;
        if (existing.ExecuteScalar() is not null)
        {
            return false;
        }

        using var clear = Command(connection, clearSql, keys);
        clear.Transaction = transaction;
        clear.ExecuteNonQuery();
        Insert(connection, transaction, record);
        using var unsent = Command(connection, "INSERT OR IGNORE INTO unsent (pr) VALUES ($pr)", ("$pr", record.PullRequest));
        unsent.Transaction = transaction;
        unsent.ExecuteNonQuery();
        transaction.Commit();
        return true;
    }

    public long? CommentId(int pullRequest)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT comment_id FROM comments WHERE pr = $pr", ("$pr", pullRequest));
        return command.ExecuteScalar() is long id ? id : null;
    }

    public void SetCommentId(int pullRequest, long commentId)
    {
        using var connection = Open();
        using var command = Command(connection, "INSERT OR REPLACE INTO comments (pr, comment_id) VALUES ($pr, $id)", ("$pr", pullRequest), ("$id", commentId));
        command.ExecuteNonQuery();
    }

    /// <summary>Keeps a notice until the PR it belongs to is known (GitHub may be unreachable when it arrives).</summary>
    public void Enqueue(NoticeRecord record, DateTimeOffset receivedAt)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var connection = Open();
        using var command = Command(connection, """
            INSERT INTO inbox (line, item, published, path, digest, size, reason, received_at)
            VALUES ($line, $item, $published, $path, $digest, $size, $reason, $at)
            """,
            ("$line", record.Line), ("$item", record.Item), ("$published", record.Published ? 1 : 0), ("$path", record.CvmfsPath),
            ("$digest", record.Digest), ("$size", record.Size), ("$reason", record.Reason), ("$at", receivedAt.ToUnixTimeSeconds()));
        command.ExecuteNonQuery();
    }

    /// <summary>The notices not yet matched to a PR, oldest first, with their inbox ids and arrival times.</summary>
    public IReadOnlyList<(long Id, NoticeRecord Record, DateTimeOffset ReceivedAt)> Inbox()
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT id, line, item, published, path, digest, size, reason, received_at FROM inbox ORDER BY id");
        using var reader = command.ExecuteReader();
        var result = new List<(long, NoticeRecord, DateTimeOffset)>();
        while (reader.Read())
        {
            result.Add((reader.GetInt64(0), ReadRecord(reader, 1, 0), DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(8))));
        }

        return result;
    }

    public void RemoveFromInbox(long id)
    {
        using var connection = Open();
        using var command = Command(connection, "DELETE FROM inbox WHERE id = $id", ("$id", id));
        command.ExecuteNonQuery();
    }

    public void ClearUnsent(int pullRequest)
    {
        using var connection = Open();
        using var command = Command(connection, "DELETE FROM unsent WHERE pr = $pr", ("$pr", pullRequest));
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<int> Unsent()
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT pr FROM unsent ORDER BY pr");
        using var reader = command.ExecuteReader();
        var result = new List<int>();
        while (reader.Read())
        {
            result.Add((int)reader.GetInt64(0));
        }

        return result;
    }

    /// <summary>Reads line, item, published, path, digest, size, reason from column <paramref name="first"/> on.</summary>
    private static NoticeRecord ReadRecord(SqliteDataReader reader, int first, int pullRequest) => new(
        pullRequest, reader.GetString(first), reader.GetString(first + 1), reader.GetInt64(first + 2) != 0,
        reader.IsDBNull(first + 3) ? null : reader.GetString(first + 3), reader.IsDBNull(first + 4) ? null : reader.GetString(first + 4),
        reader.GetInt64(first + 5), reader.IsDBNull(first + 6) ? null : reader.GetString(first + 6));

    private static void Insert(SqliteConnection connection, SqliteTransaction transaction, NoticeRecord r)
    {
        using var insert = Command(connection, """
            INSERT INTO notices (pr, line, item, published, path, digest, size, reason)
            VALUES ($pr, $line, $item, $published, $path, $digest, $size, $reason)
            """,
            ("$pr", r.PullRequest), ("$line", r.Line), ("$item", r.Item), ("$published", r.Published ? 1 : 0),
            ("$path", r.CvmfsPath), ("$digest", r.Digest), ("$size", r.Size), ("$reason", r.Reason));
        insert.Transaction = transaction;
        insert.ExecuteNonQuery();
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value switch
            {
                null => DBNull.Value,
                int i => (long)i,
                _ => value,
            });
        }

        return command;
    }

    /// <summary>For log lines.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"NoticeStore({_connectionString})");
}
