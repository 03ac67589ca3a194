using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace DeepSeekV3.Wire.Grpc;

/// <summary>
/// A Kestrel application listening for gRPC: HTTP/2 only (cleartext h2c with prior knowledge, or TLS with ALPN h2 and
/// optionally a required client certificate). Services are bound on the returned app with <see cref="GrpcServiceBinder"/>.
/// </summary>
public static class GrpcServerHost
{
    public static WebApplication Build(IPAddress address, int port, X509Certificate2? certificate = null, bool requireClientCertificate = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            // Large client-streamed messages (KV chunks, expert dispatch) need more than the default windows.
            kestrel.Limits.Http2.InitialConnectionWindowSize = 16 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 8 * 1024 * 1024;
            kestrel.Listen(address, port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate, https =>
                    {
                        https.ClientCertificateMode = requireClientCertificate
                            ? ClientCertificateMode.RequireCertificate
                            : ClientCertificateMode.NoCertificate;
                        // Which client certificates to trust is the deployment's business (a cluster CA); the
                        // transport only insists that one is presented. Callers needing more validate in handlers.
                        https.ClientCertificateValidation = (_, _, _) => true;
                    });
                }
            });
        });
        return builder.Build();
    }
}
