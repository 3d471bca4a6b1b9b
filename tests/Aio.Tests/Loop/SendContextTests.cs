using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class SendContextTests
{
    private static readonly AsyncLocal<int> s_local = new();

    [Fact]
    public void SendFromAnotherThread_CallbackSetsAnAsyncLocal_DoesNotLeakIntoTheNextStepOrCallback()
    {
        int seenByTask = -1;
        int seenByCallback = -1;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            SynchronizationContext context = null!;
            loop.CallSoon(() => context = SynchronizationContext.Current!);
            await AsyncIO.Sleep(0);

            int sent = 0;
            var thread = new Thread(() =>
            {
                context.Send(_ => s_local.Value = 99, null);    // runs on the loop thread
                Volatile.Write(ref sent, 1);
            });
            thread.Start();
            while (Volatile.Read(ref sent) == 0)
            {
                await AsyncIO.Sleep(0.001);
            }

            thread.Join();

            seenByTask = s_local.Value;                          // this task never set it
            loop.CallSoon(() => seenByCallback = s_local.Value);
            await AsyncIO.Sleep(0);
        }));

        Assert.Equal("task=0 callback=0", $"task={seenByTask} callback={seenByCallback}");
    }
}
