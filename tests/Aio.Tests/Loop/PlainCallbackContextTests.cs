using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class PlainCallbackContextTests
{
    [Fact]
    public void OrdinaryAsyncMethodOutsideAnyTask_ResumedFromFuture_DoesNotInheritAnotherTasksContext()
    {
        SynchronizationContext? contextAfterResume = null;
        AioTask? taskAfterYield = null;
        AioTask? main = null;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            main = AsyncIO.CurrentTask;
            Future<int> fut = loop.CreateFuture<int>();
            Future<bool> helperDone = loop.CreateFuture<bool>();

            // Started from a plain callback: it belongs to no task.
            loop.CallSoon(() => _ = Helper());
            await AsyncIO.Sleep(0);

            // Completed inside the main task's step; the helper resumes in a later plain ready item.
            fut.SetResult(1);
            await helperDone;

            async Task Helper()
            {
                await fut;
                contextAfterResume = SynchronizationContext.Current;
                await Task.Yield();
                taskAfterYield = AsyncIO.CurrentTask;
                helperDone.SetResult(true);
            }
        }));

        // The helper is not part of any task: it must not see a task's context, nor run "as" the main task.
        Assert.IsNotType<TaskCore>(contextAfterResume);
        Assert.Null(taskAfterYield);
    }
}

public sealed class ContextLeakAsyncVoidTests
{
    [Fact]
    public void AsyncLambdaCallback_AfterAnAioSleep_RunsAsWhicheverTaskStepRanLast()
    {
        AioTask? ranAs = null;
        AioTask? main = null;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            main = AsyncIO.CurrentTask;
            bool done = false;
            loop.CallSoon(async () =>           // async void, as in a signal handler or reader callback
            {
                await AsyncIO.Sleep(0);
                await Task.Yield();
                ranAs = AsyncIO.CurrentTask;
                done = true;
            });
            while (!done)
            {
                await AsyncIO.Sleep(0);
            }
        }));

        Assert.True(ranAs is null, $"a plain callback's async continuation ran as {ranAs} (main task: {main})");
    }
}
