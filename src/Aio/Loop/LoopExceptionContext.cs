using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Aio;

/// <summary>
/// What the loop's exception handler receives: asyncio's <c>context</c> dictionary, with typed members.
/// </summary>
public sealed class LoopExceptionContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="message">What happened, for a human.</param>
    /// <param name="exception">The exception, if one was caught.</param>
    public LoopExceptionContext(string message, Exception? exception = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        Message = message;
        Exception = exception;
    }

    /// <summary>What happened, for a human ("Task exception was never retrieved", "Exception in callback …").</summary>
    public string Message { get; }

    /// <summary>The exception, if any.</summary>
    public Exception? Exception { get; }

    /// <summary>The future (or task) concerned, if any.</summary>
    public Future? Future { get; init; }

    /// <summary>The task concerned, if any (a task group's failed child, say).</summary>
    public AioTask? Task { get; init; }

    /// <summary>A description of the callback that failed, if the error came from one.</summary>
    public string? Callback { get; init; }

    /// <summary>For "Unhandled error in exception handler": the context the failing handler received.</summary>
    public LoopExceptionContext? HandlerContext { get; init; }

    /// <summary>How serious it is: <see cref="LogLevel.Error"/> for exceptions (the default),
    /// <see cref="LogLevel.Warning"/> for what debug mode finds — a slow callback, a coroutine never
    /// awaited, a resource still open at close. The default handler logs at this level.</summary>
    public LogLevel Level { get; init; } = LogLevel.Error;

    /// <summary>For a slow-callback report: how long the callback or task step held the loop.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>In debug mode: where the task, future, coroutine or resource concerned was created;
    /// asyncio's <c>source_traceback</c>.</summary>
    public StackTrace? CreationStackTrace { get; init; }

    /// <summary>The message followed by every detail, as the default handler prints it.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var text = new StringBuilder(Message);
        if (Task is not null)
        {
            text.Append("\n  task: ").Append(Task);
        }

        if (Future is not null && !ReferenceEquals(Future, Task))
        {
            text.Append(Future is AioTask ? "\n  task: " : "\n  future: ").Append(Future);
        }

        if (Callback is not null)
        {
            text.Append("\n  callback: ").Append(Callback);
        }

        if (HandlerContext is not null)
        {
            text.Append("\n  while handling: ").Append(HandlerContext.ToString().Replace("\n", "\n  ", StringComparison.Ordinal));
        }

        if (CreationStackTrace is not null)
        {
            text.Append("\n  created at:\n").Append(CreationStackTrace.ToString().TrimEnd());
        }

        if (Exception is not null)
        {
            text.Append('\n').Append(Exception);
        }

        return text.ToString();
    }
}
