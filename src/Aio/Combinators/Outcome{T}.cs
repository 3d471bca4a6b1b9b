namespace Aio;

/// <summary>How one awaitable of a typed <c>GatherReturnExceptions</c> ended: its value, or its exception.</summary>
/// <typeparam name="T">The type of the value.</typeparam>
public readonly struct Outcome<T>
{
    private readonly T _value;

    internal Outcome(T value)
    {
        _value = value;
        Exception = null;
    }

    internal Outcome(Exception exception)
    {
        _value = default!;
        Exception = exception;
    }

    /// <summary>The exception, or null on success.</summary>
    public Exception? Exception { get; }

    /// <summary>Whether it succeeded.</summary>
    public bool IsSuccess => Exception is null;

    /// <summary>Whether it was cancelled.</summary>
    public bool IsCancelled => Exception is OperationCanceledException;

    /// <summary>The value.</summary>
    /// <exception cref="InvalidOperationException">It failed; the exception is the inner exception.</exception>
    public T Value => Exception is null ? _value : throw new InvalidOperationException("The awaitable failed; see the inner exception.", Exception);

    /// <summary>The value, or <c>default</c> when it failed.</summary>
    public T? ValueOrDefault => _value;

    /// <summary>Splits into value and exception.</summary>
    /// <param name="value">The value, or default.</param>
    /// <param name="exception">The exception, or null.</param>
    public void Deconstruct(out T? value, out Exception? exception)
    {
        value = _value;
        exception = Exception;
    }

    /// <summary>The value as text, or the exception's type and message.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Exception is null ? _value?.ToString() ?? "null" : $"{Exception.GetType().Name}({Exception.Message})";
}
