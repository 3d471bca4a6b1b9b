namespace Aio;

/// <summary>
/// Thrown by <see cref="AsyncIO.Run(Coroutine, EventLoopOptions?)"/> when Ctrl+C (SIGINT) cancelled the main
/// task and the main task ended as cancelled — asyncio's <c>KeyboardInterrupt</c> after a clean shutdown:
/// every task was cancelled and awaited, the loop closed. Catch it in <c>Main</c> and return 130.
/// </summary>
public sealed class KeyboardInterruptException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KeyboardInterruptException()
        : base("Interrupted (SIGINT): the main task was cancelled and the loop shut down cleanly.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public KeyboardInterruptException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public KeyboardInterruptException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
