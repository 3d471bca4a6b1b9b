using System.Runtime.InteropServices;
using Aio.Diagnostics;

namespace Aio;

public sealed partial class EventLoop
{
    private static readonly Action<object?, object?> s_captureTaskTree =
        static (request, _) => ((TaskTreeRequest)request!).CaptureOnLoop();

    /// <summary>The registration of <see cref="EventLoopOptions.TaskTreeSignal"/>, while the loop is open.</summary>
    private PosixSignalRegistration? _taskTreeSignal;

    /// <summary>
    /// Every live task of this loop, what each awaits and who awaits it: Python 3.14's
    /// <c>python -m asyncio ps</c> / <c>pstree</c>, from inside the program. <see cref="TaskTreeSnapshot.Render"/>
    /// prints the tree.
    /// </summary>
    /// <returns>The snapshot.</returns>
    /// <remarks>
    /// <para>Callable from any thread. On the loop thread (or while the loop is stopped) the snapshot is
    /// taken at once. From another thread while the loop runs, the request is queued as
    /// <see cref="CallSoonThreadsafe(Action)"/> would queue it, and the caller waits until the loop takes
    /// the snapshot between two callbacks — so every task is seen in a consistent state. A loop blocked by
    /// a callback makes this wait as long; <see cref="CaptureTaskTree(TimeSpan)"/> bounds the wait.</para>
    /// <para>Costs nothing until called: nothing is recorded while tasks run.</para>
    /// </remarks>
    public TaskTreeSnapshot CaptureTaskTree() => CaptureTaskTree(Timeout.InfiniteTimeSpan);

    /// <summary>
    /// As <see cref="CaptureTaskTree()"/>, waiting at most <paramref name="timeout"/> for the loop to
    /// answer. When it does not — a callback is blocking it, which is often why one asks — the snapshot is
    /// read from the calling thread while the loop runs: it names the blocking task as running and is
    /// marked <see cref="TaskTreeSnapshot.IsConsistent"/> false.
    /// </summary>
    /// <param name="timeout">How long to wait for the loop; <see cref="Timeout.InfiniteTimeSpan"/> to wait
    /// as long as it takes.</param>
    /// <returns>The snapshot.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (and not
    /// infinite).</exception>
    /// <remarks>Callable from any thread.</remarks>
    public TaskTreeSnapshot CaptureTaskTree(TimeSpan timeout)
    {
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        }

        if (IsRunningOnCurrentThread || !_running || _closed)
        {
            return TaskTreeCapture.Capture(this, consistent: true);
        }

        var request = new TaskTreeRequest(this);
        EnqueueFromAnyThread(s_captureTaskTree, request, null);
        return request.Wait(timeout);
    }

    private void InitializeTaskTreeSignal()
    {
        if (_options.TaskTreeSignal is { } signal)
        {
            // The runtime calls this on its signal thread, so a blocked loop cannot keep the dump from
            // being written.
            _taskTreeSignal = PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                WriteTaskTree(Console.Error);
            });
        }
    }

    private void DisposeTaskTreeSignal()
    {
        _taskTreeSignal?.Dispose();
        _taskTreeSignal = null;
    }

    /// <summary>What <see cref="EventLoopOptions.TaskTreeSignal"/> does: writes the tree, waiting a second
    /// at most for the loop.</summary>
    internal void WriteTaskTree(TextWriter writer)
    {
        try
        {
            writer.Write(CaptureTaskTree(TimeSpan.FromSeconds(1)).Render());
            writer.Flush();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // Nowhere to write it: the signal must not bring the process down.
        }
    }

    /// <summary>One cross-thread request: whichever side claims it first takes the snapshot — the loop
    /// between callbacks, or the caller when the loop did not answer in time or stopped meanwhile.</summary>
    private sealed class TaskTreeRequest(EventLoop loop)
    {
        /// <summary>How often the waiting caller looks whether the loop is still running.</summary>
        private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(50);

        /// <summary>Never disposed: the loop may still be inside Set when the caller wakes, and without a
        /// wait handle ever requested there is nothing to release.</summary>
        private readonly ManualResetEventSlim _done = new();
        private TaskTreeSnapshot? _snapshot;
        private int _claimed;

        public void CaptureOnLoop()
        {
            if (Interlocked.Exchange(ref _claimed, 1) != 0)
            {
                return;
            }

            try
            {
                _snapshot = TaskTreeCapture.Capture(loop, consistent: true);
            }
            finally
            {
                _done.Set();
            }
        }

        public TaskTreeSnapshot Wait(TimeSpan timeout)
        {
            long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            while (true)
            {
                long left = deadline - Environment.TickCount64;
                TimeSpan slice = left < s_poll.TotalMilliseconds ? TimeSpan.FromMilliseconds(Math.Max(0, left)) : s_poll;
                if (_done.Wait(slice))
                {
                    return _snapshot!;
                }

                bool stopped = !loop.IsRunning || loop.IsClosed;
                if (stopped || Environment.TickCount64 >= deadline)
                {
                    if (Interlocked.Exchange(ref _claimed, 1) == 0)
                    {
                        // A stopped loop will not run the request; a blocked one is read as it stands.
                        return TaskTreeCapture.Capture(loop, consistent: stopped);
                    }

                    // The loop claimed it just now: its snapshot is moments away.
                    _done.Wait();
                    return _snapshot!;
                }
            }
        }
    }
}
