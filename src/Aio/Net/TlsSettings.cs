using System.Net.Security;

namespace Aio.Net;

/// <summary>How one connection does TLS: its side, the options SslStream authenticates with, and how long
/// the handshake may take (asyncio's <c>ssl_handshake_timeout</c>).</summary>
internal sealed class TlsSettings
{
    /// <summary>asyncio's default <c>ssl_handshake_timeout</c>, in seconds.</summary>
    internal const double DefaultHandshakeTimeout = 60;

    private TlsSettings(SslClientAuthenticationOptions? client, SslServerAuthenticationOptions? server, double? handshakeTimeout)
    {
        if (handshakeTimeout is { } timeout && !(timeout > 0 && double.IsFinite(timeout)))
        {
            throw new ArgumentOutOfRangeException(nameof(handshakeTimeout), timeout, "The TLS handshake timeout must be a positive number of seconds.");
        }

        ClientOptions = client;
        ServerOptions = server;
        HandshakeTimeout = handshakeTimeout ?? DefaultHandshakeTimeout;
    }

    /// <summary>The client's options; null on the server side.</summary>
    internal SslClientAuthenticationOptions? ClientOptions { get; }

    /// <summary>The server's options; null on the client side.</summary>
    internal SslServerAuthenticationOptions? ServerOptions { get; }

    internal bool IsServer => ServerOptions is not null;

    /// <summary>Seconds the handshake may take before the connection is aborted.</summary>
    internal double HandshakeTimeout { get; }

    /// <summary>The options, whichever side: what <c>get_extra_info('sslcontext')</c> returns.</summary>
    internal object Options => (object?)ClientOptions ?? ServerOptions!;

    internal static TlsSettings Client(SslClientAuthenticationOptions options, double? handshakeTimeout) =>
        new(options, null, handshakeTimeout);

    internal static TlsSettings Server(SslServerAuthenticationOptions options, double? handshakeTimeout) =>
        new(null, options, handshakeTimeout);

    /// <summary>The settings of a client connection to <paramref name="host"/>, or null without TLS.</summary>
    /// <remarks>As asyncio's <c>server_hostname</c>, the name checked against the server's certificate
    /// defaults to the host connected to: options without a <see cref="SslClientAuthenticationOptions.TargetHost"/>
    /// are copied with it set (never changed in place — the same options often serve several hosts).</remarks>
    internal static TlsSettings? ForConnection(SslClientAuthenticationOptions? options, double? handshakeTimeout, string host)
    {
        if (options is null)
        {
            return handshakeTimeout is null ? null : throw OnlyWithTls(nameof(handshakeTimeout));
        }

        if (string.IsNullOrEmpty(options.TargetHost))
        {
            options = WithTargetHost(options, host);
        }

        return new TlsSettings(options, null, handshakeTimeout);
    }

    /// <summary>The settings of a server's connections, or null without TLS.</summary>
    internal static TlsSettings? ForServer(SslServerAuthenticationOptions? options, double? handshakeTimeout)
    {
        if (options is null)
        {
            return handshakeTimeout is null ? null : throw OnlyWithTls(nameof(handshakeTimeout));
        }

        return new TlsSettings(null, options, handshakeTimeout);
    }

    /// <summary>A copy of <paramref name="options"/> with <paramref name="host"/> as its target host.</summary>
    /// <remarks>Every settable property is copied; a test checks that none is forgotten when .NET adds one.</remarks>
    internal static SslClientAuthenticationOptions WithTargetHost(SslClientAuthenticationOptions options, string host)
    {
        var copy = new SslClientAuthenticationOptions
        {
            AllowRenegotiation = options.AllowRenegotiation,
            AllowTlsResume = options.AllowTlsResume,
            LocalCertificateSelectionCallback = options.LocalCertificateSelectionCallback,
            RemoteCertificateValidationCallback = options.RemoteCertificateValidationCallback,
            ApplicationProtocols = options.ApplicationProtocols,
            TargetHost = host,
            ClientCertificates = options.ClientCertificates,
            ClientCertificateContext = options.ClientCertificateContext,
            CertificateRevocationCheckMode = options.CertificateRevocationCheckMode,
#pragma warning disable SYSLIB0040 // EncryptionPolicy is obsolete, but copied so that a copy behaves as the original.
            EncryptionPolicy = options.EncryptionPolicy,
#pragma warning restore SYSLIB0040
            EnabledSslProtocols = options.EnabledSslProtocols,
            CipherSuitesPolicy = options.CipherSuitesPolicy,
            CertificateChainPolicy = options.CertificateChainPolicy,
        };
        if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
        {
            copy.AllowRsaPssPadding = options.AllowRsaPssPadding;
            copy.AllowRsaPkcs1Padding = options.AllowRsaPkcs1Padding;
        }

        return copy;
    }

    private static ArgumentException OnlyWithTls(string name) =>
        new("A TLS handshake timeout is only meaningful with TLS options.", name);
}
