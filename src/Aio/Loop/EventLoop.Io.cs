using System.ComponentModel;
using System.Net.Sockets;
using Aio.Reactor;

namespace Aio;

public sealed partial class EventLoop
{
    private static readonly Action<object?, object?> s_runIoCallback = static (cb, loop) =>
    {
        using (new PlainCallbackScope((EventLoop)loop!))
        {
            ((IoCallback)cb!).Run();
        }
    };

    /// <summary>Marks a readiness token as a source's (see <see cref="RegisterSource"/>): bits 0–31 hold
    /// the descriptor, bits 32–61 the registration's generation.</summary>
    private const ulong SourceTokenFlag = 1UL << 62;

    private readonly Dictionary<int, FdWatch> _fds = new();
    private IReadinessSink? _ioSinkInstance;
    private int _ioCount;

    /// <summary>The registered sources, indexed by descriptor (descriptors are small integers).</summary>
    private IoSource?[] _sources = [];
    private int _sourceCount;
    private uint _sourceGeneration;

    private IReadinessSink ReadinessSink => _ioSinkInstance ??= new IoSink(this);

    /// <summary>How many descriptors are watched.</summary>
    internal int WatchedDescriptorCount => _fds.Count;

    /// <summary>
    /// Calls <paramref name="callback"/> on the loop whenever <paramref name="fd"/> is readable, until
    /// <see cref="RemoveReader(int)"/>; asyncio's <c>add_reader</c>. Replaces an earlier reader of the
    /// same descriptor. Level-triggered: the callback runs on every iteration while data is waiting.
    /// </summary>
    /// <param name="fd">A non-blocking file descriptor.</param>
    /// <param name="callback">The callback.</param>
    /// <remarks>Loop thread only.</remarks>
    public void AddReader(int fd, Action callback) => Watch(fd, callback, IoInterest.Read);

    /// <summary>Stops watching <paramref name="fd"/> for reading; asyncio's <c>remove_reader</c>.</summary>
    /// <param name="fd">The descriptor.</param>
    /// <returns>Whether a reader was registered.</returns>
    /// <remarks>Loop thread only.</remarks>
    public bool RemoveReader(int fd) => Unwatch(fd, IoInterest.Read);

    /// <summary>Calls <paramref name="callback"/> on the loop whenever <paramref name="fd"/> is writable;
    /// asyncio's <c>add_writer</c>.</summary>
    /// <param name="fd">A non-blocking file descriptor.</param>
    /// <param name="callback">The callback.</param>
    /// <remarks>Loop thread only.</remarks>
    public void AddWriter(int fd, Action callback) => Watch(fd, callback, IoInterest.Write);

    /// <summary>Stops watching <paramref name="fd"/> for writing; asyncio's <c>remove_writer</c>.</summary>
    /// <param name="fd">The descriptor.</param>
    /// <returns>Whether a writer was registered.</returns>
    /// <remarks>Loop thread only.</remarks>
    public bool RemoveWriter(int fd) => Unwatch(fd, IoInterest.Write);

    /// <summary>Calls <paramref name="callback"/> whenever <paramref name="socket"/> is readable.</summary>
    /// <param name="socket">A socket; it is made non-blocking.</param>
    /// <param name="callback">The callback.</param>
    /// <remarks>Loop thread only.</remarks>
    public void AddReader(Socket socket, Action callback) => AddReader(DescriptorOf(socket), callback);

    /// <summary>Stops watching <paramref name="socket"/> for reading.</summary>
    /// <param name="socket">The socket.</param>
    /// <returns>Whether a reader was registered.</returns>
    public bool RemoveReader(Socket socket) => RemoveReader(DescriptorOf(socket));

    /// <summary>Calls <paramref name="callback"/> whenever <paramref name="socket"/> is writable.</summary>
    /// <param name="socket">A socket; it is made non-blocking.</param>
    /// <param name="callback">The callback.</param>
    /// <remarks>Loop thread only.</remarks>
    public void AddWriter(Socket socket, Action callback) => AddWriter(DescriptorOf(socket), callback);

    /// <summary>Stops watching <paramref name="socket"/> for writing.</summary>
    /// <param name="socket">The socket.</param>
    /// <returns>Whether a writer was registered.</returns>
    public bool RemoveWriter(Socket socket) => RemoveWriter(DescriptorOf(socket));

