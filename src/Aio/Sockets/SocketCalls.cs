using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Aio.Reactor;

namespace Aio.Sockets;

/// <summary>
/// The socket calls the loop makes on a descriptor itself rather than through
/// <see cref="System.Net.Sockets.Socket"/>, which throws on "would block" for accept, receive-from and
/// send-to, and adds argument checks, a reference count and a second native wrapper to every send and
/// receive. Each retries a call a signal interrupted, and reports failure as an errno rather than an
/// exception, so that a caller distinguishes "would block" at no cost.
/// </summary>
internal static unsafe class SocketCalls
{
    private const int ConnectionAborted = 103;

    /// <summary>Accepts a pending connection, non-blocking and close-on-exec (<c>accept4</c>).</summary>
    /// <param name="listener">The listening socket's descriptor.</param>
    /// <param name="address">Where to put the peer's <c>sockaddr</c>; empty when the caller has no use for it.</param>
    /// <param name="addressLength">How much of <paramref name="address"/> was written.</param>
    /// <param name="errno">The error, when the result is -1.</param>
    /// <returns>The connection's descriptor, or -1. A connection reset while it waited in the backlog
    /// (ECONNABORTED) is skipped for the next one, as asyncio does.</returns>
    internal static int Accept(int listener, Span<byte> address, out int addressLength, out int errno)
    {
        fixed (byte* a = address)
        {
            while (true)
            {
                int length = address.Length;
                int fd = Libc.accept4(listener, a, address.IsEmpty ? null : &length, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
                if (fd >= 0)
                {
                    addressLength = address.IsEmpty ? 0 : length;
                    errno = 0;
                    return fd;
                }

                errno = Marshal.GetLastPInvokeError();
                if (!SocketErrors.IsInterrupted(errno) && errno != ConnectionAborted)
                {
                    addressLength = 0;
                    return -1;
                }
            }
        }
    }

    /// <summary>Receives a datagram and its sender's address (<c>recvfrom</c>).</summary>
    /// <param name="fd">The socket's descriptor.</param>
    /// <param name="buffer">Where to put the datagram.</param>
    /// <param name="address">Where to put the sender's <c>sockaddr</c> (<see cref="SocketAddresses.MaxSize"/> bytes);
    /// empty when the caller has no use for it (a connected socket's <c>recv</c>).</param>
    /// <param name="addressLength">How much of <paramref name="address"/> was written.</param>
    /// <param name="errno">The error, when the result is -1.</param>
    /// <returns>How many bytes were received, or -1.</returns>
    internal static int ReceiveFrom(int fd, Span<byte> buffer, Span<byte> address, out int addressLength, out int errno)
    {
        fixed (byte* p = buffer)
        fixed (byte* a = address)
        {
            while (true)
            {
                int length = address.Length;
                nint n = Libc.ReceiveFrom(fd, p, buffer.Length, 0, a, address.IsEmpty ? null : &length);
                if (n >= 0)
                {
                    addressLength = address.IsEmpty ? 0 : length;
                    errno = 0;
                    return (int)n;
                }

                errno = Marshal.GetLastSystemError();
                if (!SocketErrors.IsInterrupted(errno))
                {
                    addressLength = 0;
                    return -1;
                }
            }
        }
    }

    /// <summary>Receives on a connected socket (<c>recv</c>).</summary>
    /// <param name="socket">The socket's handle. Once it is closed the result is EBADF, whatever
    /// descriptor has since taken its number.</param>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="errno">The error, when the result is -1.</param>
    /// <returns>How many bytes were received (0 at the end of the stream), or -1.</returns>
    internal static int Receive(SafeSocketHandle socket, Span<byte> buffer, out int errno)
    {
        if (socket.IsClosed)
        {
            errno = Libc.EBADF;
            return -1;
        }

        return Receive((int)socket.DangerousGetHandle(), buffer, out errno);
    }

    /// <summary>Receives on a connected socket (<c>recv</c>), by descriptor.</summary>
    /// <param name="fd">The socket's descriptor.</param>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="errno">The error, when the result is -1.</param>
    /// <returns>How many bytes were received (0 at the end of the stream), or -1.</returns>
    internal static int Receive(int fd, Span<byte> buffer, out int errno) =>
        ReceiveFrom(fd, buffer, default, out _, out errno);

    /// <summary>Sends as much of <paramref name="data"/> on a connected socket as the kernel takes, without
    /// raising SIGPIPE: <c>sendto</c> until all of it is sent, the socket would block, or a call fails.</summary>
    /// <param name="fd">The socket's descriptor.</param>
    /// <param name="data">The bytes.</param>
    /// <param name="errno">0 when all of <paramref name="data"/> was sent; EAGAIN when the socket would block;
    /// otherwise the error that stopped the sending.</param>
    /// <returns>How many bytes were sent, whatever stopped the sending.</returns>
    internal static int SendUntilBlocked(int fd, ReadOnlySpan<byte> data, out int errno)
    {
        int total = 0;
        errno = 0;
        while (total < data.Length)
        {
            int n = SendTo(fd, data[total..], null, out errno);
            if (n < 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    /// <summary><see cref="SendUntilBlocked(int, ReadOnlySpan{byte}, out int)"/> on a socket's handle.</summary>
    /// <param name="socket">The socket's handle. Once it is closed nothing is sent and the error is EBADF,
    /// whatever descriptor has since taken its number.</param>
    /// <param name="data">The bytes.</param>
    /// <param name="errno">As for the descriptor's overload.</param>
    /// <returns>How many bytes were sent.</returns>
    internal static int SendUntilBlocked(SafeSocketHandle socket, ReadOnlySpan<byte> data, out int errno)
    {
        if (socket.IsClosed)
        {
            errno = Libc.EBADF;
            return 0;
        }

        return SendUntilBlocked((int)socket.DangerousGetHandle(), data, out errno);
    }

    /// <summary>Asks TCP to report, with each receive, how many bytes remain queued (<c>TCP_INQ</c>).</summary>
    /// <returns>False where the kernel or the socket does not offer it.</returns>
    internal static bool EnableQueuedBytesReport(int fd)
    {
        int on = 1;
        return Libc.setsockopt(fd, Libc.SOL_TCP, Libc.TCP_INQ, &on, sizeof(int)) == 0;
    }

    /// <summary>Receives on a stream socket set up with <see cref="EnableQueuedBytesReport"/>
    /// (<c>recvmsg</c>), learning at no extra cost whether the receive drained the socket.</summary>
    /// <param name="fd">The socket's descriptor.</param>
    /// <param name="buffer">Where to put the bytes.</param>
    /// <param name="queued">How many bytes the kernel still holds after this receive; -1 when it did not
    /// say. After the peer's FIN it is never 0, so that readers go on to see the end.</param>
    /// <param name="errno">The error, when the result is -1.</param>
    /// <returns>How many bytes were received (0 at the end of the stream), or -1.</returns>
    internal static int ReceiveReportingQueued(int fd, Span<byte> buffer, out int queued, out int errno)
    {
        fixed (byte* p = buffer)
        {
            Libc.IoVector vector = new() { Base = p, Length = (nuint)buffer.Length };
            Libc.IntControlMessage control = default;
            Libc.MessageHeader message = new()
            {
                Vectors = &vector,
                VectorCount = 1,
                Control = &control,
                ControlLength = (nuint)sizeof(Libc.IntControlMessage),
            };
            while (true)
            {
                nint n = Libc.ReceiveMessage(fd, &message, 0);
                if (n >= 0)
                {
                    queued = message.ControlLength >= (nuint)sizeof(Libc.IntControlMessage)
                        && control.Level == Libc.SOL_TCP && control.Type == Libc.TCP_CM_INQ
                            ? control.Value
                            : -1;
                    errno = 0;
                    return (int)n;
                }

                errno = Marshal.GetLastSystemError();
                if (!SocketErrors.IsInterrupted(errno))
                {
                    queued = -1;
                    return -1;
                }

                message.ControlLength = (nuint)sizeof(Libc.IntControlMessage);
            }
        }
    }

    /// <summary>Sends (<c>sendto</c>) without raising SIGPIPE: a datagram, or bytes on a connected stream
    /// socket (<c>sock_sendall</c>).</summary>
    /// <param name="fd">The socket's descriptor.</param>
    /// <param name="data">The datagram, or the bytes.</param>
    /// <param name="to">Where to; null on a connected socket.</param>
    /// <param name="errno">The error, when the result is -1.</param>
    /// <returns>How many bytes were sent, or -1.</returns>
    internal static int SendTo(int fd, ReadOnlySpan<byte> data, SocketAddress? to, out int errno)
    {
        ReadOnlySpan<byte> address = to is null ? default : to.Buffer.Span[..to.Size];
        fixed (byte* p = data)
        fixed (byte* a = address)
        {
            while (true)
            {
                nint n = Libc.SendTo(fd, p, data.Length, Libc.MSG_NOSIGNAL, a, address.Length);
                if (n >= 0)
                {
                    errno = 0;
                    return (int)n;
                }

                errno = Marshal.GetLastSystemError();
                if (!SocketErrors.IsInterrupted(errno))
                {
                    return -1;
                }
            }
        }
    }
}
