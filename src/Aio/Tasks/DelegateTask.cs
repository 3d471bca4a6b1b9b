namespace Aio;

/// <summary>
/// A task whose coroutine is an ordinary <c>async Task</c> or <c>async Task&lt;T&gt;</c> delegate.
/// Because the delegate is only called at the task's first step, the task's cancellation, context and
/// AsyncLocal copy are in force before its first line runs. A delegate without a value makes a task whose
/// result is null, as <see cref="Future.Result"/> is for any task without a value.
/// </summary>
/// <typeparam name="T">The type of the result.</typeparam>
internal sealed class DelegateTask<T> : AioTask<T>
{
    private static readonly Action<object?, object?> s_complete = static (t, _) => ((DelegateTask<T>)t!).CompleteFromInner();

    private readonly Func<Task, T> _resultOf;
    private Func<Task>? _function;
    private Task? _inner;

    /// <summary>Creates the task.</summary>
    /// <param name="function">The delegate; a <c>Func&lt;Task&lt;T&gt;&gt;</c> is a <c>Func&lt;Task&gt;</c> too.</param>
    /// <param name="resultOf">Reads the value of the finished .NET task.</param>
    internal DelegateTask(Func<Task> function, Func<Task, T> resultOf)
    {
        _function = function;
        _resultOf = resultOf;
    }

    internal override void MoveNextCore()
    {
        Func<Task>? function = _function;
        _function = null;
        if (function is null)
        {
            return;
        }

        Task inner;
        try
        {
            inner = function() ?? throw new InvalidOperationException("The task's delegate returned null instead of a Task.");
        }
        catch (Exception ex)
        {
            FinishWithException(ex);
            return;
        }

        _inner = inner;
        if (inner.IsCompleted)
        {
            CompleteFromInner();
        }
        else
        {
            inner.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnInnerCompleted);
        }
    }

    internal override void ClearStateMachine() => _function = null;

    /// <summary>The state machine of the running .NET async method, found in its Task's type.</summary>
    internal override Type? StateMachineType => Diagnostics.CodeNames.StateMachineOfBox(_inner);

    internal override int CoroutineState => _inner is { } inner && !IsDone
        ? Diagnostics.CodeNames.StateOfBox(inner)
        : _function is not null ? Diagnostics.CoroutineStates.Running : Diagnostics.CoroutineStates.Finished;

    internal override Delegate? PendingDelegate => _function;

    private void OnInnerCompleted()
    {
        EventLoop loop = _loop!;
        if (loop.IsRunningOnCurrentThread)
        {
            CompleteFromInner();
        }
        else
        {
            loop.EnqueueFromAnyThread(s_complete, this, null);
        }
    }

    private void CompleteFromInner()
    {
        Task inner = _inner!;
        _inner = null;
        if (inner.IsCompletedSuccessfully)
        {
            FinishWithResult(_resultOf(inner));
        }
        else
        {
            FinishWithException(TaskExceptions.Unwrap(inner));
        }
    }
}

/// <summary>Result readers for <see cref="DelegateTask{T}"/>.</summary>
internal static class DelegateResults
{
    internal static readonly Func<Task, object?> None = static _ => null;

    internal static T Of<T>(Task task) => ((Task<T>)task).Result;
}

/// <summary>Turns a failed or canceled .NET task into the one exception its await would throw.</summary>
internal static class TaskExceptions
{
    internal static Exception Unwrap(Task task)
    {
        if (task.IsCanceled)
        {
            try
            {
                task.GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                return ex;
            }
        }

        AggregateException aggregate = task.Exception!;
        return aggregate.InnerExceptions.Count == 1 ? aggregate.InnerExceptions[0] : aggregate;
    }
}

/// <summary>The task of <c>default(Coroutine)</c>: already finished.</summary>
internal sealed class CompletedTask : AioTask
{
    internal override void MoveNextCore() => FinishWithResult();

    internal override void ClearStateMachine()
    {
    }
}

/// <summary>The task of <c>default(Coroutine&lt;T&gt;)</c>: already finished with the default value.</summary>
/// <typeparam name="T">The type of the result.</typeparam>
internal sealed class CompletedTask<T> : AioTask<T>
{
    internal override void MoveNextCore() => FinishWithResult(default!);

    internal override void ClearStateMachine()
    {
    }
}
