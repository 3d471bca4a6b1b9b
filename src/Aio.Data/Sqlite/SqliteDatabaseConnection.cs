using System.Data.Common;

namespace Aio.Data.Sqlite;

/// <summary>A <see cref="DatabaseConnection"/> on SQLite: a lease of one of the database's sessions,
/// given back when disposed.</summary>
internal sealed class SqliteDatabaseConnection : DatabaseConnection
{
    private readonly SqliteDatabase _owner;
    private readonly bool _readOnly;
    private SqliteSession? _session;

    internal SqliteDatabaseConnection(SqliteDatabase owner, SqliteSession session, bool readOnly)
    {
        _owner = owner;
        _session = session;
        _readOnly = readOnly;
    }

    public override DatabaseKind Kind => DatabaseKind.Sqlite;

    public override DbTransaction? CurrentDbTransaction => Session.CurrentTransaction;

    private SqliteSession Session => _session ?? throw new ObjectDisposedException(nameof(DatabaseConnection), "The connection was given back to its database.");

    public override async Coroutine<int> ExecuteAsync(string sql, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return await Session.ExecuteAsync(sql, args ?? []);
    }

    public override async Coroutine<int> ExecuteManyAsync(string sql, IEnumerable<object?[]> rows)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(rows);

        // Read on the loop: a lazy sequence may touch what only the loop thread may.
        IReadOnlyList<object?[]> list = rows as IReadOnlyList<object?[]> ?? rows.ToList();
        return await Session.RunAsync(s => s.ExecuteMany(sql, list));
    }

    public override async Coroutine<T?> ScalarAsync<T>(string sql, params object?[] args) where T : default
    {
        ArgumentNullException.ThrowIfNull(sql);
        return await Session.ScalarAsync<T>(sql, args ?? []);
    }

    public override IAsyncEnumerable<DbRow> QueryAsync(string sql, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return Session.QueryAsync(sql, args ?? []);
    }

    private protected override async Coroutine<List<DbRow>> FetchCoreAsync(string sql, object?[] args)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return await Session.FetchAsync(sql, args ?? []);
    }

    public override async Coroutine<T> RunAsync<T>(Func<DbConnection, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return await Session.RunAsync(s => work(s.Connection));
    }

    public override async Coroutine<T> RunAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);

        // Microsoft.Data.Sqlite's asynchronous methods complete synchronously, so waiting here costs the
        // worker nothing; other drivers' code would simply block the worker, never the loop.
        return await Session.RunWithTokenAsync((s, token) => work(s.Connection, token).GetAwaiter().GetResult());
    }

    private protected override async Coroutine BeginCoreAsync()
    {
        bool readOnly = _readOnly;
        await Session.RunAsync(s => s.Begin(readOnly));
    }

    internal override async Coroutine CommitCoreAsync()
    {
        EndTransaction();
        await Session.RunAsync(static s => s.Commit());
    }

    internal override async Coroutine RollbackCoreAsync()
    {
        EndTransaction();
        await Session.RunToEndAsync(static s => s.Rollback());
    }

    public override async ValueTask DisposeAsync()
    {
        SqliteSession? session = _session;
        if (session is null)
        {
            return;
        }

        _session = null;
        try
        {
            if (Transaction is not null && !session.IsClosed)
            {
                EndTransaction();
                await session.RunToEndAsync(static s => s.Rollback());
            }
        }
        finally
        {
            await _owner.GiveBackAsync(session, _readOnly);
        }
    }

    public override string ToString() => _readOnly ? "a read-only SQLite connection" : "the writing SQLite connection";
}
