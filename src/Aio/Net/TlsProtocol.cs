namespace Aio.Net;

/// <summary>
/// The protocol of the socket transport under a TLS connection; asyncio's <c>SSLProtocol</c>. It keeps the
/// encrypted bytes in a stream reader (whose buffer, backpressure and wait-node reads SslStream then reads
/// from, through the connection's <see cref="Stream"/> adapter) and tells the <see cref="TlsTransport"/>
/// about the socket's life and flow control.
/// </summary>
internal sealed class TlsProtocol : Protocol
{
    private readonly TlsTransport _tls;
    private readonly StreamProtocol _ciphertext;

    internal TlsProtocol(TlsTransport tls, StreamProtocol ciphertext)
    {
        _tls = tls;
        _ciphertext = ciphertext;
    }

    public override void ConnectionMade(Transport transport)
    {
        _ciphertext.ConnectionMade(transport);
        _tls.OnSocketConnected(transport, _ciphertext.Writer!);
    }

    public override void DataReceived(ReadOnlySpan<byte> data) => _ciphertext.DataReceived(data);

    public override bool EofReceived()
    {
        _ciphertext.EofReceived();

        // Keep the socket open: SslStream reads the end, and the TLS transport then closes, after saying
        // goodbye (close_notify) if it can.
        return true;
    }

    public override void PauseWriting()
    {
        _ciphertext.PauseWriting();
        _tls.OnSocketWritingPaused();
    }

    public override void ResumeWriting()
    {
        _ciphertext.ResumeWriting();
        _tls.OnSocketWritingResumed();
    }

    public override void ConnectionLost(Exception? exception)
    {
        _tls.OnSocketLost(exception);

        // Wakes SslStream's waiting read (with the end, or the error) and fails its waiting drain.
        _ciphertext.ConnectionLost(exception);
        _tls.FinishIfDone();
    }

    public override string ToString() => $"<TlsProtocol {_tls}>";
}
