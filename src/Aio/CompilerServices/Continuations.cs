using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Aio.CompilerServices;

/// <summary>Helpers for continuations handed to <c>OnCompleted</c>.</summary>
internal static class Continuations
{
    /// <summary>Wraps a continuation so it runs in the execution context current now (what
    /// <see cref="INotifyCompletion.OnCompleted"/> promises, unlike the "unsafe" variant).</summary>
    internal static Action FlowContext(Action continuation)
    {
        ExecutionContext? context = ExecutionContext.Capture();
        return context is null
            ? continuation
            : () => ExecutionContext.Run(context, static c => ((Action)c!)(), continuation);
    }

    /// <summary>Wraps a state-taking continuation so it runs in <paramref name="context"/>.</summary>
    internal static Action<object?> RunIn(ExecutionContext context, Action<object?> continuation) =>
        state => ExecutionContext.Run(context, static s =>
        {
            var (c, st) = ((Action<object?>, object?))s!;
            c(st);
        }, (continuation, state));
}
