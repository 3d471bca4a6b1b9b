namespace Aio;

/// <summary>When <see cref="AsyncIO.Wait{TFuture}(IEnumerable{TFuture}, double?, WaitMode)"/> returns;
/// asyncio's <c>return_when</c>.</summary>
public enum WaitMode
{
    /// <summary>When every future is done, or the timeout passed; asyncio's <c>ALL_COMPLETED</c>.</summary>
    AllCompleted,

    /// <summary>When any future is done; asyncio's <c>FIRST_COMPLETED</c>.</summary>
    FirstCompleted,

    /// <summary>When any future fails with an exception, or all are done; asyncio's <c>FIRST_EXCEPTION</c>.</summary>
    FirstException,
}
