using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Npgsql;

namespace Aio.Data.Postgres;

/// <summary>A <see cref="DatabaseConnection"/> on PostgreSQL: an open <see cref="NpgsqlConnection"/> from
/// the data source's pool, given back when disposed. Npgsql's I/O is asynchronous; its continuations
/// come back to the loop through the task's synchronization context, and every call carries the task's
/// cancellation token, so a cancelled task cancels its query on the server.</summary>
internal sealed class PostgresConnection : DatabaseConnection
{
    private NpgsqlConnection? _connection;
    private NpgsqlTransaction? _transaction;

    internal PostgresConnection(NpgsqlConnection connection)
    {
        _connection = connection;
    }

    public override DatabaseKind Kind => DatabaseKind.Postgres;

    public override DbTransaction? CurrentDbTransaction => _transaction;

    private NpgsqlConnection Connection => _connection ?? throw new ObjectDisposedException(nameof(DatabaseConnection), "The connection was given back to its database.");

    public override async Coroutine<int> ExecuteAsync(string sql, params object?[] args)
    {
        await using NpgsqlCommand command = Command(sql, args);
        return await command.ExecuteNonQueryAsync(TaskCancellation.ForNextCall);
    }

    public override async Coroutine<int> ExecuteManyAsync(string sql, IEnumerable<object?[]> rows)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(rows);

        // One batch: every run travels in one round trip, as asyncpg's executemany pipelines them.
        await using var batch = new NpgsqlBatch(Connection, _transaction);
        foreach (object?[] args in rows)
        {
            var command = new NpgsqlBatchCommand(sql);
            Bind(command.Parameters, args);
            batch.BatchCommands.Add(command);
        }

        if (batch.BatchCommands.Count == 0)
        {
            return 0;
        }

        return await batch.ExecuteNonQueryAsync(TaskCancellation.ForNextCall);
    }

    public override async Coroutine<T?> ScalarAsync<T>(string sql, params object?[] args) where T : default
    {
        await using NpgsqlCommand command = Command(sql, args);
        return DbValues.To<T>(await command.ExecuteScalarAsync(TaskCancellation.ForNextCall));
    }

    public override IAsyncEnumerable<DbRow> QueryAsync(string sql, params object?[] args) => Rows(Command(sql, args));

    private static async IAsyncEnumerable<DbRow> Rows(NpgsqlCommand command)
    {
        await using (command)
        {
            CancellationToken token = TaskCancellation.ForNextCall;
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(token);
            RowShape? shape = null;
            while (await reader.ReadAsync(token))
            {
                yield return DbRow.Read(reader, ref shape);
            }
        }
    }

    public override async Coroutine<T> RunAsync<T>(Func<DbConnection, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        NpgsqlConnection connection = Connection;

        // Synchronous driver code blocks its thread: the default executor's, never the loop's.
        return await AsyncIO.GetRunningLoop().RunInExecutor(null, () => work(connection));
    }

    public override async Coroutine<T> RunAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return await work(Connection, TaskCancellation.ForNextCall);
    }

    private protected override async Coroutine BeginCoreAsync()
    {
        _transaction = await Connection.BeginTransactionAsync(TaskCancellation.ForNextCall);
    }

    internal override async Coroutine CommitCoreAsync()
    {
        EndTransaction();
        NpgsqlTransaction transaction = _transaction ?? throw new InvalidOperationException("No transaction is open.");
        _transaction = null;
        await using (transaction)
        {
            await transaction.CommitAsync(TaskCancellation.ForNextCall);
        }
    }

    internal override async Coroutine RollbackCoreAsync()
    {
        EndTransaction();
        NpgsqlTransaction? transaction = _transaction;
        _transaction = null;
        if (transaction is null)
        {
            return;
        }

        await using (transaction)
        {
            // A broken connection took its transaction with it (the server rolls back a session that
            // ends), and Npgsql has disposed it: rolling back would throw ObjectDisposedException over
            // the error that broke the connection.
            if (Connection.State != ConnectionState.Open)
            {
                return;
            }

            // Never cancelled: a rollback is what a cancellation leaves behind.
            await transaction.RollbackAsync(CancellationToken.None);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        NpgsqlConnection? connection = _connection;
        if (connection is null)
        {
            return;
        }

        try
        {
            if (_transaction is not null)
            {
                await RollbackCoreAsync();
            }
        }
        catch (NpgsqlException)
        {
            // The connection broke; the pool will not take it back as it is.
        }
        finally
        {
            _connection = null;
            await connection.DisposeAsync();
        }
    }

    private NpgsqlCommand Command(string sql, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var command = new NpgsqlCommand(sql, Connection, _transaction);
        Bind(command.Parameters, args ?? []);
        return command;
    }

    /// <summary>Positional parameters: Npgsql sends them as $1, $2, … unnamed.</summary>
    private static void Bind(NpgsqlParameterCollection parameters, object?[] args)
    {
        foreach (object? arg in args)
        {
            parameters.Add(new NpgsqlParameter { Value = arg ?? DBNull.Value });
        }
    }

    public override string ToString() => "a PostgreSQL connection";
}
