using System.Net.Sockets;
using Aio.Diagnostics;
using Aio.Reactor;
using Aio.Sockets;

namespace Aio.Net;

/// <summary>
/// A listening server: its sockets, the connections it accepted, and how to stop it; asyncio's
/// <c>Server</c>. Made by <c>loop.CreateServerAsync</c> (or <c>CreateUnixServerAsync</c>,
/// <c>StartServerAsync</c>).
/// </summary>
/// <remarks>
/// <para>Loop thread only. <c>await using</c> closes it and waits until it is closed, as
/// <c>async with server:</c> does.</para>
/// <para>Accepting runs on the loop thread when the reactor reports a listening socket readable: up to
/// <c>backlog</c> connections per turn, as asyncio. When the process runs out of descriptors (or the kernel
/// out of memory), the error goes to the loop's exception handler, accepting pauses for a second, and the
/// connections already open are served meanwhile.</para>
/// </remarks>
public sealed class Server : IAsyncDisposable, ILoopResource
{
    /// <summary>How long accepting pauses after running out of descriptors; asyncio's ACCEPT_RETRY_DELAY.</summary>
    internal static double AcceptRetryDelay = 1.0;

    private static readonly Action<object?, object?> s_acceptReady = static (l, _) => ((Listener)l!).RunAccept();

    private readonly EventLoop _loop;
    private readonly Func<BaseProtocol> _protocolFactory;
    private readonly List<Listener> _listeners = [];
    private readonly HashSet<SocketTransport> _clients = [];
    private readonly int _backlog;
    private List<Future<bool>>? _closedWaiters;
    private Future<bool>? _servingForever;
    private bool _serving;
    private bool _closed;

    internal Server(EventLoop loop, IReadOnlyList<Socket> sockets, Func<BaseProtocol> protocolFactory, int backlog)
    {
        _loop = loop;
        _protocolFactory = protocolFactory;
        _backlog = backlog;
        foreach (Socket socket in sockets)
        {
            _listeners.Add(new Listener(this, socket));
        }

        loop.TrackResource(this);
    }

    /// <summary>The loop the server runs on; asyncio's <c>get_loop()</c>.</summary>
    public EventLoop Loop => _loop;

    /// <summary>The listening sockets; asyncio's <c>sockets</c>. Empty once closed.</summary>
    public IReadOnlyList<Socket> Sockets => _closed ? [] : _listeners.Select(l => l.Socket).ToArray();

    /// <summary>Whether the server accepts connections; asyncio's <c>is_serving()</c>.</summary>
    public bool IsServing => _serving;

    /// <summary>How many accepted connections are open.</summary>
    public int ActiveConnections => _clients.Count;

    /// <summary>The accepted connections that are open (for tests).</summary>
    internal IReadOnlyCollection<Transport> Clients => _clients;

    /// <summary>Starts accepting connections, if not already; asyncio's <c>start_serving()</c>.</summary>
    /// <exception cref="InvalidOperationException">The server is closed.</exception>
    public void StartServing()
    {
        _loop.CheckThread();
        if (_closed)
        {
            throw new InvalidOperationException("The server is closed.");
        }

        if (_serving)
        {
            return;
        }

        _serving = true;
        foreach (Listener listener in _listeners)
        {
            _loop.RegisterSource(listener);

            // Connections may already wait in the backlog; the edge for them may be gone.
            listener.ScheduleAccept();
        }
    }

    /// <summary>Serves until the calling task is cancelled, then closes the server and waits until it is
    /// closed; asyncio's <c>serve_forever()</c>.</summary>
    /// <returns>Never completes normally.</returns>
    /// <exception cref="InvalidOperationException">The server is closed, or already serving forever.</exception>
    public async Coroutine ServeForeverAsync()
    {
        if (_servingForever is not null)
        {
            throw new InvalidOperationException($"The server is already being awaited on ServeForeverAsync().");
        }

        StartServing();
        _servingForever = _loop.CreateFuture<bool>();
        try
        {
            await _servingForever;
        }
        finally
        {
            _servingForever = null;
            Close();
            await WaitClosedAsync();
        }
    }

    /// <summary>Stops listening and closes the listening sockets; asyncio's <c>close()</c>. Connections
    /// already accepted stay open (see <see cref="CloseClients"/>).</summary>
    public void Close()
    {
        _loop.CheckThread();
        if (_closed)
        {
            return;
        }

        _closed = true;
        _serving = false;
        foreach (Listener listener in _listeners)
        {
            _loop.DeregisterSource(listener);
            listener.Socket.Dispose();
        }

        _servingForever?.Cancel();
        _loop.UntrackResource(this);
        WakeClosedWaitersIfDone();
    }

