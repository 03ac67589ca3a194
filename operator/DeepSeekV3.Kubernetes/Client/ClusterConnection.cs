namespace DeepSeekV3.Kubernetes.Client;

/// <summary>
/// Where the API server is and how to talk to it: the base URI, an HTTP handler that carries TLS trust and client
/// credentials, and the namespace a kubeconfig context or the pod's service account names.
/// </summary>
public sealed record ClusterConnection(Uri Server, Func<HttpMessageHandler> CreateHandler, string Namespace)
{
    /// <summary>
    /// The usual lookup order of clients: an explicit kubeconfig, $KUBECONFIG, in-cluster service account when
    /// running in a pod, then ~/.kube/config.
    /// </summary>
    public static ClusterConnection Discover(string? kubeconfigPath = null, string? context = null)
    {
        if (kubeconfigPath is not null)
        {
            return Kubeconfig.Load(kubeconfigPath, context);
        }

        if (Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } fromEnvironment)
        {
            return Kubeconfig.Load(fromEnvironment.Split(Path.PathSeparator)[0], context);
        }

        if (InClusterConfig.IsAvailable())
        {
            return InClusterConfig.Load();
        }

        string home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
        return File.Exists(home)
            ? Kubeconfig.Load(home, context)
            : throw new InvalidOperationException("no Kubernetes connection: not in a pod, no --kubeconfig, no $KUBECONFIG, no ~/.kube/config");
    }
}
