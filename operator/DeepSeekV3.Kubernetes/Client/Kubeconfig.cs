using System.Security.Cryptography.X509Certificates;
using YamlDotNet.RepresentationModel;

namespace DeepSeekV3.Kubernetes.Client;

/// <summary>
/// A kubeconfig file (clientcmd v1): the named or current context's cluster (server, certificate-authority[-data],
/// insecure-skip-tls-verify) and user (token, tokenFile, client-certificate[-data] + client-key[-data]).
/// Relative file paths are relative to the kubeconfig's directory, as kubectl resolves them. Exec and auth-provider
/// plugins are not supported and are named in the error.
/// </summary>
public static class Kubeconfig
{
    public static ClusterConnection Load(string path, string? contextName = null)
    {
        var root = Parse(File.ReadAllText(path), path);
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string context = contextName ?? Scalar(root, "current-context") ?? throw Bad(path, "no current-context and no --context");
        var contextEntry = Named(root, "contexts", context, "context") ?? throw Bad(path, $"context '{context}' not found");
        string clusterName = Scalar(contextEntry, "cluster") ?? throw Bad(path, $"context '{context}' names no cluster");
        var cluster = Named(root, "clusters", clusterName, "cluster") ?? throw Bad(path, $"cluster '{clusterName}' not found");
        string? userName = Scalar(contextEntry, "user");
        var user = userName is null ? null : Named(root, "users", userName, "user") ?? throw Bad(path, $"user '{userName}' not found");

        var server = new Uri(Scalar(cluster, "server") ?? throw Bad(path, $"cluster '{clusterName}' has no server"));
        var ca = Certificate(cluster, "certificate-authority", directory);
        bool skipVerify = Scalar(cluster, "insecure-skip-tls-verify") == "true";
        if (user is not null && (user.Children.ContainsKey("exec") || user.Children.ContainsKey("auth-provider")))
        {
            throw Bad(path, $"user '{userName}' uses an exec or auth-provider plugin, which deepseek-operator does not run; use a token or client certificate");
        }

        var clientCertificate = user is null ? null : ClientCertificate(user, directory);
        string? token = user is null ? null : Scalar(user, "token");
        string? tokenFile = user is null ? null : Resolve(Scalar(user, "tokenFile"), directory);
        string ns = Scalar(contextEntry, "namespace") ?? "default";
        return new ClusterConnection(server, () =>
        {
            HttpMessageHandler handler = TlsHandler.Create(ca, clientCertificate, skipVerify);
            return token is not null ? BearerTokenHandler.FromValue(token, handler)
                : tokenFile is not null ? BearerTokenHandler.FromFile(tokenFile, handler)
                : handler;
        }, ns);
    }

    private static YamlMappingNode Parse(string text, string path)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw Bad(path, $"invalid YAML at line {e.Start.Line}: {e.Message}");
        }

        return stream.Documents.FirstOrDefault()?.RootNode as YamlMappingNode ?? throw Bad(path, "not a kubeconfig mapping");
    }

    /// <summary>The inner mapping of the entry called <paramref name="name"/> in a list like clusters: [{name, cluster: {...}}].</summary>
    private static YamlMappingNode? Named(YamlMappingNode root, string list, string name, string field) =>
        (root.Children.TryGetValue(list, out var node) ? node as YamlSequenceNode : null)?
            .OfType<YamlMappingNode>()
            .Where(entry => Scalar(entry, "name") == name)
            .Select(entry => entry.Children.TryGetValue(field, out var inner) ? inner as YamlMappingNode : null)
            .FirstOrDefault();

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) && value is YamlScalarNode { Value: { Length: > 0 } text } ? text : null;

    private static string? Resolve(string? file, string directory) => file is null ? null : Path.Combine(directory, file);

    private static X509Certificate2? Certificate(YamlMappingNode node, string key, string directory)
    {
        if (Scalar(node, key + "-data") is { } data)
        {
            return X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(data)));
        }

        return Resolve(Scalar(node, key), directory) is { } file ? X509Certificate2.CreateFromPemFile(file) : null;
    }

    private static X509Certificate2? ClientCertificate(YamlMappingNode user, string directory)
    {
        string? certificate = Scalar(user, "client-certificate-data") is { } certData ? Decode(certData)
            : Resolve(Scalar(user, "client-certificate"), directory) is { } certFile ? File.ReadAllText(certFile) : null;
        string? key = Scalar(user, "client-key-data") is { } keyData ? Decode(keyData)
            : Resolve(Scalar(user, "client-key"), directory) is { } keyFile ? File.ReadAllText(keyFile) : null;
        if (certificate is null || key is null)
        {
            return null;
        }

        // SslStream on Linux needs the key in a persisted form; exporting to PKCS#12 and reloading gives one.
        using var ephemeral = X509Certificate2.CreateFromPem(certificate, key);
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
    }

    private static string Decode(string base64) => System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(base64));

    private static InvalidOperationException Bad(string path, string message) => new($"kubeconfig {path}: {message}");
}
