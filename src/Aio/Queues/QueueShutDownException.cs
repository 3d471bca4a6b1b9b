namespace Aio.Queues;

/// <summary>The queue was shut down: puts fail, and gets fail once it is empty (at once after an immediate shutdown); asyncio's <c>QueueShutDown</c>.</summary>
public sealed class QueueShutDownException : Exception
{
    /// <summary>Creates the exception with the default message.</summary>
    public QueueShutDownException()
        : base("The queue is shut down.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public QueueShutDownException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public QueueShutDownException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
