using System.Diagnostics;
using Aio.Tests.Support;

namespace Aio.Tests.Loop;

public sealed class LoopTimeTests
{
    [Fact]
    public void Time_ReadRepeatedly_NeverDecreases()
    {
        using var loop = new EventLoop();
        double previous = loop.Time();
        for (int i = 0; i < 100_000; i++)
        {
            double now = loop.Time();
            Assert.True(now >= previous, $"loop.Time() went back from {previous} to {now}");
            previous = now;
        }
    }

    [Fact]
    public void Time_AcrossABlockingPause_AdvancesBySecondsOfTheMonotonicClock()
    {
        // Bracketing the loop clock between Stopwatch reads (both monotonic) proves the unit without any
        // assumption about how long the pause really took.
        using var loop = new EventLoop();
        long outerStart = Stopwatch.GetTimestamp();
        double loopStart = loop.Time();
        long innerStart = Stopwatch.GetTimestamp();
        Thread.Sleep(30);
        long innerEnd = Stopwatch.GetTimestamp();
        double loopEnd = loop.Time();
        long outerEnd = Stopwatch.GetTimestamp();

        double loopElapsed = loopEnd - loopStart;
        double atLeast = Stopwatch.GetElapsedTime(innerStart, innerEnd).TotalSeconds;
        double atMost = Stopwatch.GetElapsedTime(outerStart, outerEnd).TotalSeconds;
        const double tolerance = 1e-6;
        Assert.InRange(loopElapsed, atLeast - tolerance, atMost + tolerance);
        Assert.True(atLeast >= 0.029, "Thread.Sleep(30) returned early; the bracket proves nothing");
    }

    [Fact]
    public void Time_InsideTheRunningLoop_ContinuesTheSameClock()
    {
        using var loop = new EventLoop();
        double before = loop.Time();
        double inside = loop.RunUntilComplete(ReadTime());
        double after = loop.Time();
        Assert.InRange(inside, before, after);

        static async Coroutine<double> ReadTime()
        {
            await AsyncIO.Sleep(0);
            return AsyncIO.GetRunningLoop().Time();
        }
    }

    [Fact]
    public void CallAt_Deadline_CallbackSeesLoopTimeAtOrAfterIt()
    {
        double deadline = 0;
        double seen = 0;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            deadline = loop.Time() + 0.02;
            loop.CallAt(deadline, () =>
            {
                seen = loop.Time();
                done.SetResult(true);
            });
            await done;
        }));
        // The deadline goes through whole nanoseconds; allow for that rounding, nothing more.
        Assert.True(seen >= deadline - 1e-6, $"the timer fired at {seen}, before its deadline {deadline}");
    }

    [Fact]
    public void CallLater_TimersCloseTogether_NoneFiresBeforeItsWhen()
    {
        // Each timer wakes the loop shortly before the next one is due: a loop that let timers fire a little
        // early would run the next one on that wake-up.
        var fired = new List<(double When, double Seen)>();
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            Future<bool> done = loop.CreateFuture<bool>();
            const int count = 10;
            for (int i = 1; i <= count; i++)
            {
                TimerHandle timer = default;
                bool last = i == count;
                timer = loop.CallLater(0.002 * i, () =>
                {
                    fired.Add((timer.When, loop.Time()));
                    if (last)
                    {
                        done.SetResult(true);
                    }
                });
            }

            await done;
        }));
        Assert.Equal(10, fired.Count);
        Assert.All(fired, f => Assert.True(f.Seen >= f.When, $"a timer due at {f.When} fired at {f.Seen}"));
    }

    [Fact]
    public void Sleep_Delay_ResumesNoEarlierThanTheDelayOnTheLoopClock()
    {
        double start = 0;
        double end = 0;
        LoopTest.WithinSeconds(10, () => LoopTest.Run(async loop =>
        {
            start = loop.Time();
            await AsyncIO.Sleep(0.02);
            end = loop.Time();
        }));
        Assert.True(end - start >= 0.02 - 1e-6, $"slept only {end - start} s");
    }
}
