using System.Net.Sockets;

namespace Aio.Sockets;

/// <summary>Turns the errno of a socket call made directly (not through <see cref="Socket"/>) into the
/// <see cref="SocketException"/> .NET code expects, with the same <see cref="SocketError"/> that
/// <see cref="Socket"/> itself would report.</summary>
internal static class SocketErrors
{
    /// <summary>The error of <paramref name="errno"/>.</summary>
    internal static SocketError FromErrno(int errno) => errno switch
    {
        11 => SocketError.WouldBlock,             // EAGAIN
        4 => SocketError.Interrupted,             // EINTR
        9 => SocketError.OperationAborted,        // EBADF: closed under us
        13 => SocketError.AccessDenied,           // EACCES
        22 => SocketError.InvalidArgument,        // EINVAL
        23 or 24 => SocketError.TooManyOpenSockets, // ENFILE, EMFILE
        32 => SocketError.Shutdown,               // EPIPE
        88 => SocketError.NotSocket,              // ENOTSOCK
        90 => SocketError.MessageSize,            // EMSGSIZE
        95 => SocketError.OperationNotSupported,  // EOPNOTSUPP
        97 => SocketError.AddressFamilyNotSupported, // EAFNOSUPPORT
        98 => SocketError.AddressAlreadyInUse,    // EADDRINUSE
        99 => SocketError.AddressNotAvailable,    // EADDRNOTAVAIL
        100 => SocketError.NetworkDown,           // ENETDOWN
        101 => SocketError.NetworkUnreachable,    // ENETUNREACH
        103 => SocketError.ConnectionAborted,     // ECONNABORTED
        104 => SocketError.ConnectionReset,       // ECONNRESET
        105 => SocketError.NoBufferSpaceAvailable, // ENOBUFS
        107 => SocketError.NotConnected,          // ENOTCONN
        110 => SocketError.TimedOut,              // ETIMEDOUT
        111 => SocketError.ConnectionRefused,     // ECONNREFUSED
        113 => SocketError.HostUnreachable,       // EHOSTUNREACH
        115 => SocketError.InProgress,            // EINPROGRESS
        _ => SocketError.SocketError,
    };

    /// <summary>The exception for a failed call that set <paramref name="errno"/>.</summary>
    internal static SocketException Exception(int errno) => new((int)FromErrno(errno));

    /// <summary>Whether <paramref name="errno"/> says "try again when ready".</summary>
    internal static bool IsWouldBlock(int errno) => errno == 11;

    /// <summary>Whether <paramref name="errno"/> says "interrupted by a signal: call again now".</summary>
    internal static bool IsInterrupted(int errno) => errno == 4;
}
