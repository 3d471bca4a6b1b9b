using Aio.Tests.Support;

namespace Aio.Tests.Tasks;

public sealed class TaskStateRaceTests
{
    [Fact]
    public void DelegateTask_FirstPostFromAnotherThreadRacesWithTheLoop_TokenStillFollowsCancel()
    {
        int lost = 0;
        int rounds = 0;
        LoopTest.WithinSeconds(120, () => LoopTest.Run(async loop =>
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < 5 && lost == 0)
            {
                rounds++;
                var tcs = new TaskCompletionSource();
                int go = 0;
                var victim = AsyncIO.CreateTask(async () =>
                {
                    await tcs.Task;                 // captures the task's context: its completion Posts
                    await Task.Delay(Timeout.Infinite, AsyncIO.CancellationToken);
                });
                await AsyncIO.Sleep(0);             // victim is now waiting on tcs.Task
                var t = new Thread(() =>
                {
                    while (Volatile.Read(ref go) == 0) { }
                    tcs.SetResult();                // TaskCore.Post from this thread: creates the extras
                });
                t.Start();
                Thread.Sleep(0);
                Volatile.Write(ref go, 1);
                Thread.SpinWait(Random.Shared.Next(0, 400));
                CancellationToken token = victim.CancellationToken;   // creates the extras and the token source
                t.Join();
                await AsyncIO.Sleep(0);
                victim.Cancel();
                if (!token.IsCancellationRequested)
                {
                    lost++;
                }

                await AsyncIO.Wait([victim], 5);
                if (!victim.IsDone)
                {
                    lost += 1000;
                    victim.Cancel();
                    await AsyncIO.Wait([victim], 5);
                }
            }
        }, allowHandlerReports: true));
        Assert.True(lost == 0, $"after {rounds} rounds, the token handed out was lost (lost={lost})");
    }
}
