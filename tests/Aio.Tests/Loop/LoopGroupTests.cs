using System.Collections.Concurrent;
using Aio.Net;
using Aio.Tests.Support;

namespace Aio.Tests.Loop;

/// <summary>The life of a <see cref="LoopGroup"/>: a loop per thread, failures that are reported and
/// surface from <see cref="LoopGroup.Run"/>, shutdown from any thread, and pinning.</summary>
public sealed class LoopGroupTests
{
    [Fact]
    public void Run_RunsEachMainOnALoopOfItsOwn_OnAThreadOfItsOwn_AndReturnsWhenAllEnded()
    {
        var seen = new ConcurrentDictionary<int, (EventLoop Loop, Thread Thread)>();
        LoopTest.WithinSeconds(20, () =>
        {
            using var group = new LoopGroup(3);
            Assert.Equal(3, group.Count);
            group.Run(async index =>
            {
                await AsyncIO.Sleep(0);
                seen[index] = (AsyncIO.GetRunningLoop(), Thread.CurrentThread);
            });
        });

        Assert.Equal([0, 1, 2], seen.Keys.Order());
        Assert.Equal(3, seen.Values.Select(v => v.Loop).Distinct().Count());
        Assert.All(seen, pair => Assert.Equal($"aio-loop-{pair.Key}", pair.Value.Thread.Name));
        Assert.All(seen.Values, v => Assert.True(v.Loop.IsClosed));
        Assert.All(seen.Values, v => Assert.False(v.Thread.IsAlive));
    }

    [Fact]
    public void MainFails_ItsLoopsHandlerIsTold_TheOtherLoopsShutDown_AndRunThrowsTheFailure()
    {
        var reports = new ConcurrentQueue<(int Loop, LoopExceptionContext Context)>();
        bool[] cleanedUp = new bool[3];
        using var started = new CountdownEvent(3);
        AggregateException? failure = null;
        LoopTest.WithinSeconds(20, () =>
        {
            using var group = new LoopGroup(3, new LoopGroupOptions { ShutdownGracePeriod = TimeSpan.FromSeconds(5) });
            failure = Assert.Throws<AggregateException>(() => group.Run(async index =>
            {
                AsyncIO.GetRunningLoop().SetExceptionHandler((_, context) => reports.Enqueue((index, context)));
                started.Signal();
                if (index == 1)
                {
                    await AioAssert.WaitUntil(() => started.IsSet);
                    throw new InvalidDataException("loop 1 broke");
                }

                try
                {
                    await AsyncIO.GetRunningLoop().CreateFuture<bool>();
                }
                finally
                {
                    cleanedUp[index] = true;
                }
            }));
        });

        Assert.IsType<InvalidDataException>(Assert.Single(failure!.InnerExceptions));
        (int loop, LoopExceptionContext context) = Assert.Single(reports);
        Assert.Equal(1, loop);
        Assert.Contains("main coroutine of loop 1", context.Message);
        Assert.IsType<InvalidDataException>(context.Exception);
        Assert.True(cleanedUp[0] && cleanedUp[2], "the other loops' main tasks were cancelled and cleaned up");
    }

    [Fact]
    public void CallbackThrows_OnlyItsLoopsHandlerIsTold_AndEveryLoopGoesOn()
    {
        var reports = new ConcurrentQueue<(int Loop, LoopExceptionContext Context)>();
        int[] iterations = new int[2];
        LoopTest.WithinSeconds(20, () =>
        {
            using var group = new LoopGroup(2);
            group.Start(async index =>
            {
                EventLoop loop = AsyncIO.GetRunningLoop();
                loop.SetExceptionHandler((_, context) => reports.Enqueue((index, context)));
                if (index == 0)
                {
                    loop.CallSoon(() => throw new InvalidOperationException("boom"));
                }

                while (true)
                {
                    Interlocked.Increment(ref iterations[index]);
                    await AsyncIO.Sleep(0.001);
                }
            });

            // Both loops keep running after the failing callback; the group does not shut down for it.
            Assert.True(SpinWait.SpinUntil(() => !reports.IsEmpty && Volatile.Read(ref iterations[0]) > 10 && Volatile.Read(ref iterations[1]) > 10, TimeSpan.FromSeconds(10)));
            Assert.False(group.IsShutdownRequested);
            group.Shutdown();
            Assert.True(group.Wait(TimeSpan.FromSeconds(10)));
        });

        (int failedLoop, LoopExceptionContext context) = Assert.Single(reports);
        Assert.Equal(0, failedLoop);
        Assert.Equal("boom", context.Exception?.Message);
    }

