using System.Runtime.InteropServices;
using Aio.Reactor;

namespace Aio.Sockets;

/// <summary>
/// A source's receive through the loop's ring (see <see cref="EventLoopOptions.UseIoUring"/>): the buffer
/// the kernel writes into, the loop's number for the source that names its completions, and whether a
/// receive is with the kernel — which decides when the buffer and the number may be let go.
/// </summary>
/// <remarks>
/// The buffer is native memory, the source's own: the kernel writes into it after the call that asked, and
/// a managed array would have to stay pinned all that time. It is made at the first receive, of the size
/// asked for, and grows if a later receive asks for more (never beyond what the owner allows).
/// </remarks>
internal sealed unsafe class RingReceive
{
    private readonly EventLoop _loop;
    private readonly IoSource _owner;
    private byte* _buffer;
    private int _bufferSize;
    private int _slot = -1;

    internal RingReceive(EventLoop loop, IoSource owner)
    {
        _loop = loop;
        _owner = owner;
    }

    /// <summary>Whether a receive is with the kernel, which may still write into the buffer.</summary>
    internal bool Pending { get; private set; }

    /// <summary>Whether the pending receive was asked to cancel.</summary>
    private bool _cancelled;

    /// <summary>Whether the owner is done with it: what is held goes when the pending receive completes.</summary>
    private bool _dropped;

    /// <summary>Hands a receive of up to <paramref name="length"/> bytes from <paramref name="fd"/> to the
    /// ring; its completion reaches the owner's <see cref="IoSource.OnCompletion"/>, which calls
    /// <see cref="Completed"/> first.</summary>
    internal void Submit(int fd, int length)
    {
        if (_bufferSize < length)
        {
            NativeMemory.Free(_buffer);
            _buffer = (byte*)NativeMemory.Alloc((nuint)length);
            _bufferSize = length;
        }

        if (_slot < 0)
        {
            _slot = _loop.TakeRingSlot(_owner);
        }

        _loop.PrepareRingReceive(fd, _buffer, length, _slot);
        Pending = true;
        _cancelled = false;
    }

    /// <summary>Asks the kernel to give the pending receive up; it completes all the same, with ECANCELED
    /// or with what it got first.</summary>
    internal void Cancel()
    {
        if (Pending && !_cancelled)
        {
            _cancelled = true;
            _loop.CancelRingOperation(_slot);
        }
    }

    /// <summary>The receive completed: false when the owner is done with it (<see cref="Drop"/>) and
    /// nothing is left to do, the buffer and the number being released now.</summary>
    internal bool Completed()
    {
        Pending = false;
        if (_dropped)
        {
            Release();
            return false;
        }

        return true;
    }

    /// <summary>The first <paramref name="length"/> bytes of the buffer: what a completed receive got,
    /// until the next <see cref="Submit"/>.</summary>
    internal ReadOnlySpan<byte> Received(int length) => new(_buffer, length);

    /// <summary>The owner is done with it: releases the buffer and the number now, or — while a receive is
    /// with the kernel, which is cancelled — when that receive completes.</summary>
    internal void Drop()
    {
        if (Pending)
        {
            _dropped = true;
            Cancel();
            return;
        }

        Release();
    }

    private void Release()
    {
        NativeMemory.Free(_buffer);
        _buffer = null;
        _bufferSize = 0;
        if (_slot >= 0)
        {
            _loop.ReleaseRingSlot(_slot);
            _slot = -1;
        }
    }
}
