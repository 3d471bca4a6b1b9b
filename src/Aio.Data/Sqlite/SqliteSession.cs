using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Aio.Data.Sqlite;

/// <summary>
/// One SQLite connection and the thread that owns it: every call on the connection runs on that thread,
/// in the order it was made, and resumes the awaiting coroutine on the loop — aiosqlite's design. SQLite's
/// calls are synchronous, so this is what keeps them off the loop.
/// </summary>
/// <remarks>
/// <para>Cancellation: a statement whose awaiting task is cancelled is interrupted (<c>sqlite3_interrupt</c>,
/// which may be called from any thread) and the task resumes at once with the cancellation; statements
/// queued behind it still run, so the connection stays usable. Clean-up calls (rollback, closing a
/// cursor, closing the connection) are shielded and always run.</para>
/// <para>Prepared commands are kept per statement text (up to <see cref="CachedCommands"/>), so a statement
/// run again is not compiled again.</para>
/// </remarks>
internal sealed class SqliteSession
{
    internal const int FirstBatchSize = 16;
    private const int LargestBatchSize = 256;
    private const int CachedCommands = 32;

    /// <summary>How long the worker, and the loop awaiting it, watch for the next statement or result
    /// before sleeping: a few statements' worth, so that statements awaited one after the other cost no
    /// thread wake-up where the loop and the worker have cores of their own.</summary>
    private static readonly TimeSpan WorkerSpin = TimeSpan.FromMicroseconds(50);

    private static readonly string[] s_parameterNames = [.. Enumerable.Range(1, 32).Select(i => "$" + i)];

    private readonly ThreadPoolExecutor _worker;

    // Touched on the worker thread only.
    private SqliteConnection? _connection;
    private SqliteTransaction? _transaction;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    private SqliteSession()
    {
        _worker = new ThreadPoolExecutor(maxWorkers: 1, threadNamePrefix: ThreadNamePrefix) { SpinBeforeParking = WorkerSpin };
    }

    /// <summary>Whether the session was closed (loop thread).</summary>
    internal bool IsClosed { get; private set; }

    /// <summary>The prefix of the worker threads' names, by which tests find them.</summary>
    internal const string ThreadNamePrefix = "aio-sqlite";

    /// <summary>Opens a connection on a new worker thread.</summary>
    internal static async Coroutine<SqliteSession> OpenAsync(string connectionString, bool writeAheadLog, TimeSpan busyTimeout)
    {
        var session = new SqliteSession();
        try
        {
            await session.RunToEndAsync(s =>
            {
                s.OpenOnWorker(connectionString, writeAheadLog, busyTimeout);
                return true;
            });
        }
        catch
        {
            session._worker.Shutdown(wait: false);
            throw;
        }

        return session;
    }

    // ---- running on the worker ------------------------------------------------------------------

