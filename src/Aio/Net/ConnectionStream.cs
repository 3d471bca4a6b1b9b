using Aio.Sync;

namespace Aio.Net;

/// <summary>
/// A connection's reader and writer as a <see cref="Stream"/>, so that .NET code written against streams
/// (SslStream, <c>WebSocket.CreateFromStream</c>, Pipelines, protocol libraries) runs over an Aio
/// connection unchanged. Made by <see cref="AsyncStreamWriter.AsStream"/>.
/// </summary>
/// <remarks>
/// <para>On the loop thread, inside a task or an ordinary <c>async</c> method it awaits, every operation
/// is the reader's or the writer's own: a read that finds bytes buffered completes at once, one that waits
/// is completed by the transport's callback and resumes its caller on the loop, as the task that awaited.
/// So SslStream, which awaits its inner stream with <c>ConfigureAwait(false)</c>, still runs every step on
/// the loop thread, and needs no thread-pool thread to make progress.</para>
/// <para>From any other thread (a WebSocket's keep-alive timer, a library's continuation that ran on the
/// thread pool) an operation is handed to the loop through <see cref="EventLoop.CallSoonThreadsafe(Action)"/>
/// and its <see cref="Task"/> completes when the loop has done it: nothing else of the connection is touched
/// off the loop.</para>
/// </remarks>
internal sealed class ConnectionStream : Stream
{
    private readonly EventLoop _loop;
    private readonly AsyncStreamReader _reader;
    private readonly AsyncStreamWriter _writer;
    private bool _disposed;
    private int _callsFromOtherThreads;

    internal ConnectionStream(EventLoop loop, AsyncStreamReader reader, AsyncStreamWriter writer)
    {
        _loop = loop;
        _reader = reader;
        _writer = writer;
    }

    /// <summary>How many operations had to be handed over from another thread. Code that awaits the
    /// stream on the loop — SslStream under a TLS transport — should cause none: each one is a thread-pool
    /// hop on the way.</summary>
    internal int CallsFromOtherThreads => Volatile.Read(ref _callsFromOtherThreads);

    public override bool CanRead => !_disposed;

    public override bool CanWrite => !_disposed;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException("A connection has no length.");

    public override long Position
    {
        get => throw new NotSupportedException("A connection cannot seek.");
        set => throw new NotSupportedException("A connection cannot seek.");
    }

    // ---- reading --------------------------------------------------------------------------------

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_loop.IsRunningOnCurrentThread)
        {
            return new ValueTask<int>(OnLoop(() => ReadAsync(buffer, cancellationToken)));
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        ValueTask<int> read = _reader.ReadForStream(buffer, out WaitNode<int>? waiting);
        return waiting is null || !cancellationToken.CanBeCanceled
            ? read
            : StreamWaitCancellation.Await(read, waiting, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override IAsyncResult BeginRead(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(ReadAsync(buffer, offset, count, CancellationToken.None), callback, state);

    public override int EndRead(IAsyncResult asyncResult) => TaskToAsyncResult.End<int>(asyncResult);

    public override int Read(byte[] buffer, int offset, int count) => throw Blocking();

    public override int Read(Span<byte> buffer) => throw Blocking();

    public override int ReadByte() => throw Blocking();

    // ---- writing --------------------------------------------------------------------------------

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_loop.IsRunningOnCurrentThread)
        {
            return new ValueTask(OnLoop(async () =>
            {
                await WriteAsync(buffer, cancellationToken);
                return true;
            }));
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        // Never waits: the transport sends what the kernel takes and buffers the rest. Then wait, as a
        // well-behaved asyncio writer does with drain(), while the buffer is above its high-water mark.
        _writer.Write(buffer.Span);
        return Drain(cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override IAsyncResult BeginWrite(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(WriteAsync(buffer, offset, count, CancellationToken.None), callback, state);

    public override void EndWrite(IAsyncResult asyncResult) => TaskToAsyncResult.End(asyncResult);

    /// <summary>Waits until the transport's write buffer is below its high-water mark: asyncio's
    /// <c>drain()</c>.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        if (!_loop.IsRunningOnCurrentThread)
        {
            return OnLoop(async () =>
            {
                await FlushAsync(cancellationToken);
                return true;
            });
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        return cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Drain(cancellationToken).AsTask();
    }

    /// <summary>Nothing to do: the transport sends as soon as the socket takes bytes, and
    /// <see cref="FlushAsync(CancellationToken)"/> is the one that waits.</summary>
    public override void Flush()
    {
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <summary>Hands the bytes to the transport, as <see cref="AsyncStreamWriter.Write"/>: on the loop thread
    /// this never blocks (what the socket does not take is buffered), so it is allowed — SslStream itself
    /// sends its alerts this way. From another thread it would have to wait for the loop, so it is refused.</summary>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!_loop.IsRunningOnCurrentThread)
        {
            throw new NotSupportedException(
                "A connection stream writes synchronously only on its event loop's thread; use WriteAsync from other threads.");
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        _writer.Write(buffer);
    }

    public override void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));

    private ValueTask Drain(CancellationToken cancellationToken)
    {
        ValueTask drain = _writer.DrainForStream(out WaitNode<int>? waiting);
        return waiting is null || !cancellationToken.CanBeCanceled
            ? drain
            : StreamWaitCancellation.Await(drain, waiting, cancellationToken);
    }

    // ---- the rest -------------------------------------------------------------------------------

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A connection cannot seek.");

    public override void SetLength(long value) => throw new NotSupportedException("A connection has no length.");

    /// <summary>Closes the connection once its write buffer is sent, as <see cref="AsyncStreamWriter.Close"/>.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            if (_loop.IsRunningOnCurrentThread)
            {
                _writer.Close();
            }
            else
            {
                try
                {
                    _loop.CallSoonThreadsafe(static w => ((AsyncStreamWriter)w!).Close(), _writer);
                }
                catch (InvalidOperationException)
                {
                    // The loop is closed, and its connections with it.
                }
            }
        }

        base.Dispose(disposing);
    }

    public override string ToString() => $"<ConnectionStream {_writer.Transport}>";

    private static NotSupportedException Blocking() => new(
        "A connection stream only reads asynchronously: a synchronous read would block the event loop. Use ReadAsync.");

    /// <summary>Runs <paramref name="operation"/> on the loop thread, for a caller on another thread.</summary>
    private Task<T> OnLoop<T>(Func<ValueTask<T>> operation)
    {
        Interlocked.Increment(ref _callsFromOtherThreads);
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.CallSoonThreadsafe(() => _ = Forward(operation, completion));
        return completion.Task;
    }

    private static async Task Forward<T>(Func<ValueTask<T>> operation, TaskCompletionSource<T> completion)
    {
        try
        {
            completion.TrySetResult(await operation().ConfigureAwait(false));
        }
        catch (OperationCanceledException e)
        {
            completion.TrySetCanceled(e.CancellationToken);
        }
        catch (Exception e)
        {
            completion.TrySetException(e);
        }
    }
}
