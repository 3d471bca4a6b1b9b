namespace Aio;

/// <summary>One entry of the ready queue: a static callback and the two values it needs.</summary>
/// <remarks>
/// Every kind of work the loop runs — a public <c>call_soon</c>, a coroutine resuming, a done callback — is
/// expressed as a static two-argument delegate plus its arguments, so scheduling allocates nothing.
/// </remarks>
internal struct ReadyItem(Action<object?, object?> callback, object? state, object? arg)
{
    /// <summary>The callback; always a static (non-capturing) delegate on hot paths. Null for a public
    /// <c>call_soon</c> callback, whose <see cref="State"/> is then its <see cref="CallbackNode"/>.</summary>
    public Action<object?, object?> Callback = callback;

    /// <summary>The first argument.</summary>
    public object? State = state;

    /// <summary>The second argument.</summary>
    public object? Arg = arg;
}
