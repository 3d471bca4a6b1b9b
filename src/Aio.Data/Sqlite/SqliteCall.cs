using System.Threading.Tasks.Sources;

namespace Aio.Data.Sqlite;

/// <summary>
/// One call of a session's work on its worker thread, and the <see cref="ValueTask{T}"/> that the loop
/// awaits for it: a single object per statement, where a future, an executor work item, a token source
/// and closures would be five.
/// </summary>
/// <remarks>
/// <para>Life: queued on the worker, run there, then its result is posted to the loop, which completes
/// the awaiter. The loop counts it as executor work out (<see cref="AsyncIO.Run(Coroutine, EventLoopOptions?)"/>
/// waits for it, a loop with it out spins for its result when the worker spins).</para>
/// <para>Cancellation (interruptible calls only): the awaiting task's token completes the awaiter at once
/// with <see cref="CancelledException"/>. A call that has not started never runs; a running one is
/// interrupted (<c>sqlite3_interrupt</c>), and its outcome, when it comes, is dropped.</para>
/// </remarks>
/// <typeparam name="T">The type of the result.</typeparam>
internal sealed class SqliteCall<T> : IExecutorWork, IValueTaskSource<T>
{
    private const int Queued = 0;
    private const int Running = 1;
    private const int Finished = 2;
    private const int CancelledBeforeStart = 3;

    private static readonly Action<object?, object?> s_complete = static (call, _) => ((SqliteCall<T>)call!).CompleteOnLoop();
    private static readonly Action<object?> s_taskCancelled = static call => ((SqliteCall<T>)call!).OnTaskCancelled();

    private readonly SqliteSession _session;
    private readonly EventLoop _loop;
    private readonly Func<SqliteSession, object?, object?, T> _work;
    private readonly object? _first;
    private readonly object? _second;
    private ManualResetValueTaskSourceCore<T> _core;
    private CancellationTokenRegistration _registration;
    private int _state;
    private bool _delivered;
    private bool _spinCounted;
    private T _result = default!;
    private Exception? _error;

    private SqliteCall(SqliteSession session, EventLoop loop, Func<SqliteSession, object?, object?, T> work, object? first, object? second)
    {
        _session = session;
        _loop = loop;
        _work = work;
        _first = first;
        _second = second;
    }

    /// <summary>Sends <paramref name="work"/> to <paramref name="session"/>'s worker.</summary>
    /// <param name="session">The session whose connection the work uses.</param>
    /// <param name="worker">The session's worker.</param>
    /// <param name="work">The work, given the session and the two arguments.</param>
    /// <param name="first">Its first argument.</param>
    /// <param name="second">Its second argument.</param>
    /// <param name="interruptible">Whether the awaiting task's cancellation stops it; clean-up is not.</param>
    internal static ValueTask<T> Start(SqliteSession session, ThreadPoolExecutor worker, Func<SqliteSession, object?, object?, T> work, object? first, object? second, bool interruptible)
    {
        EventLoop loop = AsyncIO.GetRunningLoop();
        var call = new SqliteCall<T>(session, loop, work, first, second);
        loop.SubmitWork(worker, call);
        if (worker.SpinTicks > 0)
        {
            call._spinCounted = true;
            loop.OnSpinningWorkSubmitted(worker.SpinTicks);
        }

        if (interruptible)
        {
            CancellationToken token = TaskCancellation.ForNextCall;
            if (token.CanBeCanceled)
            {
                call._registration = token.Register(s_taskCancelled, call);
            }
        }

        return new ValueTask<T>(call, call._core.Version);
    }

    // ---- the worker's side ----------------------------------------------------------------------

    /// <inheritdoc/>
    public void Run()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Queued) == Queued)
        {
            _session.Entered(this);
            try
            {
                _result = _work(_session, _first, _second);
            }
            catch (Exception e)
            {
                _error = e;
            }
            finally
            {
                _session.Left();
            }

            Volatile.Write(ref _state, Finished);
        }

        _loop.EnqueueFromAnyThread(s_complete, this, null);
    }

    /// <inheritdoc/>
    public void Abandon()
    {
        // The executor shut down before the call started.
        Interlocked.CompareExchange(ref _state, CancelledBeforeStart, Queued);
        _loop.EnqueueFromAnyThread(s_complete, this, null);
    }

    // ---- the loop's side ------------------------------------------------------------------------

    private void CompleteOnLoop()
    {
        _loop.OnExecutorWorkDone(false);
        if (_spinCounted)
        {
            _loop.OnSpinningWorkDone();
        }

        _registration.Dispose();
        if (_delivered)
        {
            return;
        }

        _delivered = true;
        if (Volatile.Read(ref _state) == Finished)
        {
            if (_error is null)
            {
                _core.SetResult(_result);
            }
            else
            {
                _core.SetException(_error);
            }
        }
        else
        {
            _core.SetException(new CancelledException("The connection was closed before the statement ran."));
        }
    }

    /// <summary>The awaiting task was cancelled (on the loop thread, where its token is cancelled).</summary>
    private void OnTaskCancelled()
    {
        if (_delivered)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _state, CancelledBeforeStart, Queued) != Queued)
        {
            _session.Interrupt(this);
        }

        _delivered = true;
        _core.SetException(new CancelledException());
    }

    // ---- IValueTaskSource -----------------------------------------------------------------------

    public T GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
