using Aio.Data.Commands;
using Aio.Sync;
using Microsoft.Data.Sqlite;

namespace Aio.Data.Sqlite;

/// <summary>
/// A SQLite database: one connection that writes and, on a file database, a few read-only connections
/// beside it, each on a worker thread of its own (aiosqlite's design). Write-ahead logging, on by default,
/// lets the readers read while the writer writes.
/// </summary>
/// <remarks>
/// <para>Single statements go where they can run: <see cref="Database.ScalarAsync{T}"/>,
/// <see cref="Database.FetchAsync"/> and <see cref="Database.QueryAsync"/> of a statement that starts with
/// SELECT, VALUES or EXPLAIN go to a reader; anything else takes the writer, whose users take turns.
/// Readers are not taken for such a statement: several statements queue on one reader's thread (up to
/// four before another reader is opened), so that one thread wake-up serves several of them.</para>
/// <para>An in-memory database (<c>:memory:</c>) lives in its one connection: there are no readers, and
/// everything runs on the writer.</para>
/// </remarks>
public sealed class SqliteDatabase : Database
{
    private const int DefaultReaders = 4;

    private readonly string _writerConnectionString;
    private readonly string _readerConnectionString;
    private readonly DatabaseOptions _options;
    private readonly AsyncSemaphore _writerTurn = new(1);
    private readonly List<SqliteSession> _readers = [];
    private readonly Queue<Future<bool>> _readerWaiters = new();
    private SqliteSession? _writer;
    private int _openingReaders;
    private bool _disposed;

    /// <summary>How many single statements queue on one reader before another reader is opened. A reader's
    /// thread runs its queue in one go, so queued statements share one wake-up of the thread and one of
    /// the loop; on a machine with few cores that is worth more than running them side by side.</summary>
    private const int StatementsPerReader = 4;

    private SqliteDatabase(SqliteConnectionStringBuilder builder, DatabaseOptions options)
    {
        _options = options;
        DataSource = builder.DataSource;
        IsInMemory = builder.Mode == SqliteOpenMode.Memory || DataSource is "" or ":memory:";
        MaxReaders = IsInMemory ? 0 : options.MaxConnections ?? DefaultReaders;
        ArgumentOutOfRangeException.ThrowIfNegative(MaxReaders, nameof(options.MaxConnections));

        // Microsoft.Data.Sqlite's own pool would keep files open after a close; the sessions are the pool.
        builder.Pooling = false;
        _writerConnectionString = builder.ToString();
        builder.Mode = SqliteOpenMode.ReadOnly;
        _readerConnectionString = builder.ToString();
    }

    /// <inheritdoc/>
    public override DatabaseKind Kind => DatabaseKind.Sqlite;

    /// <summary>The file (or <c>:memory:</c>) the database is in.</summary>
    public string DataSource { get; }

    /// <summary>Whether the database lives in memory, in its one connection.</summary>
    public bool IsInMemory { get; }

    /// <summary>The most read-only connections open at once; 0 for an in-memory database.</summary>
    public int MaxReaders { get; }

    /// <summary>How many read-only connections are open now.</summary>
    public int OpenReaders => _readers.Count;

