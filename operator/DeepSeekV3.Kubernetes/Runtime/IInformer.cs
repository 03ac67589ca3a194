namespace DeepSeekV3.Kubernetes.Runtime;

/// <summary>What the controller host needs of an informer of any kind: run it, and know when its cache is filled.</summary>
public interface IInformer
{
    ResourceKind Kind { get; }

    Task Synced { get; }

    Task RunAsync(CancellationToken cancellationToken);
}
