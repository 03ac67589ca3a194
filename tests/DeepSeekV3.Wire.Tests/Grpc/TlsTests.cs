using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DeepSeekV3.Wire.Grpc;
using DeepSeekV3.Wire.Tests.Interop;
using Grpc.Testing;

namespace DeepSeekV3.Wire.Tests.Grpc;

/// <summary>gRPC over TLS (ALPN h2), with the server requiring a client certificate.</summary>
public sealed class TlsTests
{
    [Fact]
    public async Task Call_OverTlsWithClientCertificate_Succeeds_AndWithoutOneFails()
    {
        using var serverCertificate = SelfSigned("CN=localhost");
        using var clientCertificate = SelfSigned("CN=dsv3-client");
        var app = GrpcServerHost.Build(IPAddress.Loopback, 0, serverCertificate, requireClientCertificate: true);
        TestServiceImplementation.Bind(app);
        await app.StartAsync();
        try
        {
            var address = new Uri(app.Urls.First().Replace("127.0.0.1", "localhost", StringComparison.Ordinal));
            using var trusted = new GrpcChannel(address, new GrpcChannelOptions { Handler = Handler(serverCertificate, clientCertificate) });
            using var anonymous = new GrpcChannel(address, new GrpcChannelOptions { Handler = Handler(serverCertificate, null) });

            Assert.Equal(new Empty(), await trusted.UnaryAsync(TestServiceMethods.EmptyCall, new Empty()));
            var error = await Assert.ThrowsAsync<RpcException>(() => anonymous.UnaryAsync(TestServiceMethods.EmptyCall, new Empty()));
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static SocketsHttpHandler Handler(X509Certificate2 server, X509Certificate2? client) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            // Trust exactly the test server's certificate.
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == server.GetCertHashString(),
            ClientCertificates = client is null ? null : new X509CertificateCollection { client },
        },
    };

    private static X509Certificate2 SelfSigned(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false)); // server and client auth
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Round-trip through PKCS#12 so the private key is usable by SslStream on Linux.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
