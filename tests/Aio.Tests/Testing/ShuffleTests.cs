using System.Reflection;
using Aio.Testing;
using Aio.Testing.Xunit;
using Aio.Tests.Support;

namespace Aio.Tests.Testing;

public sealed class ShuffleTests
{
    [Fact]
    public void NoSeed_CallbacksRunInTheOrderTheyWereScheduled()
    {
        Assert.Equal(Enumerable.Range(0, 10), RunBatch(seed: null));
    }

    [Fact]
    public void Seed_SomeSeedsReorderTheBatch_EachRunningEveryCallbackOnce()
    {
        var orders = Enumerable.Range(1, 20).Select(seed => RunBatch(seed)).ToList();
        foreach (List<int> order in orders)
        {
            Assert.Equal(Enumerable.Range(0, 10), order.Order());
        }

        Assert.Contains(orders, order => !order.SequenceEqual(Enumerable.Range(0, 10)));
        Assert.True(orders.Select(o => string.Join(",", o)).Distinct().Count() > 10, "twenty seeds gave few distinct orders");
    }

    [Fact]
    public void Seed_SameSeedTwice_SameOrder()
    {
        for (int seed = 1; seed <= 5; seed++)
        {
            Assert.Equal(RunBatch(seed), RunBatch(seed));
        }
    }

    [Fact]
    public void Seed_CallbacksScheduledByTheBatch_StillRunAfterTheWholeBatch()
    {
        for (int seed = 1; seed <= 10; seed++)
        {
            var log = new List<string>();
            VirtualLoop.RunShuffled(seed, async loop =>
            {
                for (int i = 0; i < 5; i++)
                {
                    string name = "first" + i;
                    loop.CallSoon(() =>
                    {
                        log.Add(name);
                        loop.CallSoon(() => log.Add("second"));
                    });
                }

                await AsyncIO.Sleep(0);
                await AsyncIO.Sleep(0);
            });

            Assert.All(log.Take(5), entry => Assert.StartsWith("first", entry, StringComparison.Ordinal));
            Assert.All(log.Skip(5), entry => Assert.Equal("second", entry));
        }
    }

    [Fact]
    public void Run_OrderDependentCodeFailsForSomeSeed_TheExceptionNamesTheSeedAndTheSeedRepeatsTheFailure()
    {
        ShuffleSeedException? failure = null;
        for (int seed = 1; seed <= 50 && failure is null; seed++)
        {
            failure = RunSeeded(seed);
        }

        Assert.NotNull(failure);
        Assert.Contains($"shuffle seed {failure.Seed}", failure.Message, StringComparison.Ordinal);
        Assert.Contains("ShuffleSeed = " + failure.Seed, failure.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(failure.InnerException);
        Assert.Contains("b ran before a", failure.Message, StringComparison.Ordinal);

        // The same seed fails the same way again; without shuffling the code passes.
        ShuffleSeedException? again = RunSeeded(failure.Seed);
        Assert.NotNull(again);
        Assert.Equal(failure.Message, again.Message);
        VirtualTime.Run(OrderDependent());

        static ShuffleSeedException? RunSeeded(int seed) =>
            Record.Exception(() => VirtualTime.Run(OrderDependent(), new VirtualTimeOptions { ShuffleSeed = seed })) as ShuffleSeedException;
    }

    [Fact]
    public void Run_SeedSetAndTheBodyPasses_ReturnsItsResult()
    {
        Assert.Equal(3, VirtualTime.Run(async () =>
        {
            await AsyncIO.Sleep(1);
            return 3;
        }, new VirtualTimeOptions { ShuffleSeed = 12 }));
    }

    /// <summary>Code that is correct whatever the order of concurrent steps passes under every seed.</summary>
    [Theory]
    [ShuffleSeeds(8)]
    public void ShuffleSeeds_OrderIndependentCode_PassesUnderEverySeed(int seed)
    {
        int total = VirtualTime.Run(async () =>
        {
            int[] parts = await AsyncIO.Gather(Enumerable.Range(1, 20).Select(Part).ToArray());
            return parts.Sum();
        }, new VirtualTimeOptions { ShuffleSeed = seed });
        Assert.Equal(Enumerable.Range(1, 20).Sum(i => i * 2), total);

        static async Coroutine<int> Part(int i)
        {
            await AsyncIO.Sleep(i % 3);
            await AsyncIO.Yield();
            return i * 2;
        }
    }

    [Fact]
    public void ShuffleSeedsAttribute_SuppliesConsecutiveSeedsFromFirst()
    {
        MethodInfo method = typeof(ShuffleTests).GetMethod(nameof(ShuffleSeeds_OrderIndependentCode_PassesUnderEverySeed))!;
        Assert.Equal([[1], [2], [3]], new ShuffleSeedsAttribute(3).GetData(method).Select(row => row.Cast<int>().ToArray()));
        Assert.Equal([[100], [101]], new ShuffleSeedsAttribute(2) { First = 100 }.GetData(method).Select(row => row.Cast<int>().ToArray()));
    }

    [Fact]
    public void ShuffleSeedsAttribute_WrongSignatureOrCount_Throws()
    {
        MethodInfo wrong = typeof(ShuffleTests).GetMethod(nameof(NoSeed_CallbacksRunInTheOrderTheyWereScheduled))!;
        Assert.Throws<ArgumentException>(() => new ShuffleSeedsAttribute(2).GetData(wrong).ToList());
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShuffleSeedsAttribute(0));
    }

    /// <summary>Ten callbacks scheduled at once; the order in which they ran.</summary>
    private static List<int> RunBatch(int? seed)
    {
        var order = new List<int>();
        VirtualLoop.Run(
            async loop =>
            {
                for (int i = 0; i < 10; i++)
                {
                    int id = i;
                    loop.CallSoon(() => order.Add(id));
                }

                await AsyncIO.Sleep(0);
            },
            options: new VirtualTimeOptions { ShuffleSeed = seed });
        return order;
    }

    /// <summary>Two tasks started together; the code assumes the first one started runs first.</summary>
    private static async Coroutine OrderDependent()
    {
        var log = new List<string>();
        AioTask a = AsyncIO.CreateTask(Append(log, "a"));
        AioTask b = AsyncIO.CreateTask(Append(log, "b"));
        await AsyncIO.Wait([a, b]);
        if (log[0] != "a")
        {
            throw new InvalidOperationException("b ran before a");
        }

        static async Coroutine Append(List<string> log, string name)
        {
            log.Add(name);
            await AsyncIO.Sleep(0);
        }
    }
}
