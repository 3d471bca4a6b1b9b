using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Aio.Tests.Support;

/// <summary>Self-signed certificates made at run time, and TLS options that pin them: no file, no trust
/// store, nothing shared with the machine.</summary>
public static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> s_server = new(() => Create("localhost"));
    private static readonly Lazy<X509Certificate2> s_other = new(() => Create("other.invalid"));

    /// <summary>The server's certificate, for localhost and 127.0.0.1, with its private key.</summary>
    public static X509Certificate2 Server => s_server.Value;

    /// <summary>A certificate nobody serves: a client pinning it refuses <see cref="Server"/>.</summary>
    public static X509Certificate2 Other => s_other.Value;

    /// <summary>Options of a server presenting <see cref="Server"/>.</summary>
    public static SslServerAuthenticationOptions ServerOptions() => new() { ServerCertificate = Server };

    /// <summary>Options of a client that accepts exactly <paramref name="pinned"/> (by default
    /// <see cref="Server"/>), whatever the machine trusts.</summary>
    public static SslClientAuthenticationOptions ClientOptions(X509Certificate2? pinned = null, string? targetHost = "localhost")
    {
        byte[] expected = (pinned ?? Server).RawData;
        return new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected),
        };
    }

    private static X509Certificate2 Create(string name)
    {
        // ECDSA: its keys are made in a moment, and its handshakes are cheap.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 created = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        // On Linux a certificate fresh from CreateSelfSigned carries an ephemeral key SslStream cannot use
        // for a server; a round trip through PKCS#12 gives it a usable one.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }
}
