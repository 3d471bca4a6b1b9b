using System.Runtime.InteropServices;

namespace Aio;

/// <summary>What <see cref="AsyncIO.Run(Coroutine, EventLoopOptions?)"/> does, as asyncio's <c>Runner</c>.</summary>
internal static class Runner
{
    internal static TResult Run<TResult>(EventLoopOptions? options, Func<EventLoop, AioTask> spawn, Func<AioTask, TResult> result)
    {
        if (EventLoop.Current is not null)
        {
            throw new InvalidOperationException("AsyncIO.Run() cannot be called from a running event loop.");
        }

        var loop = new EventLoop(options);
        PosixSignalRegistration? interrupt = null;
        try
        {
            AioTask main = spawn(loop);
            int interrupts = 0;
            if (loop.Options.HandleInterrupt)
            {
                interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
                {
                    if (loop.HasInterruptHandler)
                    {
                        // The application handles SIGINT itself (add_signal_handler replaces the
                        // runner's handler in asyncio): step aside.
                        return;
                    }

                    if (Interlocked.Increment(ref interrupts) == 1)
                    {
                        // First Ctrl+C: cancel the main task and let it clean up.
                        context.Cancel = true;
                        loop.EnqueueFromAnyThread(static (t, _) => ((AioTask)t!).Cancel(), main, null);
                    }

                    // A second Ctrl+C keeps the default action: the process ends.
                });
            }

            try
            {
                loop.RunUntilComplete((Future)main);
            }
            catch (OperationCanceledException) when (Volatile.Read(ref interrupts) > 0 && main.IsCancelled)
            {
                if (main.Uncancel() == 0)
                {
                    throw new KeyboardInterruptException();
                }

                throw;
            }

            return result(main);
        }
        finally
        {
            interrupt?.Dispose();
            try
            {
                ShutDown(loop);
            }
            finally
            {
                loop.Close();
            }
        }
    }

    /// <summary>What happens between the main task's end and closing the loop: every task still alive is
    /// cancelled and awaited, then the default executor is shut down. Shared with <see cref="LoopGroup"/>,
    /// whose loops end the same way.</summary>
    internal static void ShutDown(EventLoop loop)
    {
        CancelAllTasks(loop);
        loop.RunUntilComplete(loop.ShutdownDefaultExecutor());
    }

    /// <summary>Cancels every live task, waits for them, and reports the ones that failed instead of
    /// ending cancelled; asyncio's <c>_cancel_all_tasks</c>.</summary>
    private static void CancelAllTasks(EventLoop loop)
    {
        IReadOnlyList<AioTask> tasks = loop.AllTasks();
        if (tasks.Count == 0)
        {
            return;
        }

        foreach (AioTask task in tasks)
        {
            task.Cancel();
        }

        Future gather = GatheringFuture<Outcome[]>.Start(loop, tasks.ToArray<Future>(), returnExceptions: true, GatherResults.Outcomes);
        loop.RunUntilComplete(gather);
        foreach (AioTask task in tasks)
        {
            if (task.IsCancelled)
            {
                continue;
            }

            if (task.Exception is { } exception)
            {
                loop.CallExceptionHandler(new LoopExceptionContext("Unhandled exception during AsyncIO.Run() shutdown", exception)
                {
                    Task = task,
                });
            }
        }
    }
}
