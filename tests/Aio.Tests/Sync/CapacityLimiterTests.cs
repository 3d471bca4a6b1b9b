using Aio.Sync;
using Aio.Tests.Support;

namespace Aio.Tests.Sync;

/// <summary>Trio's <c>CapacityLimiter</c> semantics (trio/_tests/test_sync.py): tokens lent to
/// borrowers, at most one per borrower, returned only by their holder.</summary>
public sealed class CapacityLimiterTests
{
    [Fact]
    public void TotalTokens_LessThanOne_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CapacityLimiter(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CapacityLimiter(-1));
    }

    [Fact]
    public void Tokens_AreCountedPerBorrower()
    {
        // Trio: test_CapacityLimiter.
        GuardedLoop.Run(async _ =>
        {
            var c = new CapacityLimiter(2);
            Assert.Equal(2, c.TotalTokens);
            Assert.Equal(0, c.BorrowedTokens);
            Assert.Equal(2, c.AvailableTokens);

            var notHeld = Assert.Throws<InvalidOperationException>(c.Release);
            Assert.Contains("does not hold", notHeld.Message);
            Assert.Equal(0, c.BorrowedTokens);

            Assert.True(c.TryAcquire());
            Assert.Equal(1, c.BorrowedTokens);
            Assert.Equal(1, c.AvailableTokens);

            var twice = Assert.Throws<InvalidOperationException>(() => c.TryAcquire());
            Assert.Contains("already holds", twice.Message);
            await AioAssert.ThrowsAsync<InvalidOperationException>(async () => await c.AcquireAsync());
            await AioAssert.ThrowsAsync<InvalidOperationException>(async () => (await c.LockAsync()).Dispose());
            Assert.Equal(1, c.BorrowedTokens);

            object value1 = new();
            object value2 = new();
            Assert.True(c.TryAcquireOnBehalfOf(value1));
            Assert.Equal(2, c.BorrowedTokens);
            Assert.Equal(0, c.AvailableTokens);
            Assert.False(c.TryAcquireOnBehalfOf(value2));
            Assert.Throws<InvalidOperationException>(() => c.ReleaseOnBehalfOf(value2));
            Assert.Throws<InvalidOperationException>(() => c.TryAcquireOnBehalfOf(value1));

            c.ReleaseOnBehalfOf(value1);
            Assert.Equal(1, c.BorrowedTokens);
            Assert.Throws<InvalidOperationException>(() => c.ReleaseOnBehalfOf(value1));

            c.Release();
            Assert.Equal(0, c.BorrowedTokens);
            Assert.Equal(2, c.AvailableTokens);

            using (await c.LockAsync())
            {
                Assert.Equal(1, c.BorrowedTokens);
            }

            Assert.Equal(0, c.BorrowedTokens);
        });
    }

    [Fact]
    public void AcquireTwiceBySameTask_Throws_EvenWhenItWouldWait()
    {
        GuardedLoop.Run(async _ =>
        {
            var c = new CapacityLimiter(1);
            await c.AcquireAsync();
            Assert.Equal(0, c.AvailableTokens);

            // No token is free, but the task already holds one: an error, not a wait that never ends.
            Assert.Throws<InvalidOperationException>(() => c.AcquireAsync());
            Assert.Equal(0, c.WaitingCount);
            c.Release();
        });
    }

    [Fact]
    public void ReleaseByNonBorrower_Throws_AndTheHolderKeepsItsToken()
    {
        GuardedLoop.Run(async _ =>
        {
            var c = new CapacityLimiter(1);
            await c.AcquireAsync();
            AioTask other = AsyncIO.CreateTask(ReleaseFromAnotherTask(c));
            await AioAssert.ThrowsAsync<InvalidOperationException>(other);
            Assert.Equal(1, c.BorrowedTokens);
            c.Release();
            Assert.Equal(0, c.BorrowedTokens);
        });

        static async Coroutine ReleaseFromAnotherTask(CapacityLimiter c)
        {
            await AsyncIO.Sleep(0);
            c.Release();
        }
    }

    [Fact]
    public void RaisingTotalTokens_WakesWaitersInOrder_AndLoweringWaitsForReturns()
    {
        // Trio: test_CapacityLimiter_change_total_tokens.
        GuardedLoop.Run(async _ =>
        {
            var c = new CapacityLimiter(2);
            Assert.Throws<ArgumentOutOfRangeException>(() => c.TotalTokens = 0);
            Assert.Throws<ArgumentOutOfRangeException>(() => c.TotalTokens = -10);
            Assert.Equal(2, c.TotalTokens);

            object[] borrowers = Enumerable.Range(0, 5).Select(_ => new object()).ToArray();
            var acquired = new List<int>();
            var tasks = new List<AioTask>();
            for (int i = 0; i < 5; i++)
            {
                tasks.Add(AsyncIO.CreateTask(AcquireFor(i)));
                await AsyncIO.Sleep(0);
            }

            Assert.Equal([0, 1], acquired);
            Assert.Equal(3, c.WaitingCount);

            c.TotalTokens += 2;
            Assert.Equal(4, c.BorrowedTokens);
            Assert.Equal(1, c.WaitingCount);
            await AsyncIO.Sleep(0);
            Assert.Equal([0, 1, 2, 3], acquired);

            c.TotalTokens -= 3;
            Assert.Equal(4, c.BorrowedTokens);
            Assert.Equal(1, c.TotalTokens);
            Assert.Equal(0, c.AvailableTokens);

            c.ReleaseOnBehalfOf(borrowers[0]);
            c.ReleaseOnBehalfOf(borrowers[1]);
            c.ReleaseOnBehalfOf(borrowers[2]);
            Assert.Equal(1, c.BorrowedTokens);
            Assert.Equal(1, c.WaitingCount);

            c.ReleaseOnBehalfOf(borrowers[3]);
            Assert.Equal(1, c.BorrowedTokens);
            Assert.Equal(0, c.WaitingCount);
            await AsyncIO.Gather(tasks);
            Assert.Equal([0, 1, 2, 3, 4], acquired);
            c.ReleaseOnBehalfOf(borrowers[4]);
            Assert.Equal(0, c.BorrowedTokens);

            async Coroutine AcquireFor(int i)
            {
                await c.AcquireOnBehalfOfAsync(borrowers[i]);
                acquired.Add(i);
            }
        });
    }

    [Fact]
    public void WaiterCancelled_LeavesNothingBehind()
    {
        // Trio: test_CapacityLimiter_memleak_548.
        GuardedLoop.Run(async _ =>
        {
            var c = new CapacityLimiter(1);
            await c.AcquireAsync();
            AioTask waiter = AsyncIO.CreateTask(Acquire(c));
            await AsyncIO.Sleep(0);
            Assert.Equal(1, c.WaitingCount);

            waiter.Cancel();
            await AioAssert.ThrowsAsync<CancelledException>(waiter);
            Assert.Equal(0, c.WaitingCount);
            Assert.Equal(1, c.BorrowedTokens);
            c.Release();
            Assert.Equal(0, c.BorrowedTokens);
        });
    }

    [Fact]
    public void OnBehalfOf_AnyTaskMayReturnTheBorrowersToken()
    {
        GuardedLoop.Run(async _ =>
        {
            var c = new CapacityLimiter(1);
            object job = new();
            await c.AcquireOnBehalfOfAsync(job);
            AioTask waiter = AsyncIO.CreateTask(Acquire(c));
            await AsyncIO.Sleep(0);
            Assert.Equal(1, c.WaitingCount);

            AioTask returner = AsyncIO.CreateTask(ReturnFor(c, job));
            await returner;
            await waiter;
            Assert.Equal(1, c.BorrowedTokens);
            Assert.False(c.TryAcquireOnBehalfOf(job));
            Assert.Throws<ArgumentNullException>(() => c.TryAcquireOnBehalfOf(null!));
            Assert.Throws<ArgumentNullException>(() => c.ReleaseOnBehalfOf(null!));
        });

        static async Coroutine ReturnFor(CapacityLimiter c, object borrower)
        {
            await AsyncIO.Sleep(0);
            c.ReleaseOnBehalfOf(borrower);
        }
    }

    [Fact]
    public void LockAsyncReleaser_ReturnsTheTokenOfTheTaskThatAcquired()
    {
        GuardedLoop.Run(async _ =>
        {
            var c = new CapacityLimiter(1);
            AioTask<AsyncReleaser> holder = AsyncIO.CreateTask(Lock(c));
            AsyncReleaser releaser = await holder;
            Assert.Equal(1, c.BorrowedTokens);

            // The main task holds nothing; the releaser returns the holder task's token all the same.
            Assert.Throws<InvalidOperationException>(c.Release);
            releaser.Dispose();
            Assert.Equal(0, c.BorrowedTokens);
        });

        static async Coroutine<AsyncReleaser> Lock(CapacityLimiter c) => await c.LockAsync();
    }

    [Fact]
    public void NoCurrentTask_TaskMethodsThrow_OnBehalfOfMethodsWork()
    {
        GuardedLoop.Run(async loop =>
        {
            var c = new CapacityLimiter(1);
            var errors = new List<Exception>();
            bool onBehalf = false;
            loop.CallSoon(() =>
            {
                Capture(() => c.TryAcquire());
                Capture(() => c.AcquireAsync());
                Capture(() => c.LockAsync());
                Capture(c.Release);
                object borrower = new();
                onBehalf = c.TryAcquireOnBehalfOf(borrower);
                c.ReleaseOnBehalfOf(borrower);
            });
            await AsyncIO.Sleep(0);
            Assert.Equal(4, errors.Count);
            Assert.All(errors, e => Assert.Contains("no task is running", Assert.IsType<InvalidOperationException>(e).Message));
            Assert.True(onBehalf);
            Assert.Equal(0, c.BorrowedTokens);

            void Capture(Action action)
            {
                try
                {
                    action();
                }
                catch (Exception ex)
                {
                    errors.Add(ex);
                }
            }
        });
    }

    [Fact]
    public void SameBorrowerWaitingTwiceAtOnce_SecondFailsInsteadOfHoldingTwoTokens()
    {
        // Both waits park (no token is free and the borrower holds none yet). When the first is handed a
        // token, the second would make the borrower hold two while one is counted: it fails instead.
        GuardedLoop.Run(async _ =>
        {
            var c = new CapacityLimiter(2);
            object h1 = new();
            object h2 = new();
            object x = new();
            Assert.True(c.TryAcquireOnBehalfOf(h1));
            Assert.True(c.TryAcquireOnBehalfOf(h2));
            AioTask first = AsyncIO.CreateTask(AcquireFor(c, x));
            AioTask second = AsyncIO.CreateTask(AcquireFor(c, x));
            await AsyncIO.Sleep(0);
            Assert.Equal(2, c.WaitingCount);

            c.ReleaseOnBehalfOf(h1);
            await first;
            c.ReleaseOnBehalfOf(h2);
            var error = await AioAssert.ThrowsAsync<InvalidOperationException>(second);
            Assert.Contains("already holds", error.Message);
            Assert.Equal(1, c.BorrowedTokens);
            Assert.Equal(1, c.AvailableTokens);

            c.ReleaseOnBehalfOf(x);
            Assert.Equal(0, c.BorrowedTokens);
        });

        static async Coroutine AcquireFor(CapacityLimiter c, object borrower) => await c.AcquireOnBehalfOfAsync(borrower);
    }

    private static async Coroutine Acquire(CapacityLimiter c) => await c.AcquireAsync();
}
