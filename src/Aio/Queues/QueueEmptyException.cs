namespace Aio.Queues;

/// <summary><c>GetNowait</c> found the queue empty; asyncio's <c>QueueEmpty</c>.</summary>
public sealed class QueueEmptyException : Exception
{
    /// <summary>Creates the exception with the default message.</summary>
    public QueueEmptyException()
        : base("The queue is empty.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public QueueEmptyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public QueueEmptyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
