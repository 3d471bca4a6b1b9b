namespace Aio.Tests.Support;

/// <summary>Redirects <see cref="Console.Error"/> into a buffer until disposed. Console streams are
/// process-wide, so tests using this belong to <see cref="ConsoleCollection"/>.</summary>
internal sealed class StandardErrorCapture : IDisposable
{
    private readonly TextWriter _previous;
    private readonly StringWriter _buffer = new();
    private readonly TextWriter _writer;

    public StandardErrorCapture()
    {
        _previous = Console.Error;
        _writer = TextWriter.Synchronized(_buffer);
        Console.SetError(_writer);
    }

    /// <summary>What was written so far.</summary>
    public string Text
    {
        get
        {
            // The synchronized writer locks on itself; taking the same lock reads a consistent buffer.
            lock (_writer)
            {
                return _buffer.ToString();
            }
        }
    }

    public void Dispose()
    {
        Console.SetError(_previous);
        _buffer.Dispose();
    }
}

/// <summary>Tests that swap process-wide console streams run alone, so no other test's output is lost
/// into them and they see no one else's.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Console";
}
