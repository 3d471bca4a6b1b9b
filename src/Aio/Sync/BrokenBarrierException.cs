namespace Aio.Sync;

/// <summary>An <see cref="AsyncBarrier"/> was aborted or reset while tasks waited at it; asyncio's
/// <c>BrokenBarrierError</c>.</summary>
public sealed class BrokenBarrierException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public BrokenBarrierException()
        : base("The barrier is broken.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public BrokenBarrierException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public BrokenBarrierException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
