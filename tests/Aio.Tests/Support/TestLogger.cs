using Microsoft.Extensions.Logging;

namespace Aio.Tests.Support;

/// <summary>An <see cref="ILogger"/> that keeps every entry, for asserting on what the loop logged.</summary>
internal sealed class TestLogger : ILogger
{
    private readonly Lock _lock = new();
    private readonly List<LogEntry> _entries = [];

    /// <summary>When set, every call to <see cref="Log{TState}"/> throws it (a broken logger).</summary>
    public Exception? FailWith { get; init; }

    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return _entries.ToArray();
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (FailWith is not null)
        {
            throw FailWith;
        }

        lock (_lock)
        {
            _entries.Add(new LogEntry(logLevel, formatter(state, exception), exception));
        }
    }
}

internal sealed record LogEntry(LogLevel Level, string Message, Exception? Exception);
