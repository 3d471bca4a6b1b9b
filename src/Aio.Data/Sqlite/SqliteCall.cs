using System.Runtime.ExceptionServices;
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
    private static readonly Action<object?, object?> s_deliver = static (call, _) => ((SqliteCall<T>)call!).Deliver();
    private static readonly Action<object?> s_taskCancelled = static call => ((SqliteCall<T>)call!).OnTaskCancelled();

    private readonly SqliteSession _session;
    private readonly EventLoop _loop;
    private readonly Func<SqliteSession, object?, object?, T> _work;
    private readonly object? _first;
    private readonly object? _second;
    private CancellationTokenRegistration _registration;
    private int _state;

    /// <summary>The outcome is decided (the result came, or the task was cancelled); loop thread only.</summary>
    private bool _decided;

    /// <summary>The awaiter was resumed, or will be at once when it asks; loop thread only.</summary>
    private bool _delivered;
    private Action<object?>? _continuation;
    private object? _continuationState;
    private bool _spinCounted;
    private T _result = default!;

    /// <summary>What the work threw; written by the worker only.</summary>
    private Exception? _failure;

    /// <summary>What the awaiter gets thrown; written on the loop only, so that a failure the worker
    /// reports after a cancellation was decided never replaces it.</summary>
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

        return new ValueTask<T>(call, 0);
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
                _failure = e;
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
        if (_decided)
        {
            return;
        }

        _decided = true;
        _error = Volatile.Read(ref _state) == Finished
            ? _failure
            : new CancelledException("The connection was closed before the statement ran.");

        // Already a callback of its own on the loop: the coroutine resumes right here, instead of being
        // posted to its task for the next iteration.
        Deliver();
    }

    /// <summary>The awaiting task was cancelled (on the loop thread, inside whatever cancelled it).</summary>
    private void OnTaskCancelled()
    {
        if (_decided)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _state, CancelledBeforeStart, Queued) != Queued)
        {
            _session.Interrupt(this);
        }

        _decided = true;
        _error = new CancelledException();

        // Not resumed inside the canceller (another task's step, say): in a callback of its own.
        _loop.EnqueueFromAnyThread(s_deliver, this, null);
    }

    private void Deliver()
    {
        _delivered = true;
        Action<object?>? continuation = _continuation;
        if (continuation is not null)
        {
            _continuation = null;
            continuation(_continuationState);
        }
    }

    // ---- IValueTaskSource: awaited once, on the loop thread ---------------------------------------

    public T GetResult(short token)
    {
        if (_error is not null)
        {
            ExceptionDispatchInfo.Throw(_error);
        }

        return _result;
    }

    public ValueTaskSourceStatus GetStatus(short token) =>
        !_delivered ? ValueTaskSourceStatus.Pending
        : _error is null ? ValueTaskSourceStatus.Succeeded
        : _error is OperationCanceledException ? ValueTaskSourceStatus.Canceled
        : ValueTaskSourceStatus.Faulted;

    /// <remarks>The scheduling context is not captured: the result always arrives on the loop thread, in a
    /// callback of its own, where the awaiting coroutine may resume at once.</remarks>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        if (_delivered)
        {
            continuation(state);
            return;
        }

        _continuation = continuation;
        _continuationState = state;
    }
}