    [Fact]
    public void Shutdown_BeforeStart_TheLoopsStopAsSoonAsTheyStart()
    {
        LoopTest.WithinSeconds(20, () =>
        {
            using var group = new LoopGroup(2);
            group.Shutdown();
            Assert.True(group.IsShutdownRequested);
            group.Run(async _ => await AsyncIO.GetRunningLoop().CreateFuture<bool>());
        });
    }

    [Fact]
    public void Shutdown_FromALoopOfTheGroup_EndsEveryLoop_WhileWaitingThereIsRefused()
    {
        InvalidOperationException? refused = null;
        LoopTest.WithinSeconds(20, () =>
        {
            using var group = new LoopGroup(3);
            group.Run(async index =>
            {
                if (index == 2)
                {
                    refused = Assert.Throws<InvalidOperationException>(() => group.Wait());
                    group.Shutdown(TimeSpan.Zero);
                }

                await AsyncIO.GetRunningLoop().CreateFuture<bool>();
            });
        });

        Assert.Contains("wait for itself", refused!.Message);
    }

    [Fact]
    public void Dispose_WhileRunning_StopsEveryLoopAndJoinsItsThread()
    {
        var threads = new ConcurrentBag<Thread>();
        LoopTest.WithinSeconds(20, () =>
        {
            using var started = new CountdownEvent(2);
            var group = new LoopGroup(2);
            group.Start(async _ =>
            {
                threads.Add(Thread.CurrentThread);
                started.Signal();
                await AsyncIO.GetRunningLoop().CreateFuture<bool>();
            });
            Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
            group.Dispose();
            Assert.Throws<ObjectDisposedException>(() => group.Start(_ => default));
        });

        Assert.Equal(2, threads.Count);
        Assert.All(threads, t => Assert.False(t.IsAlive));
    }

    [Fact]
    public void StartTwice_OrWaitBeforeStart_Throws()
    {
        using var group = new LoopGroup(1);
        Assert.Throws<InvalidOperationException>(() => group.Wait());
        group.Start(async _ => await AsyncIO.Sleep(0));
        Assert.Throws<InvalidOperationException>(() => group.Start(async _ => await AsyncIO.Sleep(0)));
        Assert.True(group.Wait(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public void CreateServerAsync_OnALoopOutsideTheGroup_Throws()
    {
        using var group = new LoopGroup(1);
        GuardedLoop.Run(async _ =>
        {
            InvalidOperationException error = await AioAssert.ThrowsAsync<InvalidOperationException, Server>(
                () => group.CreateServerAsync(() => new Silent(), "127.0.0.1", 0));
            Assert.Contains("loop of its group", error.Message);
        });
    }

    [Fact]
    public void PinThreads_EachLoopRunsOnOneCpu_TheNextOneTheProcessMayUse()
    {
        int[] allowed = ThreadAffinity.AllowedCpus();
        Assert.NotEmpty(allowed);
        int loops = allowed.Length + 1;
        var pinned = new ConcurrentDictionary<int, int[]>();
        LoopTest.WithinSeconds(20, () =>
        {
            using var group = new LoopGroup(loops, new LoopGroupOptions { PinThreads = true });
            group.Run(async index =>
            {
                await AsyncIO.Sleep(0);
                pinned[index] = ThreadAffinity.AllowedCpus();
            });
        });

        for (int i = 0; i < loops; i++)
        {
            Assert.Equal([allowed[i % allowed.Length]], pinned[i]);
        }

        Assert.Equal(allowed, ThreadAffinity.AllowedCpus());
    }

    /// <summary>A protocol that does nothing.</summary>
    private sealed class Silent : Protocol
    {
    }
}
