using Aio.Tests.Support;

namespace Aio.Tests.Tasks;

public sealed class ForeignContinuationTests
{
    [Fact]
    public void CoroutineInAHelperTheTaskDidNotAwait_ForeignAwaitFinishesAfterTheTask_StillResumes()
    {
        bool helperDone = false;
        List<LoopExceptionContext> reports = new();
        LoopTest.WithinSeconds(20, () =>
        {
            var loop = new EventLoop();
            loop.SetExceptionHandler((_, c) => reports.Add(c));
            loop.RunUntilComplete(Main());
            loop.Close();
        });
        string problems = string.Join(" | ", reports.Select(r => r.Exception?.GetType().Name + " in " + r.Exception?.TargetSite?.Name)) + (helperDone ? "" : " | helper never resumed");
        if (problems.Length > 0)
        {
            Assert.Fail(problems);
        }

        async Coroutine Main()
        {
            AioTask t = AsyncIO.CreateTask(Owner());
            await t;
            for (int i = 0; i < 200 && !helperDone; i++)
            {
                await AsyncIO.Sleep(0.01);
            }
        }

        async Coroutine Owner()
        {
            _ = Helper();                  // an ordinary async method the task does not await
            await AsyncIO.Sleep(0);        // the task ends while the helper still waits
        }

        async Task Helper()
        {
            await Inner();
            helperDone = true;
        }

        static async Coroutine Inner() => await Task.Delay(50);
    }
}
