namespace Aio;

/// <summary>One entry of the ready queue: a static callback and the two values it needs.</summary>
/// <remarks>
/// Every kind of work the loop runs — a public <c>call_soon</c>, a coroutine resuming, a done callback — is
/// expressed as a static two-argument delegate plus its arguments, so scheduling allocates nothing.
/// </remarks>
internal readonly struct ReadyItem(Action<object?, object?> callback, object? state, object? arg)
{
    /// <summary>The callback; always a static (non-capturing) delegate on hot paths.</summary>
    public readonly Action<object?, object?> Callback = callback;

    /// <summary>The first argument.</summary>
    public readonly object? State = state;

    /// <summary>The second argument.</summary>
    public readonly object? Arg = arg;
}
