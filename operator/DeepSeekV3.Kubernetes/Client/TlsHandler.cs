using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace DeepSeekV3.Kubernetes.Client;

/// <summary>
/// The socket handler for an API server: trusts exactly the cluster CA when one is given (the server certificate must
/// chain to it, not to the system store), presents a client certificate when the kubeconfig user has one.
/// </summary>
public static class TlsHandler
{
    public static SocketsHttpHandler Create(X509Certificate2? clusterCa, X509Certificate2? clientCertificate, bool skipVerify)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        var ssl = new SslClientAuthenticationOptions();
        if (clientCertificate is not null)
        {
            ssl.ClientCertificates = [clientCertificate];
        }

        if (skipVerify)
        {
#pragma warning disable CA5359 // insecure-skip-tls-verify: the kubeconfig asks for no verification, as kubectl honours it
            ssl.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else if (clusterCa is not null)
        {
            ssl.RemoteCertificateValidationCallback = (_, certificate, _, errors) => ChainsTo(certificate, clusterCa, errors);
        }

        handler.SslOptions = ssl;
        return handler;
    }

    private static bool ChainsTo(X509Certificate? certificate, X509Certificate2 ca, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
