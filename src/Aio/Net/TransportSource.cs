using System.Net.Sockets;
using Aio.Diagnostics;
using Aio.Reactor;

namespace Aio.Net;

/// <summary>
/// A transport's registration with the loop's reactor, and the life cycle every transport over one
/// descriptor shares: the protocol's <c>ConnectionMade</c> first, in a later turn; a close that waits for
/// the unsent bytes, an abort or fatal error that drops them; <c>ConnectionLost</c> once and last, with the
/// descriptor off the reactor before it is scheduled and released exactly once after it runs.
/// </summary>
/// <remarks>
/// <para>A stream transport derives from the public <see cref="Transport"/> and a datagram transport from
/// <see cref="DatagramTransport"/>, so what they share cannot be a base class of theirs. Each holds its
/// source instead, a nested sealed subclass that supplies what differs: the protocol's calls, what an
/// abort drops, whom to tell at the end.</para>
/// <para>The transports' read and write paths only read the flags here; the virtual members run once per
/// connection or on an error.</para>
/// </remarks>
internal abstract class TransportSource : IoSource, ILoopResource
{
    private static readonly Action<object?, object?> s_connectionMade = static (s, _) => ((TransportSource)s!).RunConnectionMade();
    private static readonly Action<object?, object?> s_connectionLost = static (s, e) => ((TransportSource)s!).RunConnectionLost((Exception?)e);

    private readonly Socket? _socket;
    private bool _descriptorReleased;

    /// <summary>The source of a socket's transport. The transport is a loop resource of its own (see
    /// <see cref="ILoopResource"/>); the socket is disposed after <c>ConnectionLost</c>.</summary>
    private protected TransportSource(EventLoop loop, Socket socket)
        : base(loop, (int)socket.Handle)
    {
        _socket = socket;
    }

    /// <summary>The source of a pipe end's transport, which owns <paramref name="fd"/>. The subprocess the
    /// pipe belongs to is the loop resource, not the transport.</summary>
    private protected TransportSource(EventLoop loop, int fd)
        : base(loop, fd)
    {
    }

    /// <summary>Whether the protocol's <c>ConnectionMade</c> has run; nothing is read before it.</summary>
    internal bool IsStarted { get; private set; }

    /// <summary>Whether the transport is closing or closed; asyncio's <c>is_closing()</c>. Set by
    /// <see cref="Close"/> and <see cref="ForceClose"/>; a read pipe also sets it at the end of its
    /// stream, before the protocol hears of it.</summary>
    internal bool IsClosing { get; set; }

    /// <summary>Whether <c>ConnectionLost</c> is scheduled: the descriptor is off the reactor, and nothing
    /// is read or sent any more.</summary>
    internal bool IsConnectionLost { get; private set; }

    /// <summary>Registers the descriptor and schedules the protocol's <c>ConnectionMade</c>.</summary>
    internal void Start()
    {
        Loop.RegisterSource(this);
        if (_socket is not null)
        {
            Loop.TrackResource(this);
        }

        Loop.Ready.Enqueue(s_connectionMade, this, null);
    }

    /// <summary>asyncio's <c>close()</c>: closing from now on, and <c>ConnectionLost</c> follows — at once,
    /// or, when <paramref name="sendFirst"/>, once the transport's flush has sent the rest (it then calls
    /// <see cref="ScheduleConnectionLost"/>).</summary>
    /// <param name="sendFirst">Whether unsent bytes still wait.</param>
    internal void Close(bool sendFirst)
    {
        Loop.CheckThread();
        if (IsClosing)
        {
            return;
        }

        IsClosing = true;
        if (!sendFirst)
        {
            ScheduleConnectionLost(null);
        }
    }

    /// <summary>asyncio's <c>abort()</c>.</summary>
    internal void Abort()
    {
        Loop.CheckThread();
        ForceClose(null);
    }

    /// <summary>Closes at once, dropping what waits to be sent; asyncio's <c>_force_close()</c>.</summary>
    /// <param name="exception">What <c>ConnectionLost</c> gets.</param>
    internal void ForceClose(Exception? exception)
    {
        if (IsConnectionLost)
        {
            return;
        }

        DropUnsent();
        IsClosing = true;
        ScheduleConnectionLost(exception);
    }

