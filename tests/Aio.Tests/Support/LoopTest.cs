using System.Runtime.CompilerServices;

namespace Aio.Tests.Support;

/// <summary>
/// Runs a test body as the main task of a fresh event loop, then proves the loop was left clean: no live
/// task, no pending callback or timer, no watched descriptor, no signal handler, no executor call in
/// flight, and no exception reported to the handler unless the test expected it.
/// </summary>
public static class LoopTest
{
    /// <summary>Runs <paramref name="body"/> and checks the loop afterwards.</summary>
    public static void Run(Func<EventLoop, Coroutine> body, bool allowHandlerReports = false, EventLoopOptions? options = null)
    {
        Run<object?>(async loop =>
        {
            await body(loop);
            return null;
        }, allowHandlerReports, options);
    }

    /// <summary>Runs <paramref name="body"/>, checks the loop afterwards, and returns the body's result.</summary>
    public static T Run<T>(Func<EventLoop, Coroutine<T>> body, bool allowHandlerReports = false, EventLoopOptions? options = null)
    {
        var reports = new List<LoopExceptionContext>();
        var loop = new EventLoop(options);
        try
        {
            loop.SetExceptionHandler((_, context) => reports.Add(context));
            AioTask<T> main = loop.CreateTask(body(loop), "test-main");
            T result = loop.RunUntilComplete(main);

            // Let callbacks scheduled by the last completions run (asyncio stops right after the main
            // future completes, leaving them queued).
            loop.RunUntilComplete(Settle());
            LoopResources left = loop.GetResources();
            Assert.True(left.IsEmpty, $"The test left resources on its loop: {left}");

            // Closing reports failures nobody retrieved (through the handler set above), so check after.
            loop.Close();
            if (!allowHandlerReports)
            {
                Assert.True(reports.Count == 0, "Unexpected exception handler reports:\n" + string.Join("\n", reports));
            }

            return result;
        }
        finally
        {
            loop.Close();
        }
    }

    private static async Coroutine Settle()
    {
        for (int i = 0; i < 3; i++)
        {
            await AsyncIO.Sleep(0);
        }
    }

    /// <summary>Fails the test if <paramref name="action"/> does not finish within <paramref name="seconds"/>
    /// of wall time (a guard against hangs, not a timing assertion).</summary>
    public static void WithinSeconds(double seconds, Action action, [CallerMemberName] string name = "")
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        })
        { IsBackground = true, Name = name };
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(seconds)), $"{name} did not finish within {seconds} s");
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }
}
