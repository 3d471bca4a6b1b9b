namespace Aio;

/// <summary>A sleep that cannot use its task's built-in slot: outside any task, or a second sleep running
/// at the same time in one task (possible with ordinary async methods and <c>Task.WhenAll</c>).
/// Pooled per loop.</summary>
internal sealed class SleepOperation : ISleepSlot
{
    private readonly EventLoop _loop;
    private SleepState _state;
    private TaskCore? _owner;
    private string? _cancelMessage;

    internal SleepOperation(EventLoop loop)
    {
        _loop = loop;
        _state.TimerIndex = -1;
    }

    internal SleepOperation? NextFree { get; set; }

    public int TimerIndex
    {
        get => _state.TimerIndex;
        set => _state.TimerIndex = value;
    }

    /// <summary>For introspection: what the sleep wakes, and the task sleeping.</summary>
    internal IFutureWaiter? Waker => _state.Waker;

    internal TaskCore? Owner => _owner;

    internal void Reserve() => _state.Status = SleepState.Reserved;

    public void Arm(EventLoop loop, long deadline, TaskCore? owner)
    {
        _owner = owner;
        Sleeping.Arm(ref _state, this, loop, deadline, owner);
    }

    public void SetWaker(IFutureWaiter waker) => Sleeping.SetWaker(ref _state, _loop, waker);

    public void OnTimer(EventLoop loop) => Sleeping.Fire(ref _state, loop);

    public bool CancelWait(string? message)
    {
        if (!Sleeping.Cancel(ref _state, this, _loop))
        {
            return false;
        }

        _cancelMessage = message;
        return true;
    }

    public void Finish()
    {
        bool cancelled = Sleeping.Release(ref _state);
        string? message = _cancelMessage;
        TaskCore? owner = _owner;
        _owner = null;
        _cancelMessage = null;
        _loop.ReturnSleepOperation(this);
        owner?.EndWait(this, cancelled);
        if (cancelled)
        {
            throw new CancelledException(message);
        }
    }
}
