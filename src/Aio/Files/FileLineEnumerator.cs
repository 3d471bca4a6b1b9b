namespace Aio.Files;

/// <summary>
/// <c>await foreach</c> over a file's lines. A step whose line is already buffered completes at once and
/// allocates nothing but the line; any other step is a <see cref="AsyncFile.ReadLineAsync"/>.
/// </summary>
internal sealed class FileLineEnumerator : IAsyncEnumerator<string>
{
    private readonly AsyncFile _file;
    private readonly CancellationToken _cancellationToken;
    private string? _current;

    internal FileLineEnumerator(AsyncFile file, CancellationToken cancellationToken)
    {
        _file = file;
        _cancellationToken = cancellationToken;
    }

    public string Current => _current!;

    public ValueTask<bool> MoveNextAsync()
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (_file.TryReadBufferedLine(out string? line))
        {
            _current = line;
            return new ValueTask<bool>(true);
        }

        return ReadLineAsync();
    }

    /// <summary>Leaves the file open: Python's <c>async for</c> does not close it either.</summary>
    public ValueTask DisposeAsync() => default;

    private async ValueTask<bool> ReadLineAsync()
    {
        _current = await _file.ReadLineAsync();
        return _current is not null;
    }
}
