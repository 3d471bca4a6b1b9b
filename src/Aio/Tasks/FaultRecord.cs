using System.Runtime.ExceptionServices;

namespace Aio;

/// <summary>The exception a future failed with, kept so that rethrowing it preserves its stack trace.</summary>
/// <remarks>
/// A subclass, <see cref="UnobservedFaultRecord"/>, also watches whether anyone ever looked at the
/// exception, for asyncio's "exception was never retrieved" report.
/// </remarks>
internal class FaultRecord
{
    internal FaultRecord(Exception exception)
    {
        Info = ExceptionDispatchInfo.Capture(exception);
    }

    /// <summary>The captured exception.</summary>
    internal ExceptionDispatchInfo Info { get; }

    /// <summary>The exception itself.</summary>
    internal Exception Exception => Info.SourceException;

    /// <summary>Records that the exception was seen by user code; idempotent.</summary>
    internal virtual void MarkObserved()
    {
    }
}

/// <summary>A fault that is reported to the loop's exception handler if it is garbage-collected before
/// anyone retrieved it — .NET's equivalent of the check asyncio runs in <c>Future.__del__</c>.</summary>
/// <remarks>
/// Only this small object is finalizable, and only failed futures create one, so successful tasks pay
/// nothing for the check. The record references its future (for the name and creation site in the
/// report); the cycle is collected as a whole.
/// </remarks>
internal sealed class UnobservedFaultRecord : FaultRecord
{
    private readonly Future _future;

    /// <summary>Debug mode: where the future was created, copied now while the future is alive (the
    /// loop's table of origins may have let go of it by the time the finalizer runs).</summary>
    private readonly System.Diagnostics.StackTrace? _origin;
    private int _observed;

    internal UnobservedFaultRecord(Exception exception, Future future)
        : base(exception)
    {
        _future = future;
        if (future.LoopOrNull is { } loop)
        {
            loop.OnFaultArmed();
            if (loop.Debug)
            {
                _origin = loop.OriginOf(future);
            }
        }
    }

    /// <inheritdoc/>
    internal override void MarkObserved()
    {
        if (Interlocked.Exchange(ref _observed, 1) == 0)
        {
            GC.SuppressFinalize(this);
            _future.LoopOrNull?.OnFaultDisarmed();
        }
    }

    ~UnobservedFaultRecord()
    {
        if (Volatile.Read(ref _observed) != 0)
        {
            return;
        }

        try
        {
            Report();
        }
        catch (Exception)
        {
            // An exception escaping a finalizer ends the process; a report that cannot be made (a broken
            // logger, an exception whose ToString throws) must not.
        }
    }

    private void Report()
    {
        EventLoop? loop = _future.LoopOrNull;
        var context = new LoopExceptionContext(
            _future is AioTask ? "Task exception was never retrieved" : "Future exception was never retrieved",
            Exception)
        {
            Future = _future,
            CreationStackTrace = _origin,
        };
        if (loop is not null)
        {
            loop.OnFaultDisarmed();
            loop.ReportFromAnyThread(context);
        }
        else
        {
            EventLoop.WriteToStandardError(context);
        }
    }
}
