namespace Aio.Data;

/// <summary>
/// A transaction open on a <see cref="DatabaseConnection"/>: commit it, roll it back, or dispose it —
/// disposing one that was neither committed nor rolled back rolls it back, so
/// <c>await using var tx = await conn.BeginTransactionAsync();</c> is safe when an exception or a
/// cancellation leaves the block.
/// </summary>
public sealed class DatabaseTransaction : IAsyncDisposable
{
    internal DatabaseTransaction(DatabaseConnection connection)
    {
        Connection = connection;
    }

    /// <summary>The connection it runs on.</summary>
    public DatabaseConnection Connection { get; }

    /// <summary>Whether it was committed or rolled back.</summary>
    public bool IsCompleted { get; private set; }

    /// <summary>Commits.</summary>
    /// <returns>A coroutine that ends when the commit is durable.</returns>
    /// <exception cref="InvalidOperationException">It already ended.</exception>
    public async Coroutine CommitAsync()
    {
        End();
        await Connection.CommitCoreAsync();
    }

    /// <summary>Rolls back.</summary>
    /// <returns>A coroutine that ends when the rollback is done.</returns>
    /// <exception cref="InvalidOperationException">It already ended.</exception>
    public async Coroutine RollbackAsync()
    {
        End();
        await Connection.RollbackCoreAsync();
    }

    /// <summary>Rolls back unless it already ended.</summary>
    /// <returns>A task that completes when the rollback is done.</returns>
    public async ValueTask DisposeAsync()
    {
        if (!IsCompleted)
        {
            IsCompleted = true;
            await Connection.RollbackCoreAsync();
        }
    }

    private void End()
    {
        if (IsCompleted)
        {
            throw new InvalidOperationException("The transaction already ended.");
        }

        IsCompleted = true;
    }
}
