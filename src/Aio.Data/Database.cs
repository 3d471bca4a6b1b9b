using Aio.Data.Postgres;
using Aio.Data.Sqlite;
using Aio.Diagnostics;

namespace Aio.Data;

/// <summary>
/// A database the loop talks to: SQLite (a file, or memory) or PostgreSQL, chosen by the connection
/// string. It holds the connections (a pool) and runs single statements on one of them; take a
/// <see cref="DatabaseConnection"/> with <see cref="ConnectAsync"/> for several statements in a row or a
/// transaction. The same calls work on both engines: an application switches by changing its connection
/// string.
/// </summary>
/// <remarks>
/// <para>Parameters are positional, written <c>$1</c>, <c>$2</c>, … in the SQL on both engines, and passed
/// after it: <c>db.ScalarAsync&lt;string&gt;("SELECT name FROM users WHERE id = $1", id)</c>.</para>
/// <para>Nothing blocks the loop: SQLite statements run on a worker thread that each connection owns
/// (SQLite's own calls are synchronous), PostgreSQL's through Npgsql's asynchronous I/O. Cancelling the
/// task that awaits a statement stops the statement — SQLite's interrupt, or PostgreSQL's cancel request —
/// and leaves the connection usable.</para>
/// <para>A database belongs to the loop that uses it; its methods are called on that loop's thread.</para>
/// </remarks>
public abstract class Database : IAsyncDisposable, ILoopResource
{
    private EventLoop? _trackedBy;

    private protected Database()
    {
    }

    /// <summary>Which engine this is.</summary>
    public abstract DatabaseKind Kind { get; }

    /// <summary>
    /// Opens a database: PostgreSQL when the connection string names a host (<c>Host=…</c>, as Npgsql
    /// reads it) or is a <c>postgres://</c> or <c>postgresql://</c> address; otherwise SQLite, where the
    /// string is either a <c>Microsoft.Data.Sqlite</c> connection string (<c>Data Source=app.db</c>) or
    /// simply a file name (<c>app.db</c>, <c>:memory:</c>).
    /// </summary>
    /// <param name="connectionString">Where the database is.</param>
    /// <param name="options">Pool size and engine settings; the defaults suit a service.</param>
    /// <returns>A coroutine of the open database. SQLite opens (and creates) the file here;
    /// PostgreSQL connects at the first statement.</returns>
    /// <exception cref="ArgumentException">The connection string cannot be read.</exception>
    public static async Coroutine<Database> OpenAsync(string connectionString, DatabaseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        if (PostgresDatabase.Recognizes(connectionString))
        {
            return PostgresDatabase.Open(connectionString, options);
        }

        return await SqliteDatabase.OpenAsync(connectionString, options);
    }

    /// <summary>Takes a connection from the pool, for several statements in a row or a transaction;
    /// disposing it gives it back (rolling back a transaction left open).</summary>
    /// <returns>A coroutine of the connection. On SQLite it is the one writing connection, so tasks take
    /// turns; see <see cref="SqliteDatabase.ConnectReadOnlyAsync"/> for readers.</returns>
    public abstract Coroutine<DatabaseConnection> ConnectAsync();

    /// <summary>Runs a statement that returns no rows; asyncpg's <c>execute</c>.</summary>
    /// <param name="sql">The statement, with <c>$1</c>, <c>$2</c>, … for the arguments.</param>
    /// <param name="args">The arguments, in order; null is SQL NULL.</param>
    /// <returns>A coroutine of how many rows it changed.</returns>
    public async Coroutine<int> ExecuteAsync(string sql, params object?[] args)
    {
        await using DatabaseConnection connection = await ConnectForAsync(sql);
        return await connection.ExecuteAsync(sql, args);
    }

    /// <summary>Runs a query and returns the first column of its first row; asyncpg's <c>fetchval</c>.</summary>
    /// <typeparam name="T">The type wanted; see <see cref="DbRow.Get{T}(int)"/> for conversions.</typeparam>
    /// <param name="sql">The query, with <c>$1</c>, <c>$2</c>, … for the arguments.</param>
    /// <param name="args">The arguments, in order.</param>
    /// <returns>A coroutine of the value; <c>default</c> when there is no row or the value is NULL.</returns>
    public Coroutine<T?> ScalarAsync<T>(string sql, params object?[] args) => ScalarCoreAsync<T>(sql, args);