    /// <summary>Reports <paramref name="exception"/> to the loop's exception handler (unless it is how a
    /// connection of this kind ordinarily ends, and the loop is not in debug mode) and closes at once;
    /// asyncio's <c>_fatal_error()</c>.</summary>
    /// <param name="exception">The error, from the descriptor or from a protocol callback.</param>
    /// <param name="message">What failed.</param>
    internal void FatalError(Exception exception, string message)
    {
        if (!IsOrdinaryEnd(exception) || Loop.Debug)
        {
            ReportError(exception, message);
        }

        ForceClose(exception);
    }

    /// <summary>Reports <paramref name="exception"/> to the loop's exception handler, naming the
    /// transport; the transport stays open.</summary>
    /// <param name="exception">The error, usually a protocol callback's.</param>
    /// <param name="message">What failed.</param>
    internal void ReportError(Exception exception, string message) =>
        Loop.CallExceptionHandler(new LoopExceptionContext($"{message}: {Describe()}", exception));

    /// <summary>Takes the descriptor off the reactor and schedules <c>ConnectionLost</c>, the first time
    /// only.</summary>
    /// <param name="exception">What <c>ConnectionLost</c> gets.</param>
    internal void ScheduleConnectionLost(Exception? exception)
    {
        if (IsConnectionLost)
        {
            return;
        }

        IsConnectionLost = true;
        Loop.DeregisterSource(this);
        Loop.Ready.Enqueue(s_connectionLost, this, exception);
    }

    /// <summary>What to call the transport in a report, such as <c>transport fd=12 127.0.0.1:8080</c>.</summary>
    /// <returns>The description.</returns>
    public abstract string Describe();

    /// <summary>The loop closes with the transport open. A socket is left to its finalizer, but a pipe's
    /// bare descriptor would stay open for good, and nothing will read or write it any more.</summary>
    internal override void OnLoopClosing()
    {
        if (_socket is null)
        {
            ReleaseDescriptor();
        }
    }

    /// <summary>Calls the protocol's <c>ConnectionMade</c>; an exception it throws is a fatal error.</summary>
    private protected abstract void NotifyConnectionMade();

    /// <summary>Schedules the first read, if something waits, once the protocol knows the connection.</summary>
    private protected virtual void StartReading()
    {
    }

    /// <summary>Calls the protocol's <c>ConnectionLost</c>.</summary>
    /// <param name="exception">Why the connection was lost; null for a close.</param>
    private protected abstract void NotifyConnectionLost(Exception? exception);

    /// <summary>Drops what waits to be sent: the transport closes at once.</summary>
    private protected virtual void DropUnsent()
    {
    }

    /// <summary>Whether <paramref name="exception"/> is how a connection of this kind ordinarily ends (a
    /// peer that resets, a process that closes its pipe): asyncio reports those only in debug mode.</summary>
    /// <param name="exception">The error.</param>
    /// <returns>True to report it only in debug mode.</returns>
    private protected virtual bool IsOrdinaryEnd(Exception exception) => false;

    /// <summary>The transport is done: <c>ConnectionLost</c> ran and the descriptor is released. Tells
    /// whoever waits for it (a server, a subprocess).</summary>
    private protected virtual void OnReleased()
    {
    }

    private void RunConnectionMade()
    {
        // Always first, even when the transport was closed meanwhile: ConnectionLost follows it in the
        // ready queue, so the protocol sees the pair in order, as in asyncio.
        IsStarted = true;
        try
        {
            NotifyConnectionMade();
        }
        catch (Exception e)
        {
            FatalError(e, "Fatal error: protocol.ConnectionMade() call failed.");
            return;
        }

        StartReading();
    }

    private void RunConnectionLost(Exception? exception)
    {
        try
        {
            if (IsStarted)
            {
                NotifyConnectionLost(exception);
            }
        }
        finally
        {
            ReleaseDescriptor();
            if (_socket is not null)
            {
                Loop.UntrackResource(this);
            }

            OnReleased();
        }
    }

    /// <summary>Closes the descriptor, once: a second <c>close</c> could hit another file that got the same
    /// number meanwhile.</summary>
    private void ReleaseDescriptor()
    {
        if (_descriptorReleased)
        {
            return;
        }

        _descriptorReleased = true;
        if (_socket is not null)
        {
            _socket.Dispose();
        }
        else
        {
            Libc.close(Fd);
        }
    }
}
