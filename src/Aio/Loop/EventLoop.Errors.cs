using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Aio;

public sealed partial class EventLoop
{
    private static readonly Lock s_stderrLock = new();

    private readonly ConcurrentQueue<LoopExceptionContext> _faultReports = new();

    /// <summary>Set after a report is queued, so each iteration checks a flag instead of the queue.</summary>
    private int _faultReportsQueued;
    private LoopExceptionHandler? _exceptionHandler;
    private int _armedFaults;

    /// <summary>
    /// Sets the handler that receives every exception nothing else caught — a failing callback, a task
    /// exception never retrieved; asyncio's <c>set_exception_handler</c>. Null restores the default
    /// handler, which logs through the <see cref="EventLoopOptions.Logger"/> or writes to standard error.
    /// </summary>
    /// <param name="handler">The handler, or null.</param>
    /// <remarks>Loop thread only. The loop keeps running after the handler returns.</remarks>
    public void SetExceptionHandler(LoopExceptionHandler? handler)
    {
        CheckThread();
        _exceptionHandler = handler;
    }

    /// <summary>The handler set with <see cref="SetExceptionHandler"/>, or null for the default one.</summary>
    /// <returns>The handler.</returns>
    public LoopExceptionHandler? GetExceptionHandler() => _exceptionHandler;

    /// <summary>Passes <paramref name="context"/> to the exception handler; asyncio's
    /// <c>call_exception_handler</c>. If a custom handler throws, the default handler reports both.</summary>
    /// <param name="context">What happened.</param>
    /// <remarks>Loop thread only.</remarks>
    public void CallExceptionHandler(LoopExceptionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        LoopExceptionHandler? handler = _exceptionHandler;
        if (handler is null)
        {
            DefaultExceptionHandler(context);
            return;
        }

        try
        {
            using (new PlainCallbackScope(this))
            {
                handler(this, context);
            }
        }
        catch (Exception ex)
        {
            // One report, carrying what the handler was given, as asyncio does.
            DefaultExceptionHandler(new LoopExceptionContext("Unhandled error in exception handler", ex) { HandlerContext = context });
        }
    }

    /// <summary>The default exception handler: logs <paramref name="context"/> at its
    /// <see cref="LoopExceptionContext.Level"/> through the configured <see cref="ILogger"/>, or writes it
    /// to standard error; asyncio's <c>default_exception_handler</c>.</summary>
    /// <param name="context">What happened.</param>
    /// <remarks>Any thread.</remarks>
    public void DefaultExceptionHandler(LoopExceptionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_logger is not null)
        {
            try
            {
                _logger.Log(context.Level, context.Exception, "{AioLoopError}", Describe(context));
                return;
            }
            catch (Exception)
            {
                // A broken logger must not take the loop down; fall back to stderr.
            }
        }

        WriteToStandardError(context);
    }

    internal static void WriteToStandardError(LoopExceptionContext context)
    {
        lock (s_stderrLock)
        {
            Console.Error.WriteLine("[aio] " + context);
        }
    }

    private static string Describe(LoopExceptionContext context)
    {
        // The exception goes to the logger separately; the message carries the rest.
        var withoutException = new LoopExceptionContext(context.Message)
        {
            Future = context.Future,
            Task = context.Task,
            Callback = context.Callback,
            HandlerContext = context.HandlerContext,
            CreationStackTrace = context.CreationStackTrace,
        };
        return withoutException.ToString();
    }

    /// <summary>Reports an exception that escaped a callback; the loop goes on.</summary>
    internal void ReportCallbackException(Exception exception, Delegate callback, object? state)
    {
        CallExceptionHandler(new LoopExceptionContext("Exception in callback " + DescribeCallback(callback, state), exception)
        {
            Callback = DescribeCallback(callback, state),
            Future = state as Future,
        });
    }

    private static string DescribeCallback(Delegate callback, object? state)
    {
        Delegate target = state is Delegate d && callback.Method.DeclaringType?.Assembly == typeof(EventLoop).Assembly ? d : callback;
        return (target.Method.DeclaringType?.FullName ?? "?") + "." + target.Method.Name;
    }

    /// <summary>Queues a report for the exception handler from any thread (the finalizer thread, for a
    /// fault nobody retrieved).</summary>
    internal void ReportFromAnyThread(LoopExceptionContext context)
    {
        if (_closed)
        {
            DefaultExceptionHandler(context);
            return;
        }

        _faultReports.Enqueue(context);
        Volatile.Write(ref _faultReportsQueued, 1);
        if (_closed)
        {
            // Close may have drained the queue between our check above and the enqueue: report here.
            while (_faultReports.TryDequeue(out LoopExceptionContext? late))
            {
                DefaultExceptionHandler(late);
            }

            return;
        }

        RequestWakeUp();
    }

    internal void OnFaultArmed() => Interlocked.Increment(ref _armedFaults);

    internal void OnFaultDisarmed() => Interlocked.Decrement(ref _armedFaults);

    private void DrainFaultReports()
    {
        // The exchange is a full fence: a report queued after it sets the flag again, so none waits
        // beyond the next iteration.
        if (Volatile.Read(ref _faultReportsQueued) == 0 || Interlocked.Exchange(ref _faultReportsQueued, 0) == 0)
        {
            return;
        }

        while (_faultReports.TryDequeue(out LoopExceptionContext? context))
        {
            CallExceptionHandler(context);
        }
    }

    /// <summary>
    /// At close, make sure no exception is silently lost: if some failed future was never looked at,
    /// collect garbage so the ones nobody can reach any more are reported now, through this loop's handler.
    /// </summary>
    private void FlushUnobservedFaults()
    {
        if (Volatile.Read(ref _armedFaults) > 0)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        DrainFaultReports();
    }
}
