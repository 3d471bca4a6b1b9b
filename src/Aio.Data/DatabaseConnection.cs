using System.Data.Common;

namespace Aio.Data;

/// <summary>
/// One connection, taken from a <see cref="Database"/>'s pool, for statements in a row and transactions.
/// Dispose it (<c>await using</c>) to give it back.
/// </summary>
/// <remarks>One statement at a time: a connection runs what it is given in order. Loop thread only.</remarks>
public abstract class DatabaseConnection : IAsyncDisposable
{
    private DatabaseTransaction? _transaction;

    private protected DatabaseConnection()
    {
    }

    /// <summary>Which engine this is.</summary>
    public abstract DatabaseKind Kind { get; }

    /// <summary>The transaction begun with <see cref="BeginTransactionAsync"/> and not yet ended, or null.</summary>
    public DatabaseTransaction? Transaction => _transaction is { IsCompleted: false } t ? t : null;

    /// <summary>Runs a statement that returns no rows.</summary>
    /// <param name="sql">The statement, with <c>$1</c>, <c>$2</c>, … for the arguments.</param>
    /// <param name="args">The arguments, in order; null is SQL NULL.</param>
    /// <returns>A coroutine of how many rows it changed.</returns>
    public abstract Coroutine<int> ExecuteAsync(string sql, params object?[] args);

    /// <summary>Runs one statement once per set of arguments, prepared once; asyncpg's <c>executemany</c>.</summary>
    /// <param name="sql">The statement, with <c>$1</c>, <c>$2</c>, … for the arguments.</param>
    /// <param name="rows">One argument array per run.</param>
    /// <returns>A coroutine of how many rows the runs changed in all.</returns>
    public abstract Coroutine<int> ExecuteManyAsync(string sql, IEnumerable<object?[]> rows);

    /// <summary>Runs a query and returns the first column of its first row.</summary>
    /// <typeparam name="T">The type wanted; see <see cref="DbRow.Get{T}(int)"/> for conversions.</typeparam>
    /// <param name="sql">The query, with <c>$1</c>, <c>$2</c>, … for the arguments.</param>
    /// <param name="args">The arguments, in order.</param>
    /// <returns>A coroutine of the value; <c>default</c> when there is no row or the value is NULL.</returns>
    public abstract Coroutine<T?> ScalarAsync<T>(string sql, params object?[] args);

    /// <summary>Runs a query and streams its rows, fetched in batches as they are read.</summary>
    /// <param name="sql">The query, with <c>$1</c>, <c>$2</c>, … for the arguments.</param>
    /// <param name="args">The arguments, in order.</param>
    /// <returns>The rows, for <c>await foreach</c>. Leaving the loop early closes the query.</returns>
    public abstract IAsyncEnumerable<DbRow> QueryAsync(string sql, params object?[] args);

    /// <summary>Runs a query and returns all its rows.</summary>
    /// <param name="sql">The query, with <c>$1</c>, <c>$2</c>, … for the arguments.</param>
    /// <param name="args">The arguments, in order.</param>
    /// <returns>A coroutine of the rows.</returns>
    public Coroutine<List<DbRow>> FetchAsync(string sql, params object?[] args) => FetchCoreAsync(sql, args);

    /// <summary><see cref="FetchAsync"/> through <see cref="QueryAsync"/>; SQLite fetches in one trip.</summary>
    private protected virtual async Coroutine<List<DbRow>> FetchCoreAsync(string sql, object?[] args)
    {
        var rows = new List<DbRow>();
        await foreach (DbRow row in QueryAsync(sql, args))
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>Begins a transaction; the statements of this connection run in it until it is committed
    /// or rolled back. Disposing it without a commit rolls it back.</summary>
    /// <returns>A coroutine of the transaction.</returns>
    /// <exception cref="InvalidOperationException">A transaction is already open on this connection.</exception>
    public async Coroutine<DatabaseTransaction> BeginTransactionAsync()
    {
        if (Transaction is not null)
        {
            throw new InvalidOperationException("A transaction is already open on this connection; commit or roll it back first.");
        }

        await BeginCoreAsync();
        _transaction = new DatabaseTransaction(this);
        return _transaction;
    }

    /// <summary>Runs <paramref name="body"/> in a transaction: committed when it returns, rolled back when
    /// it throws — cancellation included.</summary>
    /// <param name="body">The work, given this connection.</param>
    /// <returns>A coroutine that ends when the transaction has been committed.</returns>
    public async Coroutine TransactionAsync(Func<DatabaseConnection, Coroutine> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        await using DatabaseTransaction transaction = await BeginTransactionAsync();
        await body(this);
        await transaction.CommitAsync();
    }

    /// <summary>Runs <paramref name="body"/> in a transaction and returns its result: committed when it
    /// returns, rolled back when it throws — cancellation included.</summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="body">The work, given this connection.</param>
    /// <returns>A coroutine of the result, once the transaction has been committed.</returns>
    public async Coroutine<T> TransactionAsync<T>(Func<DatabaseConnection, Coroutine<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        await using DatabaseTransaction transaction = await BeginTransactionAsync();
        T result = await body(this);
        await transaction.CommitAsync();
        return result;
    }

    /// <summary>
    /// Runs synchronous ADO.NET code (Dapper's <c>Query</c>, a <see cref="DbCommand"/>, a bulk copy) with
    /// the driver's own connection, off the loop: on SQLite on the connection's worker thread, on
    /// PostgreSQL on the default executor. Commands it makes run in the open transaction, if any
    /// (<see cref="DbCommand.Transaction"/> is set for you on SQLite only when you use
    /// <see cref="CurrentDbTransaction"/>).
    /// </summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="work">The code; it must not keep the connection.</param>
    /// <returns>A coroutine of what it returned.</returns>
    public abstract Coroutine<T> RunAsync<T>(Func<DbConnection, T> work);

    /// <summary>
    /// Runs asynchronous ADO.NET code (Dapper's <c>QueryAsync</c>) with the driver's own connection: on
    /// SQLite on the connection's worker thread (whose driver completes synchronously), on PostgreSQL on
    /// the loop. The token is cancelled when the awaiting task is.
    /// </summary>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <param name="work">The code; it must not keep the connection.</param>
    /// <returns>A coroutine of what it returned.</returns>
    public abstract Coroutine<T> RunAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work);

    /// <summary>The driver's transaction object of the open transaction, for commands made in
    /// <see cref="RunAsync{T}(Func{DbConnection, T})"/>; null when none is open. Read it inside the
    /// delegate.</summary>
    public abstract DbTransaction? CurrentDbTransaction { get; }

    /// <summary>Gives the connection back to its pool, rolling back a transaction left open.</summary>
    /// <returns>A task that completes when it is back.</returns>
    public abstract ValueTask DisposeAsync();

    private protected abstract Coroutine BeginCoreAsync();

    internal abstract Coroutine CommitCoreAsync();

    internal abstract Coroutine RollbackCoreAsync();

    /// <summary>Forgets the transaction object once it ended (or the connection was given back).</summary>
    private protected void EndTransaction() => _transaction = null;
}
