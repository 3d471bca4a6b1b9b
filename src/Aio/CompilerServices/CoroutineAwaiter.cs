using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Aio.CompilerServices;

/// <summary>Awaits a <see cref="Coroutine"/> that runs inline in the awaiting task. Used by the compiler.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct CoroutineAwaiter : ICriticalNotifyCompletion, ILoopAwaiter
{
    private readonly AioTask? _box;

    internal CoroutineAwaiter(AioTask? box)
    {
        _box = box;
    }

    internal AioTask? Box => _box;

    /// <summary>Whether the coroutine has finished (it has run up to its first suspension already).</summary>
    public bool IsCompleted => _box is null || _box.IsDone;

    /// <summary>Resumes the continuation when the coroutine finishes.</summary>
    /// <param name="continuation">The continuation.</param>
    public void OnCompleted(Action continuation) => UnsafeOnCompleted(Continuations.FlowContext(continuation));

    /// <summary>Resumes the continuation when the coroutine finishes.</summary>
    /// <param name="continuation">The continuation.</param>
    public void UnsafeOnCompleted(Action continuation)
    {
        AioTask box = _box!;
        var waiter = new ContinuationWaiter(continuation, box._core);
        if (box._loop is null)
        {
            box.AddWaiterFromAnyThread(waiter);
        }
        else
        {
            box.AddWaiter(waiter);
        }
    }

    void ILoopAwaiter.RegisterBox(AioTask box) => RegisterBox(box);

    internal void RegisterBox(AioTask box)
    {
        if (_box!._loop is null)
        {
            _box.AddWaiterFromAnyThread(box);
        }
        else
        {
            _box.AddWaiter(box);
        }
    }

    /// <summary>Ends the await: throws the coroutine's exception, if any.</summary>
    public void GetResult() => _box?.ThrowIfNotSucceeded();
}
