using Aio.Queues;
using Aio.Sync;
using Aio.Tests.Queues;
using Aio.Tests.Support;

namespace Aio.Tests.Sync;

/// <summary>
/// Many tasks, cancelled at random points by a chaos task and, on purpose, right after a release or a
/// put handed them what they waited for. Everything runs on one loop with a seeded <see cref="Random"/>,
/// so each seed is one reproducible interleaving. Some workers swallow their cancellations and go on, so
/// the primitives see cancellations at every kind of point; the others stop at their first one, as most
/// real code does, so that a wake-up a cancelled waiter swallowed is not quietly made up for. The
/// invariants are checked as the run goes and at the end: never more holders than permits, never a
/// waiter left waiting while what it waits for is free, every permit back, every item delivered exactly
/// once, nothing left undelivered once the producers stop.
/// </summary>
public sealed class RandomCancellationTests
{
    private const int Workers = 10;
    private const int Operations = 80;

    public static TheoryData<string, int> PermitCases()
    {
        var data = new TheoryData<string, int>();
        foreach (string primitive in new[] { "lock", "semaphore", "bounded", "limiter" })
        {
            for (int seed = 1; seed <= 4; seed++)
            {
                data.Add(primitive, seed);
            }
        }

        return data;
    }

    public static TheoryData<string, int> QueueCases()
    {
        var data = new TheoryData<string, int>();
        foreach (string kind in new[] { "fifo", "lifo", "priority" })
        {
            for (int seed = 1; seed <= 4; seed++)
            {
                data.Add(kind, seed);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PermitCases))]
    public void Permits_RandomCancellations_NeverOverAdmit_AndAllComeBack(string primitive, int seed)
    {
        GuardedLoop.Run(async loop =>
        {
            var chaos = new Chaos(seed);
            Permits permits = Permits.Create(primitive);
            var line = chaos.Line;
            int inside = 0;
            int violations = 0;
            int entered = 0;
            int cancelledBeforeEntering = 0;
            int handOffCancels = 0;
            int attempts = 0;
            int lostWakeUps = 0;
            chaos.Check = CheckNoLostWakeUp;
            AioTask[] workers = Enumerable.Range(0, Workers).Select(i => chaos.Add(AsyncIO.CreateTask(Worker(Chaos.IsMortal(i))))).ToArray();
            AioTask chaosTask = AsyncIO.CreateTask(chaos.Run());
            await AsyncIO.Gather(workers);
            await chaosTask;

            Assert.Equal(0, violations);
            Assert.Equal(0, lostWakeUps);
            Assert.Equal(attempts, entered + cancelledBeforeEntering);
            Assert.True(permits.IsAllFree, $"{primitive}: not every permit came back");
            Assert.Equal(0, permits.WaitingCount);

            // The seed is fixed, so these only prove that the run exercised what it is about.
            Assert.True(chaos.Cancels > 20, $"only {chaos.Cancels} cancellations");
            Assert.True(handOffCancels > 5, $"only {handOffCancels} cancellations right after a hand-off");

            // A release hands its permit to the longest waiter at once: a waiter left waiting while a
            // permit is free has lost its wake-up.
            void CheckNoLostWakeUp()
            {
                if (permits.WaitingCount > 0 && permits.Held < permits.Capacity)
                {
                    lostWakeUps++;
                }
            }

            async Coroutine Worker(bool mortal)
            {
                AioTask me = AsyncIO.CurrentTask!;
                for (int op = 0; op < Operations; op++)
                {
                    bool entering = false;
                    attempts++;
                    try
                    {
                        await chaos.Yields();
                        if (permits.WillWait)
                        {
                            line.Add(me);
                        }

                        using (await permits.AcquireAsync())
                        {
                            line.Remove(me);
                            entering = true;
                            entered++;
                            inside++;
                            if (inside > permits.Capacity || inside > permits.Held)
                            {
                                violations++;
                            }

                            try
                            {
                                await chaos.Yields();
                            }
                            finally
                            {
                                inside--;
                            }
                        }

                        // The release handed its permit to the longest waiter, which has not run yet.
                        if (line.Count > 0 && chaos.Chance(0.3))
                        {
                            AioTask granted = line[0];
                            line.RemoveAt(0);
                            handOffCancels += chaos.TryCancel(granted) ? 1 : 0;
                        }

                        CheckNoLostWakeUp();
                    }
                    catch (CancelledException)
                    {
                        me.Uncancel();
                        line.Remove(me);
                        cancelledBeforeEntering += entering ? 0 : 1;
                        CheckNoLostWakeUp();
                        if (mortal)
                        {
                            return;
                        }
                    }
                }
            }
        });
    }

