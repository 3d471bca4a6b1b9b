using Aio.Tests.Support;

namespace Aio.Tests.Tasks;

/// <summary>
/// Steady-state sleeps inside a task allocate nothing. The loop runs on the thread that measures, and
/// every callback the loop runs between two steps of the task runs on it too, so the per-thread counter
/// sees the loop's allocations as well as the task's.
/// </summary>
[Collection(ProcessWideInstrumentsCollection.Name)]
public sealed class TaskAllocationTests
{
    private const int WarmUp = 2_000;
    private const int Measured = 1_000;

    /// <summary>Short enough that the measured loop takes milliseconds, long enough to go through the
    /// timer queue and the reactor's timed wait rather than the bare-yield path.</summary>
    private const double ShortSleep = 0.000_05;

    [Fact]
    public void Sleep_ZeroRepeatedInATask_AllocatesNothingAfterWarmUp()
    {
        long allocated = Guarded.Run(async loop =>
        {
            for (int i = 0; i < WarmUp; i++)
            {
                await AsyncIO.Sleep(0);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Measured; i++)
            {
                await AsyncIO.Sleep(0);
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Yield_RepeatedInATask_AllocatesNothingAfterWarmUp()
    {
        long allocated = Guarded.Run(async loop =>
        {
            for (int i = 0; i < WarmUp; i++)
            {
                await AsyncIO.Yield();
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Measured; i++)
            {
                await AsyncIO.Yield();
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Sleep_ShortRepeatedInATask_AllocatesNothingAfterWarmUp()
    {
        long allocated = Guarded.Run(async loop =>
        {
            for (int i = 0; i < WarmUp; i++)
            {
                await AsyncIO.Sleep(ShortSleep);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Measured; i++)
            {
                await AsyncIO.Sleep(ShortSleep);
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Sleep_InSpawnedTaskWhileAnotherTaskWaits_AllocatesNothingAfterWarmUp()
    {
        long allocated = Guarded.Run(async loop =>
        {
            AioTask<long> worker = AsyncIO.CreateTask(Measure());
            return await worker;
        });
        Assert.Equal(0, allocated);

        static async Coroutine<long> Measure()
        {
            for (int i = 0; i < WarmUp; i++)
            {
                await AsyncIO.Sleep(i % 2 == 0 ? 0 : ShortSleep);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Measured; i++)
            {
                await AsyncIO.Sleep(i % 2 == 0 ? 0 : ShortSleep);
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
    }

    [Fact]
    public void Sleep_RepeatedInOrdinaryAsyncHelperInsideATask_AllocatesNothingAfterWarmUp()
    {
        long allocated = Guarded.Run(async loop => await Helper());
        Assert.Equal(0, allocated);

        // The helper's own state machine box is allocated at its first suspension, during the warm-up.
        static async Task<long> Helper()
        {
            for (int i = 0; i < WarmUp; i++)
            {
                await AsyncIO.Sleep(i % 2 == 0 ? 0 : ShortSleep);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Measured; i++)
            {
                await AsyncIO.Sleep(i % 2 == 0 ? 0 : ShortSleep);
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
    }
}
