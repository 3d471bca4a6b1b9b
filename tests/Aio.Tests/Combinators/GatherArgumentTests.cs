using Aio.Tests.Support;

namespace Aio.Tests.Combinators;

public sealed class GatherArgumentTests
{
    [Fact]
    public void Gather_AfterAnEarlierGatherRejectedItsArguments_StillWaitsForEveryChild()
    {
        GuardedLoop.Run(async loop =>
        {
            Future<int> a = loop.CreateFuture<int>();
            Future<int> b = loop.CreateFuture<int>();

            // A bad call: null in the sequence. It throws — but leaves a's duplicate mark set.
            Assert.ThrowsAny<Exception>(() => AsyncIO.Gather(new List<Future> { a, null! }));

            Future<int[]> both = AsyncIO.Gather(a, b);
            b.SetResult(2);
            await AsyncIO.Sleep(0);
            await AsyncIO.Sleep(0);

            // Expected: still pending (a is not done). Actual: done with a's default value.
            Assert.False(both.IsDone, both.IsDone ? "gather finished with [" + string.Join(", ", both.Result) + "] while a is pending" : "");
            a.SetResult(1);
            int[] values = await both;
            Assert.Equal(new[] { 1, 2 }, values);
        });
    }
}
