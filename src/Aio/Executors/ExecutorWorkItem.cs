namespace Aio;

/// <summary>
/// One call of <see cref="EventLoop.RunInExecutor{T}(IExecutor?, Func{T})"/>: runs the function on a
/// worker, then completes the future on the loop thread. If the future is cancelled first (the awaiting
/// task was cancelled), work that has not started never starts, and running work is told through its
/// token; its eventual result is discarded. Work the executor drops cancels the future.
/// </summary>
/// <typeparam name="T">The type of the result.</typeparam>
internal sealed class ExecutorWorkItem<T> : IFutureWaiter, IExecutorWork, IThreadPoolWorkItem
{
    private const int Queued = 0;
    private const int Running = 1;
    private const int Finished = 2;
    private const int CancelledBeforeStart = 3;
    private const int Dropped = 4;

    private static readonly Action<object?, object?> s_complete = static (w, _) => ((ExecutorWorkItem<T>)w!).CompleteOnLoop();

    private readonly EventLoop _loop;
    private readonly Future<T> _future;
    private readonly Func<T>? _function;
    private readonly Func<CancellationToken, T>? _tokenFunction;
    private readonly ExecutionContext? _context;
    private readonly bool _countedByLoop;
    private readonly CancellationTokenSource? _cts;
    private int _state;
    private T _result = default!;
    private Exception? _error;

    internal ExecutorWorkItem(EventLoop loop, Func<T>? function, Func<CancellationToken, T>? tokenFunction, ExecutionContext? context, bool countedByLoop)
    {
        _loop = loop;
        _future = new Future<T>(loop);
        _function = function;
        _tokenFunction = tokenFunction;
        _context = context;
        _countedByLoop = countedByLoop;
        if (tokenFunction is not null)
        {
            _cts = new CancellationTokenSource();
        }
    }

    internal Future<T> Future => _future;

    /// <summary>Hands the work to <paramref name="executor"/>; an executor that refuses it (shut down)
    /// throws here, before anything was queued.</summary>
    internal void Submit(IExecutor executor)
    {
        executor.Execute(this);
        _future.AddWaiter(this);
        if (executor is ThreadPoolExecutor { SpinTicks: > 0 } spinning)
        {
            _spinTicks = spinning.SpinTicks;
            _loop.OnSpinningWorkSubmitted(_spinTicks);
        }
    }

    /// <summary>The executor's spin, while this work counts among the loop's spinning work.</summary>
    private long _spinTicks;

    void IThreadPoolWorkItem.Execute() => Run();

    public void Run()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Queued) != Queued)
        {
            // Cancelled before it started: report back only so the loop's count stays right.
            _loop.EnqueueFromAnyThread(s_complete, this, null);
            return;
        }

        try
        {
            if (_context is null)
            {
                _result = Invoke();
            }
            else
            {
                ExecutionContext.Run(_context, static s =>
                {
                    var item = (ExecutorWorkItem<T>)s!;
                    item._result = item.Invoke();
                }, this);
            }
        }
        catch (Exception ex)
        {
            _error = ex;
        }

        Volatile.Write(ref _state, Finished);
        _loop.EnqueueFromAnyThread(s_complete, this, null);
    }

    public void Abandon()
    {
        Interlocked.CompareExchange(ref _state, Dropped, Queued);
        _loop.EnqueueFromAnyThread(s_complete, this, null);
    }

    private T Invoke() => _function is not null ? _function() : _tokenFunction!(_cts!.Token);

    private void CompleteOnLoop()
    {
        _loop.OnExecutorWorkDone(_countedByLoop);
        if (_spinTicks > 0)
        {
            _spinTicks = 0;
            _loop.OnSpinningWorkDone();
        }

        if (_future.IsDone)
        {
            return;
        }

        switch (Volatile.Read(ref _state))
        {
            case Finished when _error is null:
                _future.TrySetResult(_result);
                break;
            case Finished:
                _future.TrySetException(_error!);
                break;
            case Dropped:
                _future.Cancel("The executor was shut down before the work started.");
                break;
        }
    }

    /// <summary>The future finished — normally by <see cref="CompleteOnLoop"/>, or by a cancellation.</summary>
    public void OnCompleted(Future? future)
    {
        if (!_future.IsCancelled)
        {
            return;
        }

        Interlocked.CompareExchange(ref _state, CancelledBeforeStart, Queued);
        if (_cts is { } cts)
        {
            _loop.CancelTokenSource(cts, _future);
        }
    }
}
