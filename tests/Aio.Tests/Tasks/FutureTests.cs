using Aio.Tests.Support;

namespace Aio.Tests.Tasks;

public sealed class FutureTests
{
    // ---- state machine --------------------------------------------------------------------------

    [Fact]
    public void CreateFuture_New_PendingAndResultAndExceptionThrowInvalidOperation()
    {
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            await AsyncIO.Sleep(0);

            Assert.False(future.IsDone);
            Assert.False(future.IsCancelled);
            Assert.False(future.IsCompletedSuccessfully);
            Assert.False(future.IsFaulted);
            Assert.Throws<InvalidOperationException>(() => future.Result);
            Assert.Throws<InvalidOperationException>(() => future.Exception);
            Assert.Contains("pending", future.ToString(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public void SetResult_Pending_CompletesWithTheValue()
    {
        Guarded.Run(async loop =>
        {
            Future<string> future = loop.CreateFuture<string>();
            future.SetResult("value");
            await AsyncIO.Sleep(0);

            Assert.True(future.IsDone);
            Assert.True(future.IsCompletedSuccessfully);
            Assert.False(future.IsCancelled);
            Assert.False(future.IsFaulted);
            Assert.Equal("value", future.Result);
            Assert.Null(future.Exception);
        });
    }

    [Fact]
    public void SetResult_AlreadyDone_ThrowsInvalidOperationAndKeepsTheFirstResult()
    {
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            future.SetResult(1);

            Assert.Throws<InvalidOperationException>(() => future.SetResult(2));
            Assert.Throws<InvalidOperationException>(() => future.SetException(new InvalidOperationException("late")));
            Assert.False(future.TrySetResult(3));
            Assert.False(future.TrySetException(new InvalidOperationException("late")));
            Assert.False(future.Cancel());
            await AsyncIO.Sleep(0);

            Assert.True(future.IsCompletedSuccessfully);
            Assert.Equal(1, future.Result);
        });
    }

    [Fact]
    public void SetException_Pending_ResultAndExceptionGiveTheSameException()
    {
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            var error = new InvalidOperationException("boom");
            future.SetException(error);
            await AsyncIO.Sleep(0);

            Assert.True(future.IsDone);
            Assert.True(future.IsFaulted);
            Assert.False(future.IsCompletedSuccessfully);
            Assert.False(future.IsCancelled);
            Assert.Same(error, future.Exception);
            Assert.Same(error, Assert.Throws<InvalidOperationException>(() => future.Result));
            Assert.Throws<InvalidOperationException>(() => future.SetResult(1));
        });
    }

    [Fact]
    public void Cancel_Pending_CancelledAndResultAndExceptionThrowCancelledWithMessage()
    {
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            Assert.True(future.Cancel("no longer needed"));
            await AsyncIO.Sleep(0);

            Assert.True(future.IsDone);
            Assert.True(future.IsCancelled);
            Assert.False(future.IsCompletedSuccessfully);
            Assert.False(future.IsFaulted);
            Assert.Equal("no longer needed", Assert.Throws<CancelledException>(() => future.Result).CancelMessage);
            Assert.Equal("no longer needed", Assert.Throws<CancelledException>(() => future.Exception).CancelMessage);
            Assert.False(future.Cancel("again"));
            Assert.Throws<InvalidOperationException>(() => future.SetResult(1));
            Assert.False(future.TrySetResult(1));
        });
    }

    [Fact]
    public void Cancel_WithoutMessage_CancelMessageIsNull()
    {
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            future.Cancel();
            CancelledException error = await AwaitAssert.Cancelled(future);
            Assert.Null(error.CancelMessage);
        });
    }

    [Fact]
    public void TrySetException_CancelledException_CancelsTheFuture()
    {
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            Assert.True(future.TrySetException(new CancelledException("via exception")));
            await AsyncIO.Sleep(0);

            Assert.True(future.IsCancelled);
            Assert.False(future.IsFaulted);
            Assert.Equal("via exception", Assert.Throws<CancelledException>(() => future.Result).CancelMessage);
        });
    }

    // ---- done callbacks -------------------------------------------------------------------------

    [Fact]
    public void AddDoneCallback_SeveralCallbacks_ScheduledNotInlineAndRunInOrderWithTheFuture()
    {
        var calls = new List<(string Name, Future Future)>();
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            future.AddDoneCallback(f => calls.Add(("a", f)));
            future.AddDoneCallback(f => calls.Add(("b", f)));
            future.AddDoneCallback(f => calls.Add(("c", f)));

            future.SetResult(7);
            Assert.Empty(calls);

            await AsyncIO.Sleep(0);
            Assert.Equal(["a", "b", "c"], calls.Select(c => c.Name));
            Assert.All(calls, c => Assert.Same(future, c.Future));
        });
    }

    [Fact]
    public void SetResult_WithDoneCallbacks_CallbacksQueueBehindCallbacksScheduledBefore()
    {
        var order = new List<string>();
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            future.AddDoneCallback(_ => order.Add("done-1"));
            future.AddDoneCallback(_ => order.Add("done-2"));
            loop.CallSoon(() => order.Add("before"));
            future.SetResult(1);
            loop.CallSoon(() => order.Add("after"));
            await AsyncIO.Sleep(0);
        });
        Assert.Equal(["before", "done-1", "done-2", "after"], order);
    }

    [Fact]
    public void AddDoneCallback_FutureAlreadyDone_ScheduledNotRunInline()
    {
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            future.SetResult(1);
            await AsyncIO.Sleep(0);

            int calls = 0;
            future.AddDoneCallback(_ => calls++);
            Assert.Equal(0, calls);
            await AsyncIO.Sleep(0);
            Assert.Equal(1, calls);
        });
    }

    [Fact]
    public void AddDoneCallback_FutureCancelled_CallbackRuns()
    {
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            bool sawCancelled = false;
            future.AddDoneCallback(f => sawCancelled = f.IsCancelled);
            future.Cancel();
            await AsyncIO.Sleep(0);
            Assert.True(sawCancelled);
        });
    }

    [Fact]
    public void RemoveDoneCallback_RegisteredTwice_ReturnsTwoAndOnlyOtherCallbacksRun()
    {
        var order = new List<string>();
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            Action<Future> removed = _ => order.Add("removed");
            future.AddDoneCallback(removed);
            future.AddDoneCallback(_ => order.Add("kept"));
            future.AddDoneCallback(removed);

            Assert.Equal(2, future.RemoveDoneCallback(removed));
            Assert.Equal(0, future.RemoveDoneCallback(removed));

            future.SetResult(1);
            await AsyncIO.Sleep(0);
        });
        Assert.Equal(["kept"], order);
    }

    [Fact]
    public void RemoveDoneCallback_OnlyCallback_ReturnsOneAndItNeverRuns()
    {
        int calls = 0;
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            Action<Future> callback = _ => calls++;
            future.AddDoneCallback(callback);

            Assert.Equal(1, future.RemoveDoneCallback(callback));

            future.SetResult(1);
            await AsyncIO.Sleep(0);
        });
        Assert.Equal(0, calls);
    }

    [Fact]
    public void RemoveDoneCallback_NeverRegistered_ReturnsZeroAndKeepsOthers()
    {
        int calls = 0;
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            future.AddDoneCallback(_ => calls++);

            Assert.Equal(0, future.RemoveDoneCallback(_ => { }));

            future.SetResult(1);
            await AsyncIO.Sleep(0);
        });
        Assert.Equal(1, calls);
    }

    [Fact]
    public void AddDoneCallback_CallbackThrows_ReportedToHandlerAndLaterCallbacksStillRun()
    {
        var reports = new List<LoopExceptionContext>();
        var error = new InvalidOperationException("callback failed");
        bool laterRan = false;
        Guarded.Run(
            async loop =>
            {
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                Future<int> future = loop.CreateFuture<int>();
                future.AddDoneCallback(_ => throw error);
                future.AddDoneCallback(_ => laterRan = true);
                future.SetResult(1);
                await AsyncIO.Sleep(0);
            },
            allowHandlerReports: true);

        Assert.True(laterRan);
        Assert.Same(error, Assert.Single(reports).Exception);
    }

    // ---- awaiting -------------------------------------------------------------------------------

    [Fact]
    public void Await_FutureCompletedByLaterCallback_ReturnsTheResult()
    {
        int result = Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            loop.CallLater(0.005, () => future.SetResult(42));
            return await future;
        });
        Assert.Equal(42, result);
    }

    [Fact]
    public void Await_NonGenericViewOfCompletedFuture_Completes()
    {
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            loop.CallSoon(() => future.SetResult(1));
            Future untyped = future;
            await untyped;
            Assert.True(future.IsCompletedSuccessfully);
        });
    }

    [Fact]
    public void Await_FutureFailedLater_ThrowsTheSameException()
    {
        var error = new InvalidOperationException("boom");
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            loop.CallSoon(() => future.SetException(error));
            Assert.Same(error, await AwaitAssert.Throws<InvalidOperationException>(future));
        });
    }

    [Fact]
    public void Await_FutureCancelledLater_ThrowsCancelledWithMessage()
    {
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            loop.CallSoon(() => future.Cancel("gone"));
            CancelledException error = await AwaitAssert.Cancelled(future);
            Assert.Equal("gone", error.CancelMessage);
            Assert.False(AsyncIO.CurrentTask!.IsCancelled);
            Assert.Equal(0, AsyncIO.CurrentTask!.Cancelling);
        });
    }

    [Fact]
    public void Await_FutureAlreadyDone_ContinuesWithoutYielding()
    {
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            future.SetResult(5);
            bool callbackRan = false;
            loop.CallSoon(() => callbackRan = true);

            int value = await future;

            Assert.Equal(5, value);
            Assert.False(callbackRan);
            await AsyncIO.Sleep(0);
            Assert.True(callbackRan);
        });
    }

    [Fact]
    public void Await_SameFutureFromSeveralTasks_EveryoneGetsTheResult()
    {
        int[] results = Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            AioTask<int> a = AsyncIO.CreateTask(Read(future));
            AioTask<int> b = AsyncIO.CreateTask(Read(future));
            await AsyncIO.Sleep(0);
            future.SetResult(3);
            return new[] { await a, await b };
        });
        Assert.Equal([3, 3], results);

        static async Coroutine<int> Read(Future<int> future) => await future;
    }

    // ---- AsTask ---------------------------------------------------------------------------------

    [Fact]
    public void AsTask_FromAnotherThreadThenCompletedOnLoop_DotNetTaskCompletesWithResult()
    {
        Guarded.Run(async loop =>
        {
            int loopThread = Environment.CurrentManagedThreadId;
            Future<int> future = loop.CreateFuture<int>();

            // Requested and awaited off the loop thread: the case AsTask exists for.
            Task<(int Value, int Thread)> observer = Task.Run(async () =>
            {
                int thread = Environment.CurrentManagedThreadId;
                return (await future.AsTask().ConfigureAwait(false), thread);
            });
            await AsyncIO.Sleep(0.001);
            future.SetResult(42);

            (int value, int observerThread) = await observer;
            Assert.Equal(42, value);
            Assert.NotEqual(loopThread, observerThread);
        });
    }

    [Fact]
    public void AsTask_RequestedFromAnotherThreadWhilePending_CompletesOnlyAfterTheFuture()
    {
        Guarded.Run(async loop =>
        {
            Future<string> future = loop.CreateFuture<string>();
            Task<string> bridge = await OnOtherThread(() => future.AsTask());
            await AsyncIO.Sleep(0.005);
            Assert.False(bridge.IsCompleted);

            future.SetResult("done");
            Assert.Equal("done", await bridge);
        });
    }

    [Fact]
    public void AsTask_FutureCancelled_DotNetTaskIsCanceled()
    {
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            Task<int> bridge = await OnOtherThread(() => future.AsTask());
            Task untypedBridge = await OnOtherThread(() => ((Future)future).AsTask());
            future.Cancel("stop");

            await Assert.ThrowsAsync<TaskCanceledException>(() => bridge);
            await Assert.ThrowsAsync<TaskCanceledException>(() => untypedBridge);
            Assert.True(bridge.IsCanceled);
            Assert.True(untypedBridge.IsCanceled);
        });
    }

    [Fact]
    public void AsTask_FutureFailed_DotNetTaskFaultsWithTheSameException()
    {
        var error = new InvalidOperationException("boom");
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            Task<int> bridge = await OnOtherThread(() => future.AsTask());
            future.SetException(error);

            Assert.Same(error, await Assert.ThrowsAsync<InvalidOperationException>(() => bridge));
        });
    }

    [Fact]
    public async Task AsTask_DoneFutureAfterLoopClosed_ReturnsCompletedTask()
    {
        Future<int> future = LoopTest.Run(async loop =>
        {
            Future<int> f = loop.CreateFuture<int>();
            f.SetResult(9);
            await AsyncIO.Sleep(0);
            return f;
        });

        Task<int> bridge = future.AsTask();
        Assert.True(bridge.IsCompletedSuccessfully);
        Assert.Equal(9, await bridge);
    }

    /// <summary>Runs <paramref name="function"/> on a pool thread and hands back what it returned — a task
    /// included, without unwrapping it as <see cref="Task.Run{TResult}(Func{Task{TResult}})"/> would.</summary>
    private static Task<T> OnOtherThread<T>(Func<T> function) =>
        Task.Factory.StartNew(function, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
}
