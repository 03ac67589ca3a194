using System.Security.Cryptography.X509Certificates;

namespace DeepSeekV3.Kubernetes.Client;

/// <summary>
/// The connection of a pod's service account: KUBERNETES_SERVICE_HOST/PORT, the token, CA and namespace mounted at
/// /var/run/secrets/kubernetes.io/serviceaccount ("Accessing the API from a Pod").
/// </summary>
public static class InClusterConfig
{
    public const string DefaultDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    public static bool IsAvailable(string directory = DefaultDirectory) =>
        Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST") is { Length: > 0 } && File.Exists(Path.Combine(directory, "token"));

    public static ClusterConnection Load(string directory = DefaultDirectory)
    {
        string host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST")
            ?? throw new InvalidOperationException("KUBERNETES_SERVICE_HOST is not set: not running in a pod");
        string port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT") ?? "443";
        string literal = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host; // IPv6 service IPs
        string tokenPath = Path.Combine(directory, "token");
        string caPath = Path.Combine(directory, "ca.crt");
        string namespacePath = Path.Combine(directory, "namespace");
        string ns = File.Exists(namespacePath) ? File.ReadAllText(namespacePath).Trim() : "default";
        var ca = File.Exists(caPath) ? X509CertificateLoader.LoadCertificateFromFile(caPath) : null;
        return new ClusterConnection(
            new Uri($"https://{literal}:{port}"),
            () => BearerTokenHandler.FromFile(tokenPath, TlsHandler.Create(ca, clientCertificate: null, skipVerify: false)),
            ns);
    }
}