    [Theory]
    [MemberData(nameof(QueueCases))]
    public void Queue_RandomCancellations_DeliverEveryItemExactlyOnce(string kind, int seed)
    {
        GuardedLoop.Run(async loop =>
        {
            const int producers = 4;
            const int consumers = 4;
            const int itemsEach = 80;
            var chaos = new Chaos(seed);
            var q = QueueKinds.Create<int>(kind, maxSize: 3);
            var getLine = chaos.Line;
            var putLine = new List<AioTask>();
            chaos.AlsoForget(putLine);
            var put = new List<int>();
            var dropped = new List<int>();
            var received = new List<int>();
            int handOffCancels = 0;
            int attempts = 0;
            int lostWakeUps = 0;
            chaos.Check = () => lostWakeUps += q.HasLostWakeUp ? 1 : 0;

            AioTask[] producing = Enumerable.Range(0, producers).Select(p => chaos.Add(AsyncIO.CreateTask(Producer(p, Chaos.IsMortal(p))))).ToArray();
            AioTask[] consuming = Enumerable.Range(0, consumers).Select(i => chaos.Add(AsyncIO.CreateTask(Consumer(Chaos.IsMortal(i))))).ToArray();
            AioTask chaosTask = AsyncIO.CreateTask(chaos.Run());
            await AsyncIO.Gather(producing);

            // The consumers left must drain the queue on the wake-ups the puts gave: an item promised to a
            // getter that was cancelled, and not passed on, would stay behind.
            for (int i = 0; i < 1000 && q.Count > 0; i++)
            {
                await AsyncIO.Sleep(0);
            }

            Assert.Equal(0, q.Count);
            q.Shutdown();
            await AsyncIO.Gather(consuming);
            await chaosTask;

            Assert.Equal(0, lostWakeUps);
            Assert.Equal(attempts, put.Count + dropped.Count);
            Assert.Equal(received.Count, received.Distinct().Count());
            Assert.Equal(put.Order(), received.Order());
            Assert.Equal(0, q.Count);
            Assert.Equal(put.Count, q.UnfinishedTasks);
            Assert.True(chaos.Cancels > 20, $"only {chaos.Cancels} cancellations");
            Assert.True(handOffCancels > 5, $"only {handOffCancels} cancellations right after a hand-off");

            async Coroutine Producer(int p, bool mortal)
            {
                AioTask me = AsyncIO.CurrentTask!;
                for (int j = 0; j < itemsEach; j++)
                {
                    int item = (p * 1000) + j;
                    attempts++;
                    try
                    {
                        await chaos.Yields();
                        putLine.Add(me);
                        await q.PutAsync(item);
                        putLine.Remove(me);
                        put.Add(item);
                        chaos.Check();

                        // The put promised an item to the longest getter, which has not run yet.
                        if (getLine.Count > 0 && chaos.Chance(0.3))
                        {
                            AioTask granted = getLine[0];
                            getLine.RemoveAt(0);
                            handOffCancels += chaos.TryCancel(granted) ? 1 : 0;
                        }
                    }
                    catch (CancelledException)
                    {
                        me.Uncancel();
                        putLine.Remove(me);
                        dropped.Add(item);
                        chaos.Check();
                        if (mortal)
                        {
                            return;
                        }
                    }
                }
            }

            async Coroutine Consumer(bool mortal)
            {
                AioTask me = AsyncIO.CurrentTask!;
                while (true)
                {
                    try
                    {
                        await chaos.Yields();
                        getLine.Add(me);
                        int item = await q.GetAsync();
                        getLine.Remove(me);
                        received.Add(item);
                        chaos.Check();

                        // The get freed a slot and promised it to the longest putter, which has not run yet.
                        if (putLine.Count > 0 && chaos.Chance(0.3))
                        {
                            AioTask granted = putLine[0];
                            putLine.RemoveAt(0);
                            handOffCancels += chaos.TryCancel(granted) ? 1 : 0;
                        }
                    }
                    catch (CancelledException)
                    {
                        me.Uncancel();
                        getLine.Remove(me);
                        chaos.Check();
                        if (mortal)
                        {
                            return;
                        }
                    }
                    catch (QueueShutDownException)
                    {
                        getLine.Remove(me);
                        return;
                    }
                }
            }
        });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Condition_RandomCancellations_LoseNoNotification_AndConsumeEveryItemOnce(int seed)
    {
        GuardedLoop.Run(async loop =>
        {
            // Few producers that pause between items, many consumers: consumers mostly find the buffer
            // empty and wait, so notifications and their cancellation matter.
            const int producers = 2;
            const int consumers = 6;
            const int itemsEach = 80;
            var chaos = new Chaos(seed);
            var cond = new AsyncCondition();
            var waiting = chaos.Line;
            var buffer = new Queue<int>();
            var produced = new List<int>();
            var consumed = new List<int>();
            bool done = false;
            int violations = 0;
            int notifiedCancels = 0;
            int lostWakeUps = 0;
            AioTask[] producing = Enumerable.Range(0, producers).Select(p => chaos.Add(AsyncIO.CreateTask(Producer(p)))).ToArray();
            var consuming = new List<AioTask>();

            // Every item comes with a notify, and a notified waiter that is cancelled passes it on, so items
            // left while every live consumer waits un-notified mean a wake-up was lost. A consumer stops at
            // its first cancellation, so that it cannot take an item whose notification it swallowed
            // itself; the chaos task replaces it after each check.
            chaos.Check = () =>
            {
                int live = consuming.Count(c => !c.IsDone);
                if (buffer.Count > 0 && live > 0 && cond.WaitingCount == live)
                {
                    lostWakeUps++;
                }
            };
            chaos.Upkeep = () =>
            {
                int live = consuming.Count(c => !c.IsDone);
                while (!done && live++ < consumers)
                {
                    consuming.Add(chaos.Add(AsyncIO.CreateTask(Consumer())));
                }
            };
            chaos.Upkeep();
            AioTask chaosTask = AsyncIO.CreateTask(chaos.Run());
            await AsyncIO.Gather(producing);

            // Drain on the producers' notifications alone: a lost one would leave items behind with
            // every consumer waiting.
            for (int i = 0; i < 1000 && buffer.Count > 0; i++)
            {
                await AsyncIO.Sleep(0);
            }

            Assert.Empty(buffer);
            using (await cond.LockAsync())
            {
                done = true;
                cond.NotifyAll();
            }

            await AsyncIO.Gather(consuming.ToArray());
            await chaosTask;

            Assert.Equal(0, violations);
            Assert.Equal(0, lostWakeUps);
            Assert.Equal(consumed.Count, consumed.Distinct().Count());
            Assert.Equal(produced.Order(), consumed.Order());
            Assert.False(cond.IsLocked);
            Assert.Equal(0, cond.WaitingCount);
            Assert.True(chaos.Cancels > 20, $"only {chaos.Cancels} cancellations");
            Assert.True(notifiedCancels > 5, $"only {notifiedCancels} cancellations right after a notify");

            async Coroutine Producer(int p)
            {
                AioTask me = AsyncIO.CurrentTask!;
                for (int j = 0; j < itemsEach; j++)
                {
                    try
                    {
                        await chaos.Yields();
                        await chaos.Yields();
                        await chaos.Yields();
                        chaos.Check();
                        AioTask? notified = null;
                        using (await cond.LockAsync())
                        {
                            int item = (p * 1000) + j;
                            buffer.Enqueue(item);
                            produced.Add(item);
                            cond.Notify();

                            // Notify moved the longest waiter to the lock's line: cancel it there now and
                            // then, while it waits for the lock this task holds.
                            if (waiting.Count > 0)
                            {
                                notified = waiting[0];
                                waiting.RemoveAt(0);
                                if (chaos.Chance(0.25))
                                {
                                    notifiedCancels += chaos.TryCancel(notified) ? 1 : 0;
                                }
                            }

                            await chaos.Yields();
                        }

                        // The release may have handed the lock to the notified waiter, which has not run yet.
                        if (notified is not null && chaos.Chance(0.4))
                        {
                            notifiedCancels += chaos.TryCancel(notified) ? 1 : 0;
                        }
                    }
                    catch (CancelledException)
                    {
                        me.Uncancel();
                    }
                }
            }

            // No pauses of its own: a consumer is either taking an item or waiting, so that a swallowed
            // wake-up shows as items left with everyone waiting.
            async Coroutine Consumer()
            {
                AioTask me = AsyncIO.CurrentTask!;
                while (true)
                {
                    try
                    {
                        using (await cond.LockAsync())
                        {
                            while (buffer.Count == 0 && !done)
                            {
                                waiting.Add(me);
                                try
                                {
                                    await cond.WaitAsync();
                                }
                                finally
                                {
                                    waiting.Remove(me);
                                    violations += cond.IsLocked ? 0 : 1;
                                }
                            }

                            if (buffer.Count == 0)
                            {
                                return;
                            }

                            consumed.Add(buffer.Dequeue());
                        }
                    }
                    catch (CancelledException)
                    {
                        return;
                    }
                }
            }
        });
    }

    /// <summary>The random source and the chaos task: cancels a random unfinished worker now and then,
    /// and never a task that already has a cancellation pending (which it would carry past its last
    /// wait).</summary>
    private sealed class Chaos(int seed)
    {
        private readonly Random _random = new(seed);
        private readonly List<AioTask> _workers = [];
        private readonly List<List<AioTask>> _lines = [];

        /// <summary>Tasks waiting in the primitive's line, longest first, as the test tracks them; a
        /// cancelled task leaves it at once, as it leaves the primitive's line.</summary>
        public List<AioTask> Line { get; } = [];

        public int Cancels { get; private set; }

        /// <summary>An invariant the chaos task checks between the other tasks' steps.</summary>
        public Action Check { get; set; } = static () => { };

        /// <summary>What the chaos task does after each check and cancellation (replacing workers).</summary>
        public Action Upkeep { get; set; } = static () => { };

        /// <summary>Even-numbered workers stop at their first cancellation; the others go on.</summary>
        public static bool IsMortal(int index) => index % 2 == 0;

        public AioTask Add(AioTask worker)
        {
            _workers.Add(worker);
            return worker;
        }

        public void AlsoForget(List<AioTask> line) => _lines.Add(line);

        public bool Chance(double p) => _random.NextDouble() < p;

        public bool TryCancel(AioTask task)
        {
            if (task.IsDone || task.Cancelling > 0)
            {
                return false;
            }

            task.Cancel();
            Cancels++;
            Line.Remove(task);
            foreach (List<AioTask> line in _lines)
            {
                line.Remove(task);
            }

            return true;
        }

        /// <summary>A random point: zero to two yields.</summary>
        public async Coroutine Yields()
        {
            int n = _random.Next(3);
            for (int i = 0; i < n; i++)
            {
                await AsyncIO.Sleep(0);
            }
        }

        public async Coroutine Run()
        {
            while (_workers.Exists(w => !w.IsDone))
            {
                int n = _random.Next(4);
                for (int i = 0; i < n + 1; i++)
                {
                    await AsyncIO.Sleep(0);
                }

                Check();
                List<AioTask> live = _workers.FindAll(w => !w.IsDone);
                if (live.Count > 0 && Chance(0.6))
                {
                    TryCancel(live[_random.Next(live.Count)]);
                }

                Upkeep();
            }
        }
    }

    /// <summary>A lock, a semaphore, a bounded semaphore or a capacity limiter, seen as permits.</summary>
    private sealed class Permits
    {
        private readonly Func<ValueTask<AsyncReleaser>> _acquire;
        private readonly Func<bool> _willWait;
        private readonly Func<int> _held;
        private readonly Func<bool> _allFree;
        private readonly Func<int> _waiting;

        private Permits(int capacity, Func<ValueTask<AsyncReleaser>> acquire, Func<bool> willWait, Func<int> held, Func<bool> allFree, Func<int> waiting)
        {
            Capacity = capacity;
            _acquire = acquire;
            _willWait = willWait;
            _held = held;
            _allFree = allFree;
            _waiting = waiting;
        }

        public int Capacity { get; }

        public bool WillWait => _willWait();

        /// <summary>Permits out now, counting those handed to waiters that have not run yet.</summary>
        public int Held => _held();

        public bool IsAllFree => _allFree();

        public int WaitingCount => _waiting();

        public ValueTask<AsyncReleaser> AcquireAsync() => _acquire();

        public static Permits Create(string primitive)
        {
            switch (primitive)
            {
                case "lock":
                {
                    var l = new AsyncLock();
                    return new Permits(1, l.LockAsync, () => l.IsLocked, () => l.IsLocked ? 1 : 0, () => !l.IsLocked, () => l.WaitingCount);
                }

                case "semaphore":
                {
                    var s = new AsyncSemaphore(3);
                    return new Permits(3, s.LockAsync, () => s.IsLocked, () => 3 - s.CurrentCount, () => s.CurrentCount == 3, () => s.WaitingCount);
                }

                case "bounded":
                {
                    var s = new AsyncBoundedSemaphore(3);
                    return new Permits(3, s.LockAsync, () => s.IsLocked, () => 3 - s.CurrentCount, () => s.CurrentCount == 3, () => s.WaitingCount);
                }

                case "limiter":
                {
                    var c = new CapacityLimiter(3);
                    return new Permits(
                        3,
                        c.LockAsync,
                        () => c.AvailableTokens == 0 || c.WaitingCount > 0,
                        () => c.BorrowedTokens,
                        () => c.BorrowedTokens == 0,
                        () => c.WaitingCount);
                }

                default:
                    throw new ArgumentOutOfRangeException(nameof(primitive), primitive, "Unknown primitive.");
            }
        }
    }
}