    private static int DescriptorOf(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        socket.Blocking = false;
        return (int)socket.Handle;
    }

    private void Watch(int fd, Action callback, IoInterest which)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        CheckThread();
        CheckClosed();
        if (SourceOf(fd) is { } source)
        {
            throw new InvalidOperationException(
                $"File descriptor {fd} is used by {source}; it cannot also have reader or writer callbacks.");
        }
        bool isNew = !_fds.TryGetValue(fd, out FdWatch? watch);
        watch ??= new FdWatch();
        IoInterest previous = watch.Interest;
        IoInterest wanted = previous | which;
        if (wanted != previous)
        {
            // Ask the reactor first: a descriptor it refuses (a regular file, a closed one) is reported
            // to the caller and leaves nothing registered, as selectors do.
            _reactor.Update(fd, previous, wanted, (ulong)fd);
        }

        if (isNew)
        {
            _fds.Add(fd, watch);
        }

        var registration = new IoCallback(callback);
        if (which == IoInterest.Read)
        {
            watch.Reader?.Cancel();
            watch.Reader = registration;
        }
        else
        {
            watch.Writer?.Cancel();
            watch.Writer = registration;
        }

        watch.Interest = wanted;
        _ioCount = _fds.Count + _sourceCount;
    }

    private bool Unwatch(int fd, IoInterest which)
    {
        CheckThread();
        if (_closed || !_fds.TryGetValue(fd, out FdWatch? watch) || (watch.Interest & which) == 0)
        {
            return false;
        }

        IoInterest previous = watch.Interest;
        watch.Interest &= ~which;
        if (which == IoInterest.Read)
        {
            watch.Reader!.Cancel();
            watch.Reader = null;
        }
        else
        {
            watch.Writer!.Cancel();
            watch.Writer = null;
        }

        if (watch.Interest == IoInterest.None)
        {
            _fds.Remove(fd);
        }

        _reactor.Update(fd, previous, watch.Interest, (ulong)fd);
        _ioCount = _fds.Count + _sourceCount;
        return true;
    }

    /// <summary>A buffer the loop's socket receives fill before copying out what came; grown on demand.</summary>
    private byte[] _socketScratch = [];

    /// <summary>The loop's scratch buffer for socket receives, at least <paramref name="size"/> bytes.</summary>
    internal byte[] SocketScratch(int size)
    {
        if (_socketScratch.Length < size)
        {
            _socketScratch = new byte[Math.Max(size, 4096)];
        }

        return _socketScratch;
    }

    private void CloseIo()
    {
        foreach (KeyValuePair<int, FdWatch> pair in _fds)
        {
            _reactor.Update(pair.Key, pair.Value.Interest, IoInterest.None, (ulong)pair.Key);
        }

        _fds.Clear();
        for (int fd = 0; fd < _sources.Length; fd++)
        {
            if (_sources[fd] is { } source)
            {
                source.OnLoopClosing();
                DeregisterSource(source);
            }
        }

        _ioCount = 0;
    }

    // ---- sources: descriptors registered once, for as long as they are in use (see IoSource) ---------

    /// <summary>The record of the socket a <c>sock_*</c> call last used, or whose waiting call last
    /// resumed: a coroutine that receives and then sends, as the seed's echo does, finds its socket's record
    /// here at both calls (see <see cref="Sockets.SocketWaits.For"/>). Only ever a registered source; cleared
    /// when that source is replaced or deregistered.</summary>
    internal Sockets.SocketWaits? RecentSocketWaits;

    /// <summary>The source registered for <paramref name="fd"/>, if any.</summary>
    internal IoSource? SourceOf(int fd) => (uint)fd < (uint)_sources.Length ? _sources[fd] : null;

    /// <summary>Registers <paramref name="source"/> with the reactor for what it asks to be watched for
    /// (<see cref="IoSource.Interest"/>). A source already registered for the same descriptor is replaced:
    /// its descriptor was closed (the number was reused), which the caller has checked.</summary>
    /// <exception cref="InvalidOperationException">The descriptor has reader or writer callbacks.</exception>
    internal void RegisterSource(IoSource source)
    {
        CheckThread();
        CheckClosed();
        int fd = source.Fd;
        if (_fds.ContainsKey(fd))
        {
            throw new InvalidOperationException(
                $"File descriptor {fd} has reader or writer callbacks (AddReader/AddWriter); remove them before using it for socket operations.");
        }

        if (fd >= _sources.Length)
        {
            Array.Resize(ref _sources, Math.Max(fd + 1, Math.Max(64, _sources.Length * 2)));
        }

        IoSource? previous = _sources[fd];
        if (previous is not null)
        {
            // Its descriptor was closed, so epoll forgot it; the new registration below is an ADD (or a
            // MOD when the closed one's duplicate keeps the description alive).
            previous.IsRegistered = false;
            _sourceCount--;
            ForgetRecent(previous);
        }

        source.Generation = ++_sourceGeneration & 0x3FFF_FFFF;
        _reactor.Update(fd, IoInterest.None, source.Interest, TokenOf(source));
        _sources[fd] = source;
        source.IsRegistered = true;
        _sourceCount++;
        _ioCount = _fds.Count + _sourceCount;
    }

    /// <summary>Tells the reactor that <paramref name="source"/>'s <see cref="IoSource.Interest"/> changed
    /// (<c>EPOLL_CTL_MOD</c>).</summary>
    /// <remarks>Called from readiness reports too, so a failure is not thrown: the descriptor was closed
    /// under the source, and what it was watched for no longer matters.</remarks>
    internal void UpdateSource(IoSource source)
    {
        if (!source.IsRegistered)
        {
            return;
        }

        try
        {
            _reactor.Update(source.Fd, IoInterest.ReadWrite, source.Interest, TokenOf(source));
        }
        catch (Win32Exception)
        {
            // EBADF, or EPERM for a file that took the number: there is nothing of the source to watch.
        }
    }

    /// <summary>Removes <paramref name="source"/> from the reactor, before its descriptor is closed.</summary>
    internal void DeregisterSource(IoSource source)
    {
        if (!source.IsRegistered)
        {
            return;
        }

        source.IsRegistered = false;
        ForgetRecent(source);
        int fd = source.Fd;
        if (ReferenceEquals(SourceOf(fd), source))
        {
            _sources[fd] = null;
            _sourceCount--;
            _reactor.Update(fd, IoInterest.ReadWrite, IoInterest.None, TokenOf(source));
        }

        _ioCount = _fds.Count + _sourceCount;
    }

    private void ForgetRecent(IoSource source)
    {
        if (ReferenceEquals(RecentSocketWaits, source))
        {
            RecentSocketWaits = null;
        }
    }

    // ---- receives through the ring ----------------------------------------------------------------

    /// <summary>The sources with a ring number, by number: a ring completion names its source by it
    /// rather than by descriptor, whose number another socket may have taken by the time it completes.</summary>
    private IoSource?[] _ringOwners = [];
    private int[] _freeRingSlots = [];
    private int _freeRingSlotCount;
    private int _ringOwnerCount;

    /// <summary>Where <see cref="SweepRingReceivers"/> goes on next.</summary>
    private int _ringSweepNext;

    /// <summary>How long a loop with receives in the ring sleeps at most before it looks for sockets closed
    /// under them (see <see cref="Sockets.SocketWaits.CheckClosedUnderRing"/>).</summary>
    private const long RingSweepIntervalNanoseconds = 1_000_000_000;

    /// <summary>Whether stream receives that must wait go to the kernel's ring in this run (see
    /// <see cref="EventLoopOptions.UseIoUring"/>). Never under a test's virtual clock, whose idle waits
    /// the ring's periodic sweep would shorten.</summary>
    internal bool CanReceiveThroughRing => _driver is null && _reactor.CanReceiveThroughRing;

    /// <summary>A ring number for <paramref name="owner"/>, until <see cref="ReleaseRingSlot"/>.</summary>
    internal int TakeRingSlot(IoSource owner)
    {
        int slot;
        if (_freeRingSlotCount > 0)
        {
            slot = _freeRingSlots[--_freeRingSlotCount];
        }
        else
        {
            if (_ringOwnerCount == _ringOwners.Length)
            {
                Array.Resize(ref _ringOwners, Math.Max(16, _ringOwners.Length * 2));
            }

            slot = _ringOwnerCount++;
        }

        _ringOwners[slot] = owner;
        return slot;
    }

    internal void ReleaseRingSlot(int slot)
    {
        _ringOwners[slot] = null;
        if (_freeRingSlotCount == _freeRingSlots.Length)
        {
            Array.Resize(ref _freeRingSlots, Math.Max(16, _freeRingSlots.Length * 2));
        }

        _freeRingSlots[_freeRingSlotCount++] = slot;
    }

    /// <summary>See <see cref="IReactor.PrepareRingReceive"/>; the completion goes to the owner of
    /// <paramref name="slot"/>.</summary>
    internal unsafe void PrepareRingReceive(int fd, byte* buffer, int length, int slot) =>
        _reactor.PrepareRingReceive(fd, buffer, length, (ulong)slot);

    /// <summary>The most a receive through the ring asks for: its bytes land in the socket's own buffer
    /// (see <see cref="Sockets.SocketWaits"/>), so a larger receive waits for epoll instead, into the
    /// loop's shared scratch buffer, rather than make every socket keep that much memory.</summary>
    internal const int RingReceiveLimit = 4096;

    /// <summary>Cancels the ring operation of <paramref name="slot"/>; it completes all the same.</summary>
    internal void CancelRingOperation(int slot)
    {
        if (_reactor.CanReceiveThroughRing)
        {
            _reactor.CancelRingOperation((ulong)slot);
        }
    }

    /// <summary>Looks at up to <paramref name="count"/> ring owners (all of them with a negative count) for
    /// sockets closed while the ring held a receive of them, and cancels those receives.</summary>
    internal void SweepRingReceivers(int count)
    {
        int owners = _ringOwnerCount;
        if (count < 0 || count > owners)
        {
            count = owners;
        }

        for (int i = 0; i < count; i++)
        {
            if (_ringSweepNext >= owners)
            {
                _ringSweepNext = 0;
            }

            (_ringOwners[_ringSweepNext++] as Sockets.SocketWaits)?.CheckClosedUnderRing();
        }
    }

    private static ulong TokenOf(IoSource source) => SourceTokenFlag | ((ulong)source.Generation << 32) | (uint)source.Fd;

    /// <summary>The callbacks watching one descriptor.</summary>
    private sealed class FdWatch
    {
        public IoCallback? Reader;
        public IoCallback? Writer;
        public IoInterest Interest;
    }

    /// <summary>One add_reader / add_writer registration, asyncio's reader <c>Handle</c>. Removing or
    /// replacing the callback cancels the registration, so a readiness already queued in this iteration
    /// does not run a callback that was removed — possibly on a descriptor closed meanwhile.</summary>
    private sealed class IoCallback(Action callback)
    {
        private Action? _callback = callback;

        /// <summary>The callback, until removed; for reports.</summary>
        public Action? Callback => _callback;

        public void Cancel() => _callback = null;

        public void Run() => _callback?.Invoke();
    }

    /// <summary>Turns readiness into ready-queue entries, as asyncio's <c>_process_events</c> does.</summary>
    private sealed class IoSink(EventLoop loop) : IReadinessSink
    {
        public void Prefetch(ulong token, int level)
        {
            if ((token & SourceTokenFlag) == 0)
            {
                return;
            }

            IoSource? source = loop.SourceOf((int)(uint)token);
            if (level == 0)
            {
                CacheHints.Prefetch(source, 3);
            }
            else
            {
                source?.PrefetchParts(level);
            }
        }

        public void OnCompletion(ulong userData, int result) => loop._ringOwners[(int)userData]?.OnCompletion(result);

        public void OnReady(ulong token, IoInterest ready)
        {
            if ((token & SourceTokenFlag) != 0)
            {
                int fd = (int)(uint)token;
                if (loop.SourceOf(fd) is { } source && source.Generation == (uint)((token >> 32) & 0x3FFF_FFFF))
                {
                    if ((ready & IoInterest.Read) != 0)
                    {
                        source.Readable = true;
                    }

                    if ((ready & IoInterest.Write) != 0)
                    {
                        source.Writable = true;
                    }

                    if ((ready & IoInterest.Hangup) != 0)
                    {
                        source.PeerClosed = true;
                    }

                    source.OnReady(ready);
                }

                return;
            }

            if (!loop._fds.TryGetValue((int)token, out FdWatch? watch))
            {
                return;
            }

            if ((ready & IoInterest.Read) != 0 && watch.Reader is { } reader)
            {
                loop.Ready.Enqueue(s_runIoCallback, reader, loop);
            }

            if ((ready & IoInterest.Write) != 0 && watch.Writer is { } writer)
            {
                loop.Ready.Enqueue(s_runIoCallback, writer, loop);
            }
        }
    }
}
