using System.Net.Sockets;
using Aio.Sync;

namespace Aio.Net;

/// <summary>
/// The protocol between a transport and a stream reader and writer; asyncio's
/// <c>StreamReaderProtocol</c> with its <c>FlowControlMixin</c>: it feeds the reader, makes
/// <see cref="AsyncStreamWriter.DrainAsync"/> wait while the transport has paused writing, and, on a
/// server, starts the client's handler as a task.
/// </summary>
/// <remarks>A subprocess's pipes use it too, one direction each: stdout and stderr with a reader and no
/// writer, stdin with a writer and no reader.</remarks>
internal sealed class StreamProtocol : Protocol, IWaitOwner<int>
{
    /// <summary>The role of a drain the <see cref="Stream"/> adapter waits on.</summary>
    private const byte StreamDrain = 1;

    private readonly EventLoop _loop;
    private readonly AsyncStreamReader? _reader;
    private readonly Func<AsyncStreamReader, AsyncStreamWriter, Coroutine>? _clientConnected;
    private readonly ParkingLot _drainers = new();
    private WaitNodePool<int> _nodes;
    private Future<bool>? _closed;
    private Transport? _transport;
    private bool _writingPaused;
    private bool _connectionLost;
    private Exception? _lostWith;

    internal StreamProtocol(EventLoop loop, AsyncStreamReader? reader, Func<AsyncStreamReader, AsyncStreamWriter, Coroutine>? clientConnected)
    {
        _loop = loop;
        _reader = reader;
        _clientConnected = clientConnected;
    }

    /// <summary>The writer, once connected (or made early by <see cref="CreateWriter"/>); none for a
    /// read-only pipe.</summary>
    internal AsyncStreamWriter? Writer { get; private set; }

    /// <summary>Completes when the connection is lost.</summary>
    internal Future<bool> Closed => _closed ??= _loop.CreateFuture<bool>();

    /// <summary>Makes the writer before the transport's <c>ConnectionMade</c> runs, so that a subprocess
    /// hands out its stdin at once.</summary>
    internal AsyncStreamWriter CreateWriter(Transport transport)
    {
        _transport = transport;
        Writer = new AsyncStreamWriter(_loop, transport, this, _reader);
        MirrorDrainState();
        return Writer;
    }

    public override void ConnectionMade(Transport transport)
    {
        _transport = transport;
        _reader?.SetTransport(transport);
        if (transport is not PipeReadTransport)
        {
            Writer ??= new AsyncStreamWriter(_loop, transport, this, _reader);
        }

        MirrorDrainState();

        if (_clientConnected is not null)
        {
            AioTask handler = AsyncIO.CreateTask(_clientConnected(_reader!, Writer!), "client_connected_cb");
            handler.AddDoneCallback(f =>
            {
                // As asyncio (3.8+): a handler that failed is reported, and its connection closed.
                var task = (AioTask)f;
                if (!task.IsCancelled && task.Exception is { } error)
                {
                    _loop.CallExceptionHandler(new LoopExceptionContext("Unhandled exception in client_connected_cb", error) { Task = task });
                    transport.Close();
                }
            });
        }
    }

    public override void DataReceived(ReadOnlySpan<byte> data) => _reader?.FeedData(data);

    public override bool EofReceived()
    {
        _reader?.FeedEof();

        // Keep the connection open for writing: the handler decides when to close.
        return true;
    }

    public override void ConnectionLost(Exception? exception)
    {
        _connectionLost = true;
        _lostWith = exception;
        MirrorDrainState();
        if (exception is null)
        {
            _reader?.FeedEof();
        }
        else
        {
            _reader?.SetException(exception);
        }

        while (_drainers.First is { } node)
        {
            Exception error = exception ?? LostError();
            node.LeaveFailed(node.Role == StreamDrain ? StreamErrors.Write(error) : error);
        }

        Closed.SetResult(true);
    }

    public override void PauseWriting()
    {
        _writingPaused = true;
        MirrorDrainState();
    }

    public override void ResumeWriting()
    {
        _writingPaused = false;
        MirrorDrainState();
        _drainers.UnparkAll();
    }

    internal ValueTask DrainAsync() => DrainAsync(forStream: false, out _);

    /// <summary>Waits while the transport has paused writing.</summary>
    /// <param name="forStream">For the <see cref="Stream"/> adapter: the connection's error comes wrapped
    /// in an <see cref="IOException"/>.</param>
    /// <param name="waiting">The wait, when it could not complete at once.</param>
    internal ValueTask DrainAsync(bool forStream, out WaitNode<int>? waiting)
    {
        _loop.CheckThread();
        waiting = null;
        if (_connectionLost)
        {
            Exception error = _lostWith ?? LostError();
            return ValueTask.FromException(forStream ? StreamErrors.Write(error) : error);
        }

        // A closing transport is about to lose its connection: wait for that, as asyncio's drain() yields
        // once for it. Otherwise `Write(...); await DrainAsync();` in a loop would keep completing at once
        // on a transport that drops its writes (a pipe whose reader exited), and never hear of the end.
        if (!_writingPaused && _transport is not { IsClosing: true })
        {
            return default;
        }

        WaitNode<int> node = _nodes.Rent(_loop, this);
        node.Role = forStream ? StreamDrain : (byte)0;
        node.ResumeWithoutContext = forStream;
        _drainers.Park(node);
        waiting = node;
        return node.AsVoidValueTask();
    }

    /// <summary>Tells the writer whether a drain must come here (writing is paused, or the connection was
    /// lost), and which transport's closing makes it wait: a drain with room, as every drain of an echo
    /// is, then touches only the writer and the transport.</summary>
    private void MirrorDrainState()
    {
        if (Writer is { } writer)
        {
            writer.DrainAsksProtocol = _writingPaused || _connectionLost;
            writer.DrainWatches = _transport;
        }
    }

    /// <summary>What a drain raises once the connection was closed without an error: asyncio's
    /// <c>ConnectionResetError('Connection lost')</c> — for a pipe, a broken pipe (the process closed its
    /// stdin or exited).</summary>
    private Exception LostError() => _transport is PipeWriteTransport
        ? PipeErrors.BrokenPipe()
        : new SocketException((int)SocketError.ConnectionReset);

    int IWaitOwner<int>.OnGranted(WaitNode<int> node) => 0;

    void IWaitOwner.OnAbandoned(WaitNode node)
    {
        // A drain woken and cancelled: nothing to give back (the others were woken too).
    }

    string IWaitOwner.DescribeWait(WaitNode node) => "AsyncStreamWriter.drain";

    void IWaitOwner<int>.Return(WaitNode<int> node) => _nodes.Return(node);
}
