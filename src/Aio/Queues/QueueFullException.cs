namespace Aio.Queues;

/// <summary><c>PutNowait</c> found the queue full; asyncio's <c>QueueFull</c>.</summary>
public sealed class QueueFullException : Exception
{
    /// <summary>Creates the exception with the default message.</summary>
    public QueueFullException()
        : base("The queue is full.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public QueueFullException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public QueueFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
