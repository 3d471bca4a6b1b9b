using System.Diagnostics.Metrics;
using Aio.Diagnostics;
using Aio.Tests.Support;

namespace Aio.Tests.Diagnostics;

/// <summary>The loop's <c>System.Diagnostics.Metrics</c> instruments, read the way dotnet-counters or
/// OpenTelemetry read them: through a <see cref="MeterListener"/>.</summary>
[Collection(ProcessWideInstrumentsCollection.Name)]
public sealed class LoopMetricsTests
{
    private static readonly TimeSpan s_threshold = TimeSpan.FromMilliseconds(20);

    [Fact]
    public void Listener_LoopWithTasksTimersAndCallbacks_ObservesEveryInstrument()
    {
        using var recorder = new Recorder();
        Dictionary<string, long>? observed = null;
        LoopTest.Run(
            async loop =>
            {
                recorder.LoopId = loop.Id;
                AioTask first = AsyncIO.CreateTask(Sleep(), "first");
                AioTask second = AsyncIO.CreateTask(Sleep(), "second");
                await AsyncIO.Sleep(0);
                loop.CallSoon(static () => { });
                loop.CallSoon(static () => { });
                loop.CallSoon(static () => { });

                // Gauges are read when the listener asks; three callbacks wait in the ready queue now.
                observed = recorder.Observe();
                first.Cancel();
                second.Cancel();
                await AsyncIO.Sleep(0);
            },
            options: new EventLoopOptions { Debug = false });

        Assert.NotNull(observed);
        Assert.Equal(3, observed[LoopMetrics.ReadyCallbacks]);
        Assert.Equal(3, observed[LoopMetrics.LiveTasks]);
        Assert.Equal(3, observed[LoopMetrics.CreatedTasks]);
        Assert.Equal(2, observed[LoopMetrics.Timers]);
        Assert.True(observed[LoopMetrics.Iterations] > 0);
        Assert.True(recorder.Durations.Count >= 4, $"{recorder.Durations.Count} callback durations");
        Assert.All(recorder.Durations, seconds => Assert.InRange(seconds, 0, 60));
    }

    [Fact]
    public void Listener_SlowCallbackWithDebugOff_CountedAndTimed()
    {
        using var recorder = new Recorder();
        var reports = new List<LoopExceptionContext>();
        LoopTest.Run(
            async loop =>
            {
                recorder.LoopId = loop.Id;
                loop.SetExceptionHandler((_, context) => reports.Add(context));
                loop.CallSoon(static () => Thread.Sleep(60));
                await AsyncIO.Sleep(0);
            },
            options: new EventLoopOptions { Debug = false, SlowCallbackThreshold = s_threshold });

        Assert.True(recorder.SlowCallbacks >= 1, "the slow callback was not counted");
        Assert.Contains(recorder.Durations, seconds => seconds >= s_threshold.TotalSeconds);

        // Counting is the metrics' business; reporting is debug mode's.
        Assert.Empty(reports);
    }

    [Fact]
    public void NoListener_CallbacksAreNotTimed()
    {
        Assert.False(LoopInstruments.TimingEnabled);
        using (var recorder = new Recorder())
        {
            Assert.True(LoopInstruments.TimingEnabled);
        }

        Assert.False(LoopInstruments.TimingEnabled);
    }

    [Fact]
    public void Listener_TimedCallbacks_AllocateNothingAfterWarmUp()
    {
        using var recorder = new Recorder();
        long allocated = LoopTest.Run(async loop =>
        {
            recorder.LoopId = loop.Id;
            for (int i = 0; i < 2_000; i++)
            {
                await AsyncIO.Sleep(0);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1_000; i++)
            {
                await AsyncIO.Sleep(0);
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        });

        Assert.Equal(0, allocated);
        Assert.True(recorder.Durations.Count >= 1_000);
    }

    private static async Coroutine Sleep() => await AsyncIO.Sleep(60);

    /// <summary>A listener for the loop meter that keeps only one loop's measurements.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Lock _lock = new();
        private readonly List<double> _durations = new(4_096);
        private readonly Dictionary<string, long> _observed = [];
        private long _slowCallbacks;

        public Recorder()
        {
            _listener.InstrumentPublished = static (instrument, listener) =>
            {
                if (instrument.Meter.Name == LoopMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            {
                if (IsOurs(tags) && instrument.Name == LoopMetrics.CallbackDuration)
                {
                    lock (_lock)
                    {
                        // Preallocated: recording must not allocate on the loop thread under measurement.
                        if (_durations.Count < _durations.Capacity)
                        {
                            _durations.Add(value);
                        }
                    }
                }
            });
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                if (!IsOurs(tags))
                {
                    return;
                }

                lock (_lock)
                {
                    if (instrument.Name == LoopMetrics.SlowCallbacks)
                    {
                        _slowCallbacks += value;
                    }
                    else
                    {
                        _observed[instrument.Name] = value;
                    }
                }
            });
            _listener.Start();
        }

        /// <summary>Set once the loop exists; until then nothing is ours.</summary>
        public int LoopId { get; set; } = -1;

        public IReadOnlyList<double> Durations
        {
            get
            {
                lock (_lock)
                {
                    return _durations.ToArray();
                }
            }
        }

        public long SlowCallbacks
        {
            get
            {
                lock (_lock)
                {
                    return _slowCallbacks;
                }
            }
        }

        public Dictionary<string, long> Observe()
        {
            _listener.RecordObservableInstruments();
            lock (_lock)
            {
                return new Dictionary<string, long>(_observed);
            }
        }

        public void Dispose() => _listener.Dispose();

        private bool IsOurs(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == LoopMetrics.LoopIdTag && tag.Value is int id && id == LoopId)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
