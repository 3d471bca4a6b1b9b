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
/// SELECT, VALUES or EXPLAIN take a reader; anything else takes the writer, whose users take turns.</para>
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
    private readonly AsyncSemaphore _readerTurns;
    private readonly Stack<SqliteSession> _idleReaders = new();
    private SqliteSession? _writer;
    private int _openReaders;
    private bool _disposed;

    private SqliteDatabase(SqliteConnectionStringBuilder builder, DatabaseOptions options)
    {
        _options = options;
        DataSource = builder.DataSource;
        IsInMemory = builder.Mode == SqliteOpenMode.Memory || DataSource is "" or ":memory:";
        MaxReaders = IsInMemory ? 0 : options.MaxConnections ?? DefaultReaders;
        ArgumentOutOfRangeException.ThrowIfNegative(MaxReaders, nameof(options.MaxConnections));
        _readerTurns = new AsyncSemaphore(Math.Max(1, MaxReaders));

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
    public int OpenReaders => _openReaders;

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

    /// <summary>Takes a read-only connection, opening one if fewer than <see cref="MaxReaders"/> are open
    /// and none is idle; on an in-memory database, the writing connection.</summary>
    /// <returns>A coroutine of the connection. Writes on it fail with "attempt to write a readonly database".</returns>
    /// <exception cref="ObjectDisposedException">The database was closed.</exception>
    public async Coroutine<DatabaseConnection> ConnectReadOnlyAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (MaxReaders == 0)
        {
            return await ConnectAsync();
        }

        await _readerTurns.AcquireAsync();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_idleReaders.TryPop(out SqliteSession? session))
            {
                // Counted before the await, so that the close sees it and waits for it to come back.
                _openReaders++;
                try
                {
                    session = await SqliteSession.OpenAsync(_readerConnectionString, writeAheadLog: false, _options.SqliteBusyTimeout);
                }
                catch
                {
                    _openReaders--;
                    throw;
                }
            }

            return new SqliteDatabaseConnection(this, session, readOnly: true);
        }
        catch
        {
            _readerTurns.Release();
            throw;
        }
    }

    private protected override Coroutine<DatabaseConnection> ConnectForAsync(string sql) =>
        MaxReaders > 0 && SqlText.IsSurelyRead(sql) ? ConnectReadOnlyAsync() : ConnectAsync();

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

        if (_disposed || session.IsClosed)
        {
            _openReaders--;
            await session.CloseAsync();
        }
        else
        {
            _idleReaders.Push(session);
        }

        _readerTurns.Release();
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
        while (_idleReaders.TryPop(out SqliteSession? reader))
        {
            _openReaders--;
            await reader.CloseAsync();
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