    /// <summary>Closes every accepted connection once its write buffer is sent; asyncio's
    /// <c>close_clients()</c>.</summary>
    public void CloseClients()
    {
        _loop.CheckThread();
        foreach (SocketTransport client in _clients.ToArray())
        {
            client.Close();
        }
    }

    /// <summary>Closes every accepted connection at once; asyncio's <c>abort_clients()</c>.</summary>
    public void AbortClients()
    {
        _loop.CheckThread();
        foreach (SocketTransport client in _clients.ToArray())
        {
            client.Abort();
        }
    }

    /// <summary>Waits until the server is closed and every connection it accepted is closed too;
    /// asyncio's <c>wait_closed()</c> (3.12).</summary>
    /// <returns>Completes once closed.</returns>
    public async Coroutine WaitClosedAsync()
    {
        if (_closed && _clients.Count == 0)
        {
            return;
        }

        Future<bool> waiter = _loop.CreateFuture<bool>();
        (_closedWaiters ??= []).Add(waiter);
        await waiter;
    }

    /// <summary>Closes the server and waits until it is closed.</summary>
    /// <returns>Completes once closed.</returns>
    public async ValueTask DisposeAsync()
    {
        Close();
        await WaitClosedAsync();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"<Server sockets=[{string.Join(", ", _listeners.Select(l => l.Socket.SafeHandle.IsClosed ? "closed" : l.Socket.LocalEndPoint?.ToString()))}]>";

    /// <inheritdoc/>
    string ILoopResource.Describe() => ToString();

    /// <summary>A connection of this server closed.</summary>
    internal void Detach(SocketTransport transport)
    {
        _clients.Remove(transport);
        WakeClosedWaitersIfDone();
    }

    private void WakeClosedWaitersIfDone()
    {
        if (!_closed || _clients.Count > 0 || _closedWaiters is not { } waiters)
        {
            return;
        }

        _closedWaiters = null;
        foreach (Future<bool> waiter in waiters)
        {
            if (!waiter.IsDone)
            {
                waiter.SetResult(true);
            }
        }
    }

    private void Accepted(Socket connection)
    {
        BaseProtocol protocol;
        try
        {
            protocol = _protocolFactory() ?? throw new InvalidOperationException("The protocol factory returned null.");
        }
        catch (Exception e)
        {
            connection.Dispose();
            _loop.CallExceptionHandler(new LoopExceptionContext("Error in the protocol factory of " + this, e));
            return;
        }

        var transport = new SocketTransport(_loop, connection, protocol, this);
        _clients.Add(transport);
        transport.Start();
    }

    /// <summary>One listening socket, registered with the reactor.</summary>
    private sealed class Listener(Server server, Socket socket) : IoSource(server._loop, (int)socket.Handle)
    {
        private bool _acceptScheduled;
        private bool _pausedForResources;

        internal Socket Socket { get; } = socket;

        internal override void OnReady(IoInterest ready)
        {
            if (Readable)
            {
                ScheduleAccept();
            }
        }

        internal void ScheduleAccept()
        {
            if (!_acceptScheduled && !_pausedForResources && server._serving)
            {
                _acceptScheduled = true;
                Loop.Ready.Enqueue(s_acceptReady, this, null);
            }
        }

        internal void RunAccept()
        {
            _acceptScheduled = false;
            for (int i = 0; i < server._backlog && server._serving; i++)
            {
                int fd = SocketCalls.Accept(Fd, default, out _, out int errno);
                if (fd >= 0)
                {
                    server.Accepted(new Socket(new SafeSocketHandle(fd, ownsHandle: true)));
                    continue;
                }

                if (SocketErrors.IsWouldBlock(errno))
                {
                    Readable = false;
                    return;
                }

                SocketError error = SocketErrors.FromErrno(errno);
                if (error is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable || errno == 12)
                {
                    // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): the connection stays in
                    // the backlog. Say so, serve the open connections, and try again in a while — asyncio's
                    // answer, which keeps the loop from spinning on a socket that stays readable.
                    Loop.CallExceptionHandler(new LoopExceptionContext(
                        $"socket.accept() out of system resource; accepting pauses for {AcceptRetryDelay} s: {server}",
                        SocketErrors.Exception(errno)));
                    _pausedForResources = true;
                    Loop.CallLater(AcceptRetryDelay, static l =>
                    {
                        var listener = (Listener)l!;
                        listener._pausedForResources = false;
                        listener.ScheduleAccept();
                    }, this);
                    return;
                }

                Loop.CallExceptionHandler(new LoopExceptionContext($"Error accepting a connection on {server}", SocketErrors.Exception(errno)));
                return;
            }

            // Backlog-many accepted in one turn: there may be more; go on in a later turn.
            ScheduleAccept();
        }

        public override string ToString() => server.ToString();
    }
}
