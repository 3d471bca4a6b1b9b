namespace Aio.Net;

/// <summary>The errors a connection's <see cref="Stream"/> throws: a connection's failure (a
/// <see cref="System.Net.Sockets.SocketException"/>, say) wrapped in an <see cref="IOException"/>, as
/// <see cref="System.Net.Sockets.NetworkStream"/> does, because that is what code written against
/// <see cref="Stream"/> (SslStream, WebSocket, Pipelines) catches.</summary>
internal static class StreamErrors
{
    internal static Exception Read(Exception error) =>
        error as IOException ?? new IOException($"Unable to read data from the connection: {error.Message}", error);

    internal static Exception Write(Exception error) =>
        error as IOException ?? new IOException($"Unable to write data to the connection: {error.Message}", error);
}
