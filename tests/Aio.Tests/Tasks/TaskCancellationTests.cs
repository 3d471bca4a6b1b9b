using Aio.Tests.Support;

namespace Aio.Tests.Tasks;

public sealed class TaskCancellationTests
{
    [Fact]
    public void Cancel_BeforeFirstStep_BodyNeverRuns()
    {
        bool ran = false;
        LoopTest.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Body());
            Assert.True(task.Cancel());
            await ThrowsCancelled(task);
            Assert.True(task.IsCancelled);
        });
        Assert.False(ran);

        async Coroutine Body()
        {
            ran = true;
            await AsyncIO.Sleep(0);
        }
    }

    [Fact]
    public void Cancel_DuringSleep_FinallyRunsAndTaskIsCancelled()
    {
        var log = new List<string>();
        LoopTest.Run(async loop =>
        {
            AioTask task = AsyncIO.CreateTask(Sleeper());
            await AsyncIO.Sleep(0.01);
            task.Cancel("stop");
            CancelledException error = await ThrowsCancelled(task);
            Assert.Equal("stop", error.CancelMessage);
            Assert.True(task.IsCancelled);
        });
        Assert.Equal(["start", "finally"], log);

        async Coroutine Sleeper()
        {
            log.Add("start");
            try
            {
                await AsyncIO.Sleep(3600);
                log.Add("woke");
            }
            finally
            {
                log.Add("finally");
            }
        }
    }

    private static async Coroutine<CancelledException> ThrowsCancelled(Future future)
    {
        try
        {
            await future;
        }
        catch (CancelledException ex)
        {
            return ex;
        }

        throw new Xunit.Sdk.XunitException("Expected a cancellation.");
    }
}
