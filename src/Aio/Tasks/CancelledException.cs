namespace Aio;

/// <summary>
/// Thrown into a coroutine when its task is cancelled, and by awaiting a cancelled task or future;
/// asyncio's <c>CancelledError</c>.
/// </summary>
/// <remarks>
/// It derives from <see cref="OperationCanceledException"/>, so code written for .NET's cancellation
/// (<c>catch (OperationCanceledException)</c>) treats it as cancellation. Catching it and carrying on is
/// allowed, as in asyncio; call <see cref="AioTask.Uncancel"/> when you do, so that timeouts and task
/// groups around you can tell their cancellation from yours.
/// </remarks>
public sealed class CancelledException : OperationCanceledException
{
    private const string DefaultMessage = "The task was cancelled.";

    /// <summary>Creates the exception with the default message.</summary>
    public CancelledException()
        : base(DefaultMessage)
    {
    }

    /// <summary>Creates the exception with the message given to <see cref="Future.Cancel"/>.</summary>
    /// <param name="message">The cancel message, or null for the default one.</param>
    public CancelledException(string? message)
        : base(message ?? DefaultMessage)
    {
        CancelMessage = message;
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">The cancel message, or null for the default one.</param>
    /// <param name="innerException">The exception that caused the cancellation.</param>
    public CancelledException(string? message, Exception? innerException)
        : base(message ?? DefaultMessage, innerException)
    {
        CancelMessage = message;
    }

    /// <summary>The message passed to <see cref="Future.Cancel"/>, or null when none was given.</summary>
    public string? CancelMessage { get; }
}
