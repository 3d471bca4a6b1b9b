using System.Net;
using System.Net.Sockets;
using Aio.Reactor;
using Aio.Sync;

namespace Aio.Sockets;

/// <summary>
/// The loop's <c>sock_*</c> operations on one socket (asyncio's <c>loop.sock_recv</c> and friends): each
/// tries its system call at once, and only when the socket would block does it park the calling coroutine
/// until the reactor reports readiness — then the call is made on the loop thread, in the iteration that
/// learned of the readiness, and the coroutine resumes with its result. No thread-pool thread takes part.
/// </summary>
/// <remarks>
/// <para>One operation at a time in each direction: a second receive (or accept) while one waits, or a
/// second send while one waits, is refused with <see cref="InvalidOperationException"/> — asyncio
/// silently replaces the first waiter's reader, which then never wakes.</para>
/// <para>Cancellation loses nothing that arrived: a receive or accept completed by the reactor whose task
/// was cancelled before it resumed keeps what it got (the bytes, the datagram, the connection) for the next
/// receive or accept on the socket. A cancelled send may have sent part of its data, as in asyncio.</para>
/// <para>The socket is registered with the reactor once, at its first operation, and stays registered
/// until it is closed (closing a descriptor removes it from epoll). A later socket that reuses the number
/// replaces this record.</para>
/// <para>Reads start level-triggered: the reactor reports the socket at every poll while bytes (or a
/// connection, or the end of the stream) wait in it. A stream receive that got bytes therefore parks the
/// next receive at once, without asking whether more is queued: if more is, the next poll says so. In a
/// ping-pong exchange — the seed's <c>sock_recv(1024)</c> of 1 KiB messages, where every receive fills its
/// request and nothing follows — that spares a second call per message that would only hear "would block"
/// (or a <c>recvmsg</c> with <c>TCP_INQ</c>, which costs about half of one). Now and then a receive that
/// fills its request asks <c>TCP_INQ</c> anyway (see <see cref="_probeCountdown"/>), so that a burst read
/// in small pieces goes on at once instead of taking a loop iteration per piece. Writability is watched
/// only while a send or connect waits for it. The first time the reactor reports a readiness that no waiting
/// operation takes — bytes that arrive while the task is busy elsewhere, a peer gone while nobody reads —
/// the socket turns edge-triggered for good (one <c>epoll_ctl</c>), so that an unread socket never keeps
/// the loop from sleeping; from then on a receive that fills its request learns from <c>TCP_INQ</c>
/// whether to park the next one.</para>
/// <para>Where the loop has an io_uring (<see cref="EventLoopOptions.UseIoUring"/>, Linux 6.1 or later), a
/// stream receive that must wait — and asks for no more than <see cref="EventLoop.RingReceiveLimit"/>
/// bytes — is handed to the kernel instead: it completes the receive into the socket's own buffer as the
/// bytes arrive, and the loop copies them out when it collects the completion. No readiness report, no
/// receive call of the loop's own: in the seed's ping-pong, one system call in two goes. From the first
/// such receive, epoll watches the socket for writability only (edge-triggered), so that no second reader
/// sees the same bytes. A cancelled wait cancels its receive, whose bytes, if it got some first, go to the
/// next receive. A socket closed under a waiting receive stays open in the kernel until that receive ends,
/// so the loop looks for such sockets (<see cref="CheckClosedUnderRing"/>) and cancels their receives. When the
/// loop stops, the ring gives every receive back and the waiting ones wait on epoll again: a ring is used
/// only by the thread that created it, and the next run may be on another.</para>
/// </remarks>
internal sealed class SocketWaits : IoSource,
    IWaitOwner<int>, IWaitOwner<byte[]>, IWaitOwner<(Socket, EndPoint)>, IWaitOwner<SocketReceiveFromResult>
{
    // What a parked node waits to do, in WaitNode.Role.
    private const byte ReceiveInto = 0;
    private const byte ReceiveBytes = 1;
    private const byte Accept = 2;
    private const byte ReceiveFrom = 3;
    private const byte SendAll = 4;
    private const byte SendTo = 5;
    private const byte Connect = 6;

    // The waiting receive (or accept) and the waiting send (or connect). A field each rather than a
    // ParkingLot: there is never more than one waiter in a direction (CheckReaderFree, CheckWriterFree),
    // and a lot is one more object to reach at every readiness report and every operation.
    private WaitNode? _reading;
    private WaitNode? _writing;

    private WaitNodePool<int> _intNodes;
    private WaitNodePool<byte[]> _bytesNodes;
    private WaitNodePool<(Socket, EndPoint)> _acceptNodes;
    private WaitNodePool<SocketReceiveFromResult> _fromNodes;

    // The parameters of the parked operations (one per direction).
    private Memory<byte> _readBuffer;
    private int _readLimit;
    private ReadOnlyMemory<byte> _writeData;
    private SocketAddress? _writeAddress;

    /// <summary>What a receive or accept completed for a task that was cancelled before it took it; the
    /// next one on the socket gets it first.</summary>
    private object? _keptForNext;

    /// <summary>The buffer a completed receive filled, and its node, until that node's task resumes: if
    /// the task was cancelled meanwhile, the bytes are copied out of it and kept.</summary>
    private Memory<byte> _filledBuffer;
    private WaitNode? _filledBy;

    /// <summary>The socket's handle, which says whether the socket was disposed.</summary>
    private readonly SafeSocketHandle _handle;

    /// <summary>Whether the socket is a stream one: a receive's bytes say nothing of the next datagram.</summary>
    private readonly bool _isStream;

    /// <summary>Whether reads are still level-triggered (see the remarks).</summary>
    private bool _levelTriggered = true;

    /// <summary>While level-triggered: whether writability is watched too (a send or connect waits).</summary>
    private bool _watchingWrites;

    /// <summary>Whether receives can learn how many bytes remain queued (TCP_INQ): every one does once
    /// edge-triggered; while level-triggered, only the probes (see <see cref="_probeCountdown"/>).</summary>
    private readonly bool _reportsQueued;

    /// <summary>While level-triggered: how many receives that fill their request go by before the next
    /// one asks TCP_INQ whether more is queued. A burst of queued bytes read in small pieces would
    /// otherwise cost a loop iteration per piece; the probe finds it and lets the receives go on at
    /// once. Each probe that finds nothing doubles the interval (up to <see cref="MaxProbeInterval"/>), so
    /// that ping-pong pays for one <c>recvmsg</c> in that many. Only a receive that follows a filled one
    /// asks: one that did not fill its request took all that was queued, so messages shorter than the
    /// request never pay for a probe.</summary>
    private int _probeCountdown;

    /// <summary>The interval the next probe that finds nothing sets (see <see cref="_probeCountdown"/>).</summary>
    private int _probeInterval = 1;

    private const int MaxProbeInterval = 64;

    /// <summary>Whether the last stream receive got as many bytes as it asked for: more may be queued (a
    /// probe is worth making, see <see cref="_probeCountdown"/>), and the next <c>sock_recv</c> will likely
    /// fill its request too.</summary>
    private bool _lastReceiveFilled;

    // ---- receiving through the ring (see the remarks) ---------------------------------------------

    /// <summary>Whether receives go through the loop's ring: epoll then watches only writability.</summary>
    private bool _ringMode;

    /// <summary>The receive with the ring, once there was one.</summary>
    private RingReceive? _ring;

    /// <summary>Whether a receive is with the ring.</summary>
    private bool RingPending => _ring is { Pending: true };

    private SocketWaits(EventLoop loop, Socket socket)
        : base(loop, (int)socket.Handle)
    {
        Socket = socket;
        _handle = socket.SafeHandle;

        // Unknown yet: the first operation tries its call. From then on a call that would block clears
        // the flag and only the reactor sets it again, so a receive that follows "would block" parks at
        // once instead of making a call that would only say so again — in a ping-pong exchange, one system
        // call in three.
        Readable = true;
        Writable = true;
        _isStream = socket.SocketType == SocketType.Stream;
        _reportsQueued = _isStream && socket.ProtocolType == ProtocolType.Tcp
            && SocketCalls.EnableQueuedBytesReport(Fd);
    }

    /// <summary>Whether receives go through the loop's ring; for tests.</summary>
    internal bool ReceivesThroughRing => _ringMode;

    /// <summary>Whether the ring holds a receive of the socket; for tests.</summary>
    internal bool RingReceivePending => RingPending;

    /// <summary>Whether reads are still level-triggered (see the remarks); for tests.</summary>
    internal bool ReadsAreLevelTriggered => _levelTriggered;

    /// <summary>How many level-triggered receives asked TCP_INQ whether more was queued (see
    /// <see cref="_probeCountdown"/>); for tests.</summary>
    internal int QueuedBytesProbes { get; private set; }

    /// <summary>Whether writability is watched (always, once edge-triggered); for tests.</summary>
    internal bool WatchesWrites => !_levelTriggered || _watchingWrites;

    /// <inheritdoc/>
    internal override IoInterest Interest => _ringMode ? IoInterest.Write | IoInterest.Edge
        : !_levelTriggered ? IoInterest.ReadWrite | IoInterest.Edge
        : _watchingWrites ? IoInterest.ReadWrite
        : IoInterest.Read;

    /// <summary>The socket.</summary>
    internal Socket Socket { get; }

    /// <summary>The record of <paramref name="socket"/> on <paramref name="loop"/>, registering the socket
    /// (and making it non-blocking) at its first operation.</summary>
    /// <exception cref="InvalidOperationException">The descriptor is used by a transport, or has reader
    /// or writer callbacks.</exception>
    internal static SocketWaits For(EventLoop loop, Socket socket)
    {
        // The socket last used (or whose wait last resumed) is the one asked for, most of the time: found
        // without reaching into the Socket for its descriptor, an object of its own not otherwise touched.
        // Its record is registered still (the loop forgets a replaced or deregistered one).
        if (loop.RecentSocketWaits is { } recent && ReferenceEquals(recent.Socket, socket))
        {
            ObjectDisposedException.ThrowIf(recent._handle.IsClosed, socket);
            return recent;
        }

        ArgumentNullException.ThrowIfNull(socket);
        int fd = (int)socket.Handle;
        IoSource? source = loop.SourceOf(fd);
        if (source is SocketWaits waits && ReferenceEquals(waits.Socket, socket))
        {
            // Socket.Handle still gives a disposed socket's number, which another descriptor may have
            // taken since: its record must not make a call on that one.
            ObjectDisposedException.ThrowIf(waits._handle.IsClosed, socket);
            loop.RecentSocketWaits = waits;
            return waits;
        }

        ObjectDisposedException.ThrowIf(socket.SafeHandle.IsClosed, socket);

        if (source is not null && source is not SocketWaits)
        {
            throw new InvalidOperationException($"File descriptor {fd} is used by {source}; its socket cannot be used for loop socket operations.");
        }

        // A socket object we have not seen: the record of a closed socket that had this number, if any,
        // is replaced, and whoever still waited on that socket learns it was closed.
        if (source is SocketWaits replaced)
        {
            replaced.AbortWaiters();
            replaced._ring?.Drop();
        }

        socket.Blocking = false;
        var created = new SocketWaits(loop, socket);
        loop.RegisterSource(created);
        loop.RecentSocketWaits = created;
        return created;
    }

    /// <inheritdoc/>
    public override string ToString() => $"a socket (fd {Fd}) with loop socket operations";

    // ---- receiving ------------------------------------------------------------------------------

    /// <summary><c>sock_recv_into</c>.</summary>
    internal ValueTask<int> ReceiveIntoAsync(Memory<byte> buffer)
    {
        CheckReaderFree();
        if (TakeKept() is { } kept)
        {
            return new ValueTask<int>(CopyKept(kept, buffer.Span));
        }

        SocketError error = SocketError.WouldBlock;
        if (Readable && !RingPending && TryReceive(buffer.Span, out int received, out error))
        {
            return new ValueTask<int>(received);
        }

        if (error != SocketError.WouldBlock)
        {
            return ValueTask.FromException<int>(new SocketException((int)error));
        }

        WaitNode<int> node = ParkReader(_intNodes.Rent(Loop, this), ReceiveInto);
        _readBuffer = buffer;
        ReceiveThroughRingOrEpoll(buffer.Length);
        return node.AsValueTask();
    }

    /// <summary><c>sock_recv</c>: up to <paramref name="maxBytes"/> bytes, as a new array (empty at the
    /// end of the stream).</summary>
    internal ValueTask<byte[]> ReceiveAsync(int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        CheckReaderFree();
        if (TakeKept() is { } kept)
        {
            return new ValueTask<byte[]>(TakeFromKept(kept, maxBytes));
        }

        byte[]? data = null;
        SocketError error = SocketError.WouldBlock;
        if (Readable && !RingPending && TryReceiveBytes(maxBytes, out data, out error))
        {
            return new ValueTask<byte[]>(data!);
        }

        if (error != SocketError.WouldBlock)
        {
            return ValueTask.FromException<byte[]>(new SocketException((int)error));
        }

        WaitNode<byte[]> node = ParkReader(_bytesNodes.Rent(Loop, this), ReceiveBytes);
        _readLimit = maxBytes;
        ReceiveThroughRingOrEpoll(maxBytes);
        return node.AsValueTask();
    }

    /// <summary><c>sock_recvfrom_into</c>.</summary>
    internal ValueTask<SocketReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer)
    {
        CheckReaderFree();
        if (TakeKept() is { } kept)
        {
            var datagram = (KeptDatagram)kept;
            int n = Math.Min(datagram.Data.Length, buffer.Length);
            datagram.Data.AsSpan(0, n).CopyTo(buffer.Span);
            return new ValueTask<SocketReceiveFromResult>(new SocketReceiveFromResult { ReceivedBytes = n, RemoteEndPoint = datagram.From });
        }

        SocketReceiveFromResult result = default;
        int errno = Libc.EAGAIN;
        if (Readable && TryReceiveFrom(buffer.Span, out result, out errno))
        {
            return new ValueTask<SocketReceiveFromResult>(result);
        }

        if (!SocketErrors.IsWouldBlock(errno))
        {
            return ValueTask.FromException<SocketReceiveFromResult>(SocketErrors.Exception(errno));
        }

        WaitNode<SocketReceiveFromResult> node = ParkReader(_fromNodes.Rent(Loop, this), ReceiveFrom);
        _readBuffer = buffer;
        return node.AsValueTask();
    }

    /// <summary><c>sock_accept</c>.</summary>
    internal ValueTask<(Socket, EndPoint)> AcceptAsync()
    {
        CheckReaderFree();
        if (TakeKept() is { } kept)
        {
            return new ValueTask<(Socket, EndPoint)>(((Socket, EndPoint))kept);
        }

        (Socket, EndPoint) accepted = default;
        int errno = Libc.EAGAIN;
        if (Readable && TryAccept(out accepted, out errno))
        {
            return new ValueTask<(Socket, EndPoint)>(accepted);
        }

        if (!SocketErrors.IsWouldBlock(errno))
        {
            return ValueTask.FromException<(Socket, EndPoint)>(SocketErrors.Exception(errno));
        }

        return ParkReader(_acceptNodes.Rent(Loop, this), Accept).AsValueTask();
    }

    // ---- sending --------------------------------------------------------------------------------

    /// <summary><c>sock_sendall</c>.</summary>
    internal ValueTask SendAllAsync(ReadOnlyMemory<byte> data)
    {
        CheckWriterFree();
        int sent = 0;
        if (Writable)
        {
            // The system call itself, as the receive side makes it: Socket.Send would add its own checks
            // and a second wrapper around the same send, for every message.
            sent = SocketCalls.SendUntilBlocked(Fd, data.Span, out int errno);
            if (errno != 0)
            {
                if (!SocketErrors.IsWouldBlock(errno))
                {
                    return ValueTask.FromException(SocketErrors.Exception(errno));
                }

                Writable = false;
            }
        }

        if (sent == data.Length)
        {
            return default;
        }

        // The send buffer is full (now, or since an earlier send): the rest goes when the socket drains.
        WaitNode<int> node = ParkWriter(_intNodes.Rent(Loop, this), SendAll);
        _writeData = data[sent..];
        return node.AsVoidValueTask();
    }

    /// <summary><c>sock_sendto</c>.</summary>
    internal ValueTask<int> SendToAsync(ReadOnlyMemory<byte> data, EndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        CheckWriterFree();
        SocketAddress address = endPoint.Serialize();
        if (TrySendTo(data.Span, address, out int sent, out int errno))
        {
            return new ValueTask<int>(sent);
        }

        if (!SocketErrors.IsWouldBlock(errno))
        {
            return ValueTask.FromException<int>(SocketErrors.Exception(errno));
        }

        WaitNode<int> node = ParkWriter(_intNodes.Rent(Loop, this), SendTo);
        _writeData = data;
        _writeAddress = address;
        return node.AsValueTask();
    }

    /// <summary><c>sock_connect</c>, for an address already resolved.</summary>
    internal ValueTask ConnectAsync(EndPoint endPoint)
    {
        CheckWriterFree();
        try
        {
            Socket.Connect(endPoint);
            return default;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            // Non-blocking connect: it finishes when the socket becomes writable (SO_ERROR says how).
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }

        Writable = false;
        return ParkWriter(_intNodes.Rent(Loop, this), Connect).AsVoidValueTask();
    }

    /// <inheritdoc/>
    internal override void OnLoopClosing()
    {
        // A connection accepted for a cancelled task, that no later accept took: nobody else will close it.
        if (_keptForNext is (Socket connection, EndPoint))
        {
            connection.Dispose();
        }

        _keptForNext = null;
        _ring?.Drop();
    }

    /// <summary>Ends the waits on a socket that was closed under them.</summary>
    private void AbortWaiters()
    {
        _ring?.Cancel();
        if (_reading is { } reader)
        {
            FailWaiter(ref _reading, reader, new SocketException((int)SocketError.OperationAborted));
        }

        if (_writing is { } writer)
        {
            FailWaiter(ref _writing, writer, new SocketException((int)SocketError.OperationAborted));
        }

        _readBuffer = default;
        _writeData = default;
        _writeAddress = null;
        ForgetFilled();
    }

    // ---- readiness ------------------------------------------------------------------------------

    /// <inheritdoc/>
    internal override void OnReady(IoInterest ready)
    {
        if (_handle.IsClosed)
        {
            // The socket was disposed, yet epoll still reports it: a duplicate of its descriptor keeps it
            // registered. Its number may belong to another descriptor by now, so no call is made on it;
            // whoever waited learns the socket is gone. (Nothing can take the registration off: epoll
            // forgets it when the duplicate is closed.)
            AbortWaiters();
            return;
        }

        // In ring mode receives complete through the ring (and reads are not level-triggered).
        if (!_ringMode && Readable && _reading is { } reader)
        {
            ServeReader(reader);
        }
        else if (_levelTriggered && (ready & IoInterest.Read) != 0)
        {
            // Nobody takes what is there, and level triggering would report it at every poll.
            TurnEdgeTriggered();
        }

        if (Writable && _writing is { } writer)
        {
            ServeWriter(writer);
        }
        else if (_watchingWrites && _levelTriggered && (ready & IoInterest.Write) != 0)
        {
            // The send or connect that asked for writability is over (or was cancelled).
            _watchingWrites = false;
            Loop.UpdateSource(this);
        }
    }

    // ---- the ring -------------------------------------------------------------------------------

    /// <summary>The receive just parked goes to the loop's ring when it has one (stream sockets only);
    /// otherwise, or when the loop has lost its ring since, it waits for epoll to report readability.</summary>
    private void ReceiveThroughRingOrEpoll(int length)
    {
        if (!_isStream || !Loop.CanReceiveThroughRing || length > EventLoop.RingReceiveLimit)
        {
            if (_ringMode && !RingPending)
            {
                LeaveRingMode();
            }

            return;
        }

        if (!_ringMode)
        {
            // Reads are the ring's from now on; epoll would report the same bytes to a second reader.
            _ringMode = true;
            _levelTriggered = false;
            _watchingWrites = false;
            Loop.UpdateSource(this);
        }

        if (RingPending)
        {
            // A receive of a cancelled wait is still with the ring; what it gets is this one's.
            return;
        }

        (_ring ??= new RingReceive(Loop, this)).Submit(Fd, length);
    }

    /// <summary>Back to epoll for reads: level-triggered, as a new record starts (see the remarks).</summary>
    private void LeaveRingMode()
    {
        _ringMode = false;
        _levelTriggered = true;
        _watchingWrites = _writing is not null;
        Readable = false;
        Loop.UpdateSource(this);
    }

    /// <summary>Ends the waits of a socket closed while the ring holds a receive of it, and cancels that
    /// receive: the ring's reference keeps the connection open until it ends, so the loop looks for such
    /// sockets now and then (<see cref="EventLoop.SweepRingReceivers"/>).</summary>
    internal void CheckClosedUnderRing()
    {
        if (RingPending && _handle.IsClosed)
        {
            AbortWaiters();
        }
    }

    /// <inheritdoc/>
    internal override void OnCompletion(int result)
    {
        if (!_ring!.Completed())
        {
            return;
        }

        if (result == -Libc.ECANCELED)
        {
            // Cancelled for a waiter that left, or withdrawn because the loop leaves its thread. A receive
            // parked since goes on: through the ring again if it can, through epoll if not.
            if (_reading is { Role: ReceiveBytes or ReceiveInto } waiting && !_handle.IsClosed)
            {
                ReceiveThroughRingOrEpoll(waiting.Role == ReceiveBytes ? _readLimit : _readBuffer.Length);
            }

            return;
        }

        Readable = false;
        if (_reading is not { Role: ReceiveBytes or ReceiveInto } node)
        {
            // The waiter was cancelled after the receive was handed over: the next receive gets the bytes.
            if (result > 0)
            {
                _keptForNext = _ring.Received(result).ToArray();
            }

            return;
        }

        if (result < 0)
        {
            if (node.Role == ReceiveInto)
            {
                _readBuffer = default;
            }

            FailWaiter(ref _reading, node, SocketErrors.Exception(-result));
            return;
        }

        ReadOnlySpan<byte> received = _ring.Received(result);
        if (node.Role == ReceiveBytes)
        {
            // A receive that outlived a cancelled wait may have asked for more than this one does.
            int n = Math.Min(result, _readLimit);
            if (n < result)
            {
                _keptForNext = received[n..].ToArray();
            }

            Finish(ref _reading, (WaitNode<byte[]>)node, received[..n].ToArray());
        }
        else
        {
            int n = Math.Min(result, _readBuffer.Length);
            received[..n].CopyTo(_readBuffer.Span);
            if (n < result)
            {
                _keptForNext = received[n..].ToArray();
            }

            Filled(node, n);
            Finish(ref _reading, (WaitNode<int>)node, n);
        }
    }

    /// <inheritdoc/>
    internal override void PrefetchParts(int level)
    {
        if (level == 1)
        {
            CacheHints.Prefetch(_handle);
            CacheHints.Prefetch(_reading, 3);
        }
    }

    /// <summary>Registers the socket edge-triggered for reading and writing from now on; see the remarks.</summary>
    private void TurnEdgeTriggered()
    {
        _levelTriggered = false;
        _watchingWrites = false;

        // A receive that fills the caller's buffer exactly (sock_recv(1024) of a 1 KiB message) cannot
        // tell whether more is queued. With TCP_INQ each receive now also says how much is left; when
        // nothing is, the flag is cleared and the next receive parks at once. Safe with edge triggering:
        // bytes (or a FIN) arriving later raise a new edge, and after a FIN the kernel never reports 0 left.
        Loop.UpdateSource(this);
    }

    /// <summary>Makes the parked receive or accept, now that the socket is readable.</summary>
    private void ServeReader(WaitNode node)
    {
        switch (node.Role)
        {
            case ReceiveInto:
            {
                if (TryReceive(_readBuffer.Span, out int received, out SocketError error))
                {
                    Filled(node, received);
                    Finish(ref _reading, (WaitNode<int>)node, received);
                }
                else if (error != SocketError.WouldBlock)
                {
                    _readBuffer = default;
                    FailWaiter(ref _reading, node, new SocketException((int)error));
                }

                break;
            }

            case ReceiveBytes:
            {
                if (TryReceiveBytes(_readLimit, out byte[]? data, out SocketError error))
                {
                    Finish(ref _reading, (WaitNode<byte[]>)node, data!);
                }
                else if (error != SocketError.WouldBlock)
                {
                    FailWaiter(ref _reading, node, new SocketException((int)error));
                }

                break;
            }

            case ReceiveFrom:
            {
                if (TryReceiveFrom(_readBuffer.Span, out SocketReceiveFromResult result, out int errno))
                {
                    Filled(node, result.ReceivedBytes);
                    Finish(ref _reading, (WaitNode<SocketReceiveFromResult>)node, result);
                }
                else if (!SocketErrors.IsWouldBlock(errno))
                {
                    _readBuffer = default;
                    FailWaiter(ref _reading, node, SocketErrors.Exception(errno));
                }

                break;
            }

            case Accept:
            {
                if (TryAccept(out (Socket, EndPoint) accepted, out int errno))
                {
                    Finish(ref _reading, (WaitNode<(Socket, EndPoint)>)node, accepted);
                }
                else if (!SocketErrors.IsWouldBlock(errno))
                {
                    FailWaiter(ref _reading, node, SocketErrors.Exception(errno));
                }

                break;
            }
        }
    }

    /// <summary>Goes on with the parked send or connect, now that the socket is writable.</summary>
    private void ServeWriter(WaitNode node)
    {
        switch (node.Role)
        {
            case SendAll:
            {
                int n = SocketCalls.SendUntilBlocked(Fd, _writeData.Span, out int errno);
                _writeData = _writeData[n..];
                if (SocketErrors.IsWouldBlock(errno))
                {
                    Writable = false;
                    return;
                }

                if (errno != 0)
                {
                    _writeData = default;
                    FailWaiter(ref _writing, node, SocketErrors.Exception(errno));
                    return;
                }

                Finish(ref _writing, (WaitNode<int>)node, 0);
                break;
            }

            case SendTo:
            {
                if (TrySendTo(_writeData.Span, _writeAddress!, out int sent, out int errno))
                {
                    _writeData = default;
                    _writeAddress = null;
                    Finish(ref _writing, (WaitNode<int>)node, sent);
                }
                else if (!SocketErrors.IsWouldBlock(errno))
                {
                    _writeData = default;
                    _writeAddress = null;
                    FailWaiter(ref _writing, node, SocketErrors.Exception(errno));
                }

                break;
            }

            case Connect:
            {
                var error = (SocketError)(int)Socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                if (error == SocketError.Success)
                {
                    Finish(ref _writing, (WaitNode<int>)node, 0);
                }
                else
                {
                    FailWaiter(ref _writing, node, new SocketException((int)error));
                }

                break;
            }
        }
    }

    // ---- the system calls -----------------------------------------------------------------------

    private bool TryReceive(Span<byte> buffer, out int received, out SocketError error)
    {
        bool asks = _reportsQueued && (!_levelTriggered || (_probeCountdown == 0 && _lastReceiveFilled));
        int queued = -1;
        int errno;
        if (asks && _levelTriggered)
        {
            QueuedBytesProbes++;
        }

        received = asks
            ? SocketCalls.ReceiveReportingQueued(Fd, buffer, out queued, out errno)
            : SocketCalls.Receive(Fd, buffer, out errno);
        if (received < 0)
        {
            received = 0;
            error = SocketErrors.FromErrno(errno);
            if (error == SocketError.WouldBlock)
            {
                Readable = false;
            }

            return false;
        }

        error = SocketError.Success;
        _lastReceiveFilled = received == buffer.Length && received > 0;
        if (received == 0)
        {
            return true;
        }

        if (!_levelTriggered)
        {
            // Nothing left (TCP_INQ): the next receive parks at once.
            if (queued == 0)
            {
                Readable = false;
            }
        }
        else if (_isStream)
        {
            NoteLevelTriggeredReceive(asked: asks, queued);
        }

        return true;
    }

    /// <summary>After a stream receive that got bytes, while level-triggered: whether the next receive
    /// tries its call or parks, and when the next probe is due (see <see cref="_probeCountdown"/>). Whether
    /// it filled its request is <see cref="_lastReceiveFilled"/>.</summary>
    private void NoteLevelTriggeredReceive(bool asked, int queued)
    {
        bool filled = _lastReceiveFilled;
        if (filled && asked && queued > 0)
        {
            // More is queued: the next receive goes on at once, and asks again.
            _probeInterval = 1;
            return;
        }

        // Whatever is left, the next poll reports (see the remarks).
        Readable = false;
        if (!filled)
        {
            return;
        }

        if (asked)
        {
            _probeInterval = Math.Min(_probeInterval * 2, MaxProbeInterval);
            _probeCountdown = _probeInterval;
        }
        else if (_probeCountdown > 0)
        {
            // (At 0 already when the receive before this one did not fill its request: this one did,
            // so the next one asks.)
            _probeCountdown--;
        }
    }

    private bool TryReceiveBytes(int maxBytes, out byte[]? data, out SocketError error)
    {
        // asyncio's sock_recv returns bytes of the length received, not of the length asked for: the bytes
        // go into the loop's scratch buffer and are copied out at the length that came. A socket whose last
        // receive filled its request (sock_recv(1024) of 1 KiB messages) will likely fill the next one too,
        // so that one goes straight into an array of the length asked for, handed over as it is if filled.
        bool direct = _lastReceiveFilled;
        byte[] target = direct ? new byte[maxBytes] : Loop.SocketScratch(maxBytes);
        if (!TryReceive(target.AsSpan(0, maxBytes), out int received, out error))
        {
            data = null;
            return false;
        }

        data = direct && _lastReceiveFilled ? target : target.AsSpan(0, received).ToArray();
        return true;
    }

    private bool TryReceiveFrom(Span<byte> buffer, out SocketReceiveFromResult result, out int errno)
    {
        Span<byte> address = stackalloc byte[SocketAddresses.MaxSize];
        int received = SocketCalls.ReceiveFrom(Fd, buffer, address, out int length, out errno);
        if (received < 0)
        {
            if (SocketErrors.IsWouldBlock(errno))
            {
                Readable = false;
            }

            result = default;
            return false;
        }

        result = new SocketReceiveFromResult
        {
            ReceivedBytes = received,
            RemoteEndPoint = SocketAddresses.ToEndPoint(address[..length]),
        };
        return true;
    }

    private bool TrySendTo(ReadOnlySpan<byte> data, SocketAddress address, out int sent, out int errno)
    {
        sent = SocketCalls.SendTo(Fd, data, address, out errno);
        if (sent < 0)
        {
            if (SocketErrors.IsWouldBlock(errno))
            {
                Writable = false;
            }

            sent = 0;
            return false;
        }

        return true;
    }

    private bool TryAccept(out (Socket, EndPoint) accepted, out int errno)
    {
        Span<byte> address = stackalloc byte[SocketAddresses.MaxSize];
        int fd = SocketCalls.Accept(Fd, address, out int length, out errno);
        if (fd < 0)
        {
            if (SocketErrors.IsWouldBlock(errno))
            {
                Readable = false;
            }

            accepted = default;
            return false;
        }

        accepted = (new Socket(new SafeSocketHandle(fd, ownsHandle: true)), SocketAddresses.ToEndPoint(address[..length]));
        return true;
    }

    // ---- parking and finishing ------------------------------------------------------------------

    private WaitNode<T> ParkReader<T>(WaitNode<T> node, byte role)
    {
        node.Role = role;
        node.Status = WaitNode.Waiting;
        _reading = node;
        return node;
    }

    private WaitNode<T> ParkWriter<T>(WaitNode<T> node, byte role)
    {
        node.Role = role;
        node.Status = WaitNode.Waiting;
        _writing = node;
        if (_levelTriggered && !_watchingWrites)
        {
            _watchingWrites = true;
            Loop.UpdateSource(this);
        }

        return node;
    }

    private void CheckReaderFree()
    {
        // Checked before the system call too: a second receive must not take data meant for the first.
        if (_reading is not null)
        {
            throw new InvalidOperationException(
                "Another task is already receiving from (or accepting on) this socket; a socket serves one receive at a time.");
        }
    }

    private void CheckWriterFree()
    {
        if (_writing is not null)
        {
            throw new InvalidOperationException("Another task is already sending on this socket; a socket serves one send at a time.");
        }
    }

    private static void Finish<T>(ref WaitNode? waiting, WaitNode<T> node, T result)
    {
        waiting = null;
        node.Value = result;
        node.Grant();
    }

    private static void FailWaiter(ref WaitNode? waiting, WaitNode node, Exception error)
    {
        waiting = null;
        node.Fail(error);
    }

    /// <summary>Remembers which buffer <paramref name="node"/>'s receive filled (see <see cref="_filledBuffer"/>).</summary>
    private void Filled(WaitNode node, int received)
    {
        _filledBuffer = _readBuffer[..received];
        _filledBy = node;
        _readBuffer = default;
    }

    /// <summary>The bytes <paramref name="node"/>'s receive put in its buffer, copied; forgets the buffer.</summary>
    private byte[]? TakeFilled(WaitNode node)
    {
        if (!ReferenceEquals(_filledBy, node))
        {
            return null;
        }

        byte[] copy = _filledBuffer.ToArray();
        ForgetFilled();
        return copy;
    }

    private void ForgetFilled()
    {
        _filledBuffer = default;
        _filledBy = null;
    }

    private object? TakeKept()
    {
        object? kept = _keptForNext;
        _keptForNext = null;
        return kept;
    }

    private static int CopyKept(object kept, Span<byte> buffer)
    {
        var data = (byte[])kept;
        int n = Math.Min(data.Length, buffer.Length);
        data.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    private byte[] TakeFromKept(object kept, int maxBytes)
    {
        var data = (byte[])kept;
        if (data.Length <= maxBytes)
        {
            return data;
        }

        _keptForNext = data[maxBytes..];
        return data[..maxBytes];
    }

    // ---- waits ----------------------------------------------------------------------------------

    int IWaitOwner<int>.OnGranted(WaitNode<int> node)
    {
        Loop.RecentSocketWaits = this;
        if (_filledBy is not null)
        {
            ForgetFilled();
        }

        return node.Value;
    }

    byte[] IWaitOwner<byte[]>.OnGranted(WaitNode<byte[]> node)
    {
        // The coroutine resumes and will likely make its next call on this socket (see For).
        Loop.RecentSocketWaits = this;
        return node.Value!;
    }

    (Socket, EndPoint) IWaitOwner<(Socket, EndPoint)>.OnGranted(WaitNode<(Socket, EndPoint)> node) => node.Value;

    SocketReceiveFromResult IWaitOwner<SocketReceiveFromResult>.OnGranted(WaitNode<SocketReceiveFromResult> node)
    {
        ForgetFilled();
        return node.Value;
    }

    bool IWaitOwner.CancelWaiting(WaitNode node, string? message)
    {
        // Nothing was received into the buffer, nothing accepted: forget the operation's parameters so
        // the buffer is not touched after the task moved on.
        if (ReferenceEquals(node, _reading))
        {
            _reading = null;
            _readBuffer = default;

            // The ring may still deliver bytes; they are kept for the next receive (OnCompletion).
            _ring?.Cancel();
        }
        else
        {
            _writing = null;
            _writeData = default;
            _writeAddress = null;
        }

        node.EndCancelled(message);
        return true;
    }

    void IWaitOwner.OnAbandoned(WaitNode node)
    {
        // The operation completed, but its task was cancelled before it resumed: keep what it got for the
        // next one instead of losing it.
        switch (node.Role)
        {
            case ReceiveInto:
                if (TakeFilled(node) is { Length: > 0 } bytes)
                {
                    _keptForNext = bytes;
                }

                break;
            case ReceiveBytes:
                byte[] data = ((WaitNode<byte[]>)node).Value!;
                if (data.Length > 0)
                {
                    _keptForNext = data;
                }

                break;
            case ReceiveFrom:
                if (TakeFilled(node) is { } datagram)
                {
                    _keptForNext = new KeptDatagram(datagram, ((WaitNode<SocketReceiveFromResult>)node).Value.RemoteEndPoint);
                }

                break;
            case Accept:
                _keptForNext = ((WaitNode<(Socket, EndPoint)>)node).Value;
                break;
        }
    }

    string IWaitOwner.DescribeWait(WaitNode node) => node.Role switch
    {
        ReceiveInto or ReceiveBytes => $"sock_recv(fd {Fd})",
        ReceiveFrom => $"sock_recvfrom(fd {Fd})",
        Accept => $"sock_accept(fd {Fd})",
        SendAll => $"sock_sendall(fd {Fd})",
        SendTo => $"sock_sendto(fd {Fd})",
        _ => $"sock_connect(fd {Fd})",
    };

    void IWaitOwner<int>.Return(WaitNode<int> node) => _intNodes.Return(node);

    void IWaitOwner<byte[]>.Return(WaitNode<byte[]> node) => _bytesNodes.Return(node);

    void IWaitOwner<(Socket, EndPoint)>.Return(WaitNode<(Socket, EndPoint)> node) => _acceptNodes.Return(node);

    void IWaitOwner<SocketReceiveFromResult>.Return(WaitNode<SocketReceiveFromResult> node) => _fromNodes.Return(node);

    /// <summary>A datagram kept for the next receive.</summary>
    private sealed record KeptDatagram(byte[] Data, EndPoint From);
}