    /// <summary>Runs a query and returns all its rows; asyncpg's <c>fetch</c>.</summary>
    /// <param name="sql">The query, with <c>$1</c>, <c>$2</c>, … for the arguments.</param>
    /// <param name="args">The arguments, in order.</param>
    /// <returns>A coroutine of the rows.</returns>
    public Coroutine<List<DbRow>> FetchAsync(string sql, params object?[] args) => FetchCoreAsync(sql, args);

    /// <summary>Runs a query and streams its rows, fetched as they are read, not buffered whole; the
    /// connection is held until the enumeration ends.</summary>
    /// <param name="sql">The query, with <c>$1</c>, <c>$2</c>, … for the arguments.</param>
    /// <param name="args">The arguments, in order.</param>
    /// <returns>The rows, for <c>await foreach</c>.</returns>
    public IAsyncEnumerable<DbRow> QueryAsync(string sql, params object?[] args) => QueryCore(sql, args);

    /// <summary>Runs <paramref name="body"/> in a transaction on a pooled connection: committed when it
    /// returns, rolled back when it throws — cancellation included.</summary>
    /// <param name="body">The work, given the connection to run it on.</param>
    /// <returns>A coroutine that ends when the transaction has been committed.</returns>
    public async Coroutine TransactionAsync(Func<DatabaseConnection, Coroutine> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        await using DatabaseConnection connection = await ConnectAsync();
        await connection.TransactionAsync(body);
    }

    /// <summary>Runs <paramref name="body"/> in a transaction on a pooled connection and returns its
    /// result: committed when it returns, rolled back when it throws — cancellation included.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="body">The work, given the connection to run it on.</param>
    /// <returns>A coroutine of the result, once the transaction has been committed.</returns>
    public async Coroutine<T> TransactionAsync<T>(Func<DatabaseConnection, Coroutine<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        await using DatabaseConnection connection = await ConnectAsync();
        return await connection.TransactionAsync(body);
    }

    /// <summary>Closes every connection (those taken are closed when given back).</summary>
    /// <returns>A task that completes when the idle connections are closed.</returns>
    public abstract ValueTask DisposeAsync();

    /// <summary>Registers the open database with the running loop (if any), so that debug mode reports it,
    /// with where it was opened, if the loop closes while it is still open, and tests' leak checks see it.</summary>
    private protected void TrackOpen()
    {
        _trackedBy = EventLoop.CurrentOrNull;
        _trackedBy?.TrackResource(this);
    }

    /// <summary>Forgets the registration made by <see cref="TrackOpen"/>, as the database closes.</summary>
    private protected void TrackClosed()
    {
        _trackedBy?.UntrackResource(this);
        _trackedBy = null;
    }

    string ILoopResource.Describe() => ToString() ?? GetType().Name;

    /// <summary>The connection a single statement runs on: SQLite sends reads to its readers.</summary>
    private protected virtual Coroutine<DatabaseConnection> ConnectForAsync(string sql) => ConnectAsync();

    /// <summary><see cref="ScalarAsync{T}"/> on a connection taken for the statement; SQLite overrides it.</summary>
    private protected virtual async Coroutine<T?> ScalarCoreAsync<T>(string sql, object?[] args)
    {
        await using DatabaseConnection connection = await ConnectForAsync(sql);
        return await connection.ScalarAsync<T>(sql, args);
    }

    /// <summary><see cref="FetchAsync"/> on a connection taken for the statement; SQLite overrides it.</summary>
    private protected virtual async Coroutine<List<DbRow>> FetchCoreAsync(string sql, object?[] args)
    {
        await using DatabaseConnection connection = await ConnectForAsync(sql);
        return await connection.FetchAsync(sql, args);
    }

    /// <summary><see cref="QueryAsync"/> on a connection taken for the enumeration; SQLite overrides it.</summary>
    private protected virtual async IAsyncEnumerable<DbRow> QueryCore(string sql, object?[] args)
    {
        await using DatabaseConnection connection = await ConnectForAsync(sql);
        await foreach (DbRow row in connection.QueryAsync(sql, args))
        {
            yield return row;
        }
    }
}
