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

    private readonly Dictionary<int, FdWatch> _fds = new();
    private IReadinessSink? _ioSinkInstance;
    private int _ioCount;

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
        _ioCount = _fds.Count;
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
        _ioCount = _fds.Count;
        return true;
    }

    private void CloseIo()
    {
        foreach (KeyValuePair<int, FdWatch> pair in _fds)
        {
            _reactor.Update(pair.Key, pair.Value.Interest, IoInterest.None, (ulong)pair.Key);
        }

        _fds.Clear();
        _ioCount = 0;
    }

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
        public void OnReady(ulong token, IoInterest ready)
        {
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