    /// <summary>Runs <paramref name="work"/> on the worker with two arguments (so that a static lambda
    /// allocates nothing); if <paramref name="interruptible"/>, cancelling the awaiting task stops it.</summary>
    internal ValueTask<T> Call<T>(Func<SqliteSession, object?, object?, T> work, object? first, object? second, bool interruptible)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        return SqliteCall<T>.Start(this, _worker, work, first, second, interruptible);
    }

    /// <summary>Runs <paramref name="work"/> on the worker; cancelling the awaiting task interrupts it.</summary>
    internal ValueTask<T> RunAsync<T>(Func<SqliteSession, T> work) =>
        Call(static (s, w, _) => ((Func<SqliteSession, T>)w!)(s), work, null, interruptible: true);

    /// <summary>Runs <paramref name="work"/> on the worker to its end, whatever happens to the awaiting
    /// task: clean-up (a rollback, closing a cursor or the connection).</summary>
    internal ValueTask<T> RunToEndAsync<T>(Func<SqliteSession, T> work) =>
        Call(static (s, w, _) => ((Func<SqliteSession, T>)w!)(s), work, null, interruptible: false);

    /// <summary>Runs <paramref name="work"/> on the worker with the awaiting task's token, which is
    /// cancelled (and the statement interrupted) when the task is: for driver code that takes a token.</summary>
    internal ValueTask<T> RunWithTokenAsync<T>(Func<SqliteSession, CancellationToken, T> work) =>
        Call(static (s, w, token) => ((Func<SqliteSession, CancellationToken, T>)w!)(s, (CancellationToken)token!),
            work, TaskCancellation.ForNextCall, interruptible: true);

    /// <summary>The call running on the worker, for interrupts; guarded by <see cref="_callLock"/>, so
    /// that an interrupt meant for one call never reaches the next.</summary>
    private object? _runningCall;
    private readonly Lock _callLock = new();

    /// <summary>On the worker, as <paramref name="call"/> starts.</summary>
    internal void Entered(object call)
    {
        lock (_callLock)
        {
            _runningCall = call;
        }
    }

    /// <summary>On the worker, as the running call ends.</summary>
    internal void Left()
    {
        lock (_callLock)
        {
            _runningCall = null;
        }
    }

    /// <summary>Interrupts <paramref name="call"/> if it is the one running (from the loop thread).</summary>
    internal void Interrupt(object call)
    {
        lock (_callLock)
        {
            // SQLite allows the interrupt from any thread while the worker runs the statement.
            if (ReferenceEquals(_runningCall, call) && Volatile.Read(ref _connection)?.Handle is { } handle)
            {
                raw.sqlite3_interrupt(handle);
            }
        }
    }

    // ---- statements, from the loop -------------------------------------------------------------

    /// <summary>Database-level statements running on this (read-only) session without a lease: they
    /// queue on its worker behind each other. Loop thread only.</summary>
    internal int SharedStatements;

    /// <summary>Whether a task holds this session through a <see cref="DatabaseConnection"/>. Loop thread only.</summary>
    internal bool Leased;

    internal ValueTask<T?> ScalarAsync<T>(string sql, object?[] args) =>
        Call(static (s, sql, args) => s.Scalar<T>((string)sql!, (object?[])args!), sql, args, interruptible: true);

    internal ValueTask<int> ExecuteAsync(string sql, object?[] args) =>
        Call(static (s, sql, args) => s.Execute((string)sql!, (object?[])args!), sql, args, interruptible: true);

    private ValueTask<SqliteBatch> OpenCursorAsync(string sql, object?[] args) =>
        Call(static (s, sql, args) => s.OpenCursor((string)sql!, (object?[])args!), sql, args, interruptible: true);

    /// <summary>All the rows of a query, read in one trip: the caller wants them all at once anyway, so
    /// the worker reads to the end instead of sending batches.</summary>
    internal ValueTask<List<DbRow>> FetchAsync(string sql, object?[] args) =>
        Call(static (s, sql, args) => s.FetchAll((string)sql!, (object?[])args!), sql, args, interruptible: true);

    internal async IAsyncEnumerable<DbRow> QueryAsync(string sql, object?[] args)
    {
        SqliteBatch batch = await OpenCursorAsync(sql, args);
        await foreach (DbRow row in Rows(batch))
        {
            yield return row;
        }
    }

    /// <summary>The rows of an open query, from its first batch on; leaving early closes the cursor.</summary>
    private async IAsyncEnumerable<DbRow> Rows(SqliteBatch batch)
    {
        try
        {
            while (true)
            {
                foreach (DbRow row in batch.Rows)
                {
                    yield return row;
                }

                if (batch.Cursor is not { } cursor)
                {
                    yield break;
                }

                batch = await Call(static (s, cursor, _) => s.Fetch((SqliteCursor)cursor!), cursor, null, interruptible: true);
            }
        }
        finally
        {
            if (batch.Cursor is { } open && !IsClosed)
            {
                await Call(static (s, cursor, _) => s.CloseCursor((SqliteCursor)cursor!), open, null, interruptible: false);
            }
        }
    }

    // ---- the work, on the worker thread ---------------------------------------------------------

    internal SqliteConnection Connection => _connection!;

    internal SqliteTransaction? CurrentTransaction => _transaction;

    private void OpenOnWorker(string connectionString, bool writeAheadLog, TimeSpan busyTimeout)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using (SqliteCommand pragma = connection.CreateCommand())
            {
                pragma.CommandText = $"PRAGMA busy_timeout = {(long)busyTimeout.TotalMilliseconds}";
                pragma.ExecuteNonQuery();
                if (writeAheadLog)
                {
                    pragma.CommandText = "PRAGMA journal_mode = WAL";
                    pragma.ExecuteNonQuery();
                }
            }
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        Volatile.Write(ref _connection, connection);
    }

    internal int Execute(string sql, object?[] args)
    {
        SqliteCommand command = Rent(sql, args);
        try
        {
            return command.ExecuteNonQuery();
        }
        finally
        {
            GiveBack(command);
        }
    }

    internal int ExecuteMany(string sql, IReadOnlyList<object?[]> rows)
    {
        if (rows.Count == 0)
        {
            return 0;
        }

        SqliteCommand command = Rent(sql, rows[0]);
        try
        {
            int changed = command.ExecuteNonQuery();
            for (int i = 1; i < rows.Count; i++)
            {
                Bind(command, rows[i]);
                changed += command.ExecuteNonQuery();
            }

            return changed;
        }
        finally
        {
            GiveBack(command);
        }
    }

    internal T? Scalar<T>(string sql, object?[] args)
    {
        SqliteCommand command = Rent(sql, args);
        try
        {
            return DbValues.To<T>(command.ExecuteScalar());
        }
        finally
        {
            GiveBack(command);
        }
    }

    internal SqliteBatch OpenCursor(string sql, object?[] args)
    {
        SqliteCommand command = Rent(sql, args);
        SqliteDataReader reader;
        try
        {
            reader = command.ExecuteReader();
        }
        catch
        {
            GiveBack(command);
            throw;
        }

        return Fetch(new SqliteCursor(command, reader));
    }

    internal List<DbRow> FetchAll(string sql, object?[] args)
    {
        SqliteCommand command = Rent(sql, args);
        try
        {
            using SqliteDataReader reader = command.ExecuteReader();
            var rows = new List<DbRow>();
            RowShape? shape = null;
            while (reader.Read())
            {
                rows.Add(DbRow.Read(reader, ref shape));
            }

            return rows;
        }
        finally
        {
            GiveBack(command);
        }
    }

    internal SqliteBatch Fetch(SqliteCursor cursor)
    {
        // The first batch grows as rows come (most queries return a row or a few); later ones are full.
        var rows = cursor.NextBatchSize == FirstBatchSize ? new List<DbRow>() : new List<DbRow>(cursor.NextBatchSize);
        try
        {
            while (rows.Count < cursor.NextBatchSize)
            {
                if (!cursor.Reader.Read())
                {
                    CloseCursor(cursor);
                    return new SqliteBatch(rows, null);
                }

                rows.Add(DbRow.Read(cursor.Reader, ref cursor.Shape));
            }
        }
        catch
        {
            CloseCursor(cursor);
            throw;
        }

        cursor.NextBatchSize = Math.Min(cursor.NextBatchSize * 2, LargestBatchSize);
        return new SqliteBatch(rows, cursor);
    }

    internal bool CloseCursor(SqliteCursor cursor)
    {
        if (!cursor.Closed)
        {
            cursor.Closed = true;
            cursor.Reader.Dispose();
            GiveBack(cursor.Command);
        }

        return true;
    }

    internal bool Begin(bool readOnly)
    {
        // A writer takes the write lock at BEGIN (IMMEDIATE), so that two writers never both read and
        // then deadlock upgrading; a reader cannot take it and begins deferred.
        _transaction = _connection!.BeginTransaction(deferred: readOnly);
        return true;
    }

    internal bool Commit()
    {
        SqliteTransaction transaction = _transaction ?? throw new InvalidOperationException("No transaction is open.");
        _transaction = null;
        try
        {
            transaction.Commit();
        }
        finally
        {
            transaction.Dispose();
        }

        return true;
    }

    internal bool Rollback()
    {
        SqliteTransaction? transaction = _transaction;
        _transaction = null;
        if (transaction is null)
        {
            return false;
        }

        // An interrupted INSERT, UPDATE or DELETE inside a transaction rolls the whole transaction back
        // (SQLite's rule): then there is nothing left to roll back, and ROLLBACK would fail.
        if (raw.sqlite3_get_autocommit(_connection!.Handle) == 0)
        {
            transaction.Rollback();
        }

        transaction.Dispose();
        return true;
    }

    internal bool CloseOnWorker()
    {
        Rollback();
        foreach (SqliteCommand command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        SqliteConnection? connection = _connection;
        Volatile.Write(ref _connection, null);
        connection?.Dispose();
        return true;
    }

    /// <summary>A prepared command for <paramref name="sql"/>, bound to <paramref name="args"/> and the
    /// open transaction; taken out of the cache while in use, so an open cursor keeps its own.</summary>
    private SqliteCommand Rent(string sql, object?[] args)
    {
        if (!_commands.Remove(sql, out SqliteCommand? command))
        {
            command = _connection!.CreateCommand();
            command.CommandText = sql;
        }

        command.Transaction = _transaction;
        Bind(command, args);
        return command;
    }

    private void GiveBack(SqliteCommand command)
    {
        if (_commands.Count < CachedCommands && _commands.TryAdd(command.CommandText, command))
        {
            return;
        }

        command.Dispose();
    }

    private static void Bind(SqliteCommand command, object?[] args)
    {
        SqliteParameterCollection parameters = command.Parameters;
        while (parameters.Count > args.Length)
        {
            parameters.RemoveAt(parameters.Count - 1);
        }

        for (int i = 0; i < args.Length; i++)
        {
            object value = args[i] ?? DBNull.Value;
            if (i < parameters.Count)
            {
                parameters[i].Value = value;
            }
            else
            {
                parameters.AddWithValue(i < s_parameterNames.Length ? s_parameterNames[i] : "$" + (i + 1), value);
            }
        }
    }

    // ---- closing --------------------------------------------------------------------------------

    /// <summary>Closes the connection on its thread, then ends the thread.</summary>
    internal async Coroutine CloseAsync()
    {
        if (IsClosed)
        {
            return;
        }

        try
        {
            await RunToEndAsync(static s => s.CloseOnWorker());
        }
        finally
        {
            IsClosed = true;

            // The worker is idle now (its last item reported back before this resumed), so the join is
            // a matter of microseconds; waiting means no thread outlives the close.
            _worker.Shutdown(wait: true);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => "a SQLite connection on its worker thread";
}