    /// <summary>Opens (creating if need be) a SQLite database.</summary>
    /// <param name="connectionStringOrPath">A <c>Microsoft.Data.Sqlite</c> connection string
    /// (<c>Data Source=app.db;Mode=ReadWriteCreate</c>) or just a file name (<c>app.db</c>, <c>:memory:</c>).</param>
    /// <param name="options">Readers, write-ahead logging, busy timeout; the defaults suit a service.</param>
    /// <returns>A coroutine of the database, once its writing connection is open.</returns>
    /// <exception cref="SqliteException">The file cannot be opened.</exception>
    public static new async Coroutine<SqliteDatabase> OpenAsync(string connectionStringOrPath, DatabaseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connectionStringOrPath);
        var builder = connectionStringOrPath.Contains('=')
            ? new SqliteConnectionStringBuilder(connectionStringOrPath)
            : new SqliteConnectionStringBuilder { DataSource = connectionStringOrPath };
        var database = new SqliteDatabase(builder, options ?? new DatabaseOptions());
        database._writer = await SqliteSession.OpenAsync(
            database._writerConnectionString, database.WriteAheadLog, database._options.SqliteBusyTimeout);
        database.TrackOpen();
        return database;
    }

    private bool WriteAheadLog => _options.SqliteWriteAheadLog && !IsInMemory;

    /// <summary>Takes the writing connection; other tasks that want it wait until it is given back.</summary>
    /// <returns>A coroutine of the connection.</returns>
    /// <exception cref="ObjectDisposedException">The database was closed.</exception>
    public override async Coroutine<DatabaseConnection> ConnectAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _writerTurn.AcquireAsync();
        if (_disposed)
        {
            _writerTurn.Release();
            throw new ObjectDisposedException(ToString());
        }

        return new SqliteDatabaseConnection(this, _writer!, readOnly: false);
    }

    /// <summary>Takes a read-only connection for the caller alone, opening one if fewer than
    /// <see cref="MaxReaders"/> are open and none is free; on an in-memory database, the writing connection.</summary>
    /// <returns>A coroutine of the connection. Writes on it fail with "attempt to write a readonly database".</returns>
    /// <exception cref="ObjectDisposedException">The database was closed.</exception>
    public async Coroutine<DatabaseConnection> ConnectReadOnlyAsync()
    {
        if (MaxReaders == 0)
        {
            return await ConnectAsync();
        }

        SqliteSession session = await TakeReaderAsync(exclusive: true);
        return new SqliteDatabaseConnection(this, session, readOnly: true);
    }

    private protected override Coroutine<DatabaseConnection> ConnectForAsync(string sql) =>
        MaxReaders > 0 && SqlText.IsSurelyRead(sql) ? ConnectReadOnlyAsync() : ConnectAsync();

    private protected override Coroutine<T?> ScalarCoreAsync<T>(string sql, object?[] args) where T : default =>
        SharesAReader(sql) ? OnSharedReaderAsync(sql, args, static (s, sql, args) => s.ScalarAsync<T>(sql, args)) : base.ScalarCoreAsync<T>(sql, args);

    private protected override Coroutine<List<DbRow>> FetchCoreAsync(string sql, object?[] args) =>
        SharesAReader(sql) ? OnSharedReaderAsync(sql, args, static (s, sql, args) => s.FetchAsync(sql, args)) : base.FetchCoreAsync(sql, args);

    private protected override IAsyncEnumerable<DbRow> QueryCore(string sql, object?[] args) =>
        SharesAReader(sql) ? RowsOnSharedReader(sql, args) : base.QueryCore(sql, args);

    private bool SharesAReader(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return MaxReaders > 0 && SqlText.IsSurelyRead(sql);
    }

    private async Coroutine<T> OnSharedReaderAsync<T>(string sql, object?[] args, Func<SqliteSession, string, object?[], ValueTask<T>> statement)
    {
        // Most of the time a reader is there to take: no coroutine for the taking.
        SqliteSession session = TryTakeReader(exclusive: false, out _) ?? await TakeReaderAsync(exclusive: false);
        try
        {
            return await statement(session, sql, args ?? []);
        }
        finally
        {
            await ReleaseSharedAsync(session);
        }
    }

    private async IAsyncEnumerable<DbRow> RowsOnSharedReader(string sql, object?[] args)
    {
        SqliteSession session = await TakeReaderAsync(exclusive: false);
        try
        {
            await foreach (DbRow row in session.QueryAsync(sql, args ?? []))
            {
                yield return row;
            }
        }
        finally
        {
            await ReleaseSharedAsync(session);
        }
    }

    /// <summary>
    /// Takes an open reader if one may be taken now: for a lease (exclusive), one with nothing queued; for a
    /// statement (shared), the one with the fewest queued, unless every one has
    /// <see cref="StatementsPerReader"/> and another may be opened. The common case of
    /// <see cref="TakeReaderAsync"/>, without its coroutine.
    /// </summary>
    /// <param name="exclusive">Whether the reader is wanted for a lease.</param>
    /// <param name="canOpen">Whether another reader may be opened now.</param>
    /// <returns>The reader taken, or null.</returns>
    private SqliteSession? TryTakeReader(bool exclusive, out bool canOpen)
    {
        SqliteSession? best = null;
        foreach (SqliteSession reader in _readers)
        {
            if (!reader.Leased && (best is null || reader.SharedStatements < best.SharedStatements))
            {
                best = reader;
            }
        }

        // One reader opens at a time: a burst of statements would otherwise open a reader each before
        // the first one is there to take several of them.
        canOpen = !_disposed && _openingReaders == 0 && _readers.Count < MaxReaders;
        if (_disposed || best is null
            || (exclusive ? best.SharedStatements > 0 : best.SharedStatements >= StatementsPerReader && canOpen))
        {
            return null;
        }

        return Take(best, exclusive);
    }

    private static SqliteSession Take(SqliteSession reader, bool exclusive)
    {
        if (exclusive)
        {
            reader.Leased = true;
        }
        else
        {
            reader.SharedStatements++;
        }

        return reader;
    }

    /// <summary>
    /// A reader for one statement (shared: it may queue behind others on the reader's thread) or for a
    /// lease (exclusive: nothing else runs on it until it is given back). Prefers the open reader with
    /// the fewest statements queued; opens another when every open one has
    /// <see cref="StatementsPerReader"/> (shared) or any (exclusive), up to <see cref="MaxReaders"/>;
    /// otherwise waits for a reader to come free.
    /// </summary>
    private async Coroutine<SqliteSession> TakeReaderAsync(bool exclusive)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (TryTakeReader(exclusive, out bool canOpen) is { } taken)
            {
                return taken;
            }

            if (canOpen)
            {
                _openingReaders++;
                SqliteSession opened;
                try
                {
                    opened = await SqliteSession.OpenAsync(_readerConnectionString, writeAheadLog: false, _options.SqliteBusyTimeout);
                }
                finally
                {
                    _openingReaders--;
                    WakeReaderWaiters();
                }

                if (_disposed)
                {
                    await opened.CloseAsync();
                    throw new ObjectDisposedException(ToString());
                }

                _readers.Add(opened);
                return Take(opened, exclusive);
            }

            Future<bool> waiter = AsyncIO.GetRunningLoop().CreateFuture<bool>();
            _readerWaiters.Enqueue(waiter);
            await waiter;
        }
    }

    private async ValueTask ReleaseSharedAsync(SqliteSession reader)
    {
        if (--reader.SharedStatements == 0 || reader.SharedStatements == StatementsPerReader - 1)
        {
            WakeReaderWaiters();
        }

        // After the database was closed, the last statement on a reader closes it.
        if (_disposed && !reader.Leased && reader.SharedStatements == 0 && _readers.Remove(reader))
        {
            await reader.CloseAsync();
        }
    }

    /// <summary>Lets every task waiting for a reader look again.</summary>
    private void WakeReaderWaiters()
    {
        while (_readerWaiters.TryDequeue(out Future<bool>? waiter))
        {
            if (!waiter.IsDone)
            {
                waiter.SetResult(true);
            }
        }
    }

    /// <summary>Takes back a connection from its lease.</summary>
    internal async ValueTask GiveBackAsync(SqliteSession session, bool readOnly)
    {
        if (!readOnly)
        {
            if (_disposed)
            {
                await session.CloseAsync();
            }

            _writerTurn.Release();
            return;
        }

        session.Leased = false;
        if (_disposed || session.IsClosed)
        {
            _readers.Remove(session);
            await session.CloseAsync();
        }

        WakeReaderWaiters();
    }

    /// <summary>Closes the idle connections and ends their threads; connections still taken are closed
    /// when given back.</summary>
    /// <returns>A task that completes when the idle connections are closed.</returns>
    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        TrackClosed();
        WakeReaderWaiters();
        foreach (SqliteSession reader in _readers.ToArray())
        {
            if (!reader.Leased && reader.SharedStatements == 0)
            {
                _readers.Remove(reader);
                await reader.CloseAsync();
            }
        }

        // The writer is closed here if nobody holds it, or by whoever gives it back.
        if (_writerTurn.TryAcquire())
        {
            try
            {
                await _writer!.CloseAsync();
            }
            finally
            {
                _writerTurn.Release();
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"SQLite database {DataSource}";
}
