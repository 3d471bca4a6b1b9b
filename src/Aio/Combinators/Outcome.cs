namespace Aio;

/// <summary>How one awaitable of <see cref="AsyncIO.GatherReturnExceptions(Future[])"/> ended: success, or
/// the exception (a <see cref="CancelledException"/> when it was cancelled) — the item asyncio puts in
/// gather's result list with <c>return_exceptions=True</c>.</summary>
public readonly struct Outcome
{
    internal Outcome(Exception? exception)
    {
        Exception = exception;
    }

    /// <summary>The exception, or null on success.</summary>
    public Exception? Exception { get; }

    /// <summary>Whether it succeeded.</summary>
    public bool IsSuccess => Exception is null;

    /// <summary>Whether it was cancelled.</summary>
    public bool IsCancelled => Exception is OperationCanceledException;

    /// <summary>"ok", or the exception's type and message.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Exception is null ? "ok" : $"{Exception.GetType().Name}({Exception.Message})";
}
