using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class OutsideTaskCancellationTests
{
    [Fact]
    public void OrdinaryAsyncMethodOutsideAnyTask_AfterResuming_IsCancelledWithAnUnrelatedTask()
    {
        AioTask? helperRanAs = null;
        AioTask? victim = null;
        Exception? helperError = null;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<int> fut = loop.CreateFuture<int>();
            Future<int> fut2 = loop.CreateFuture<int>();
            Future<bool> victimGate = loop.CreateFuture<bool>();
            Future<bool> helperWaiting = loop.CreateFuture<bool>();
            Task? helper = null;

            loop.CallSoon(() => helper = Helper());
            await AsyncIO.Sleep(0);

            victim = AsyncIO.CreateTask(Victim());
            await helperWaiting;

            // Cancel the victim task only. The helper belongs to no task.
            victim.Cancel();
            await AsyncIO.Wait([victim]);
            fut2.TrySetResult(2);
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);

            async Coroutine Victim()
            {
                fut.SetResult(1);       // the helper's continuation is queued from inside this step
                try { await victimGate; } catch (CancelledException) { }
            }

            async Task Helper()
            {
                await fut;
                await Task.Yield();
                helperRanAs = AsyncIO.CurrentTask;
                helperWaiting.SetResult(true);
                try
                {
                    await fut2;
                }
                catch (Exception ex)
                {
                    helperError = ex;
                }
            }
        }));

        string observed = $"helper ran as: {(helperRanAs is null ? "<none>" : ReferenceEquals(helperRanAs, victim) ? "the victim task" : helperRanAs)}, helper error: {(helperError is null ? "<none>" : helperError.GetType().Name)}";
        if (observed != "helper ran as: <none>, helper error: <none>")
        {
            Assert.Fail(observed);
        }
    }
}
