using DeepSeekV3.Kubernetes.Models;
using DeepSeekV3.Operator.Api.V1Alpha1;

namespace DeepSeekV3.Operator.Desired;

/// <summary>
/// The checkpoint as a volume mounted read-only at the same path in every worker and router pod: a PVC, a node
/// directory, or a node-local emptyDir that an init container fills from a URI before the worker starts.
/// </summary>
public static class ModelVolume
{
    public const string VolumeName = "model";

    /// <summary>Fetcher images by URI scheme: each is the vendor's own CLI image.</summary>
    public const string HttpsFetcherImage = "curlimages/curl:8.11.1";
    public const string S3FetcherImage = "amazon/aws-cli:2.22.35";
    public const string GcsFetcherImage = "gcr.io/google.com/cloudsdktool/google-cloud-cli:504.0.1-slim";
    public const string HuggingFaceFetcherImage = "python:3.12-slim";

    public static Volume Volume(ModelSource source) => source switch
    {
        { Pvc: { } pvc } => new Volume { Name = VolumeName, PersistentVolumeClaim = new PersistentVolumeClaimVolumeSource { ClaimName = pvc.ClaimName, ReadOnly = true } },
        { HostPath: { } hostPath } => new Volume { Name = VolumeName, HostPath = new HostPathVolumeSource { Path = hostPath.Path, Type = "Directory" } },
        { Uri: { } uri } => new Volume { Name = VolumeName, EmptyDir = new EmptyDirVolumeSource { SizeLimit = uri.CacheSize } },
        _ => throw new ArgumentException("the model source sets none of pvc, hostPath, uri", nameof(source)),
    };

    public static VolumeMount Mount(ModelSource source, string mountPath) => new()
    {
        Name = VolumeName,
        MountPath = mountPath,
        ReadOnly = source.Uri is null ? true : null, // the fetcher writes into the emptyDir; the worker only reads
        SubPath = source.Pvc?.SubPath,
    };

    /// <summary>The init container that downloads a `uri` source into the volume; null for the other sources.</summary>
    public static Container? FetchContainer(ModelSource source, string mountPath)
    {
        if (source.Uri is not { } uri)
        {
            return null;
        }

        string scheme = uri.Uri[..uri.Uri.IndexOf("://", StringComparison.Ordinal)];
        (string image, string script) = scheme switch
        {
            "s3" => (S3FetcherImage, $"aws s3 cp --recursive \"$MODEL_URI\" {mountPath}"),
            "gs" => (GcsFetcherImage, $"gcloud storage cp -r \"$MODEL_URI/*\" {mountPath}"),
            "hf" => (HuggingFaceFetcherImage, $"pip install --quiet huggingface_hub && huggingface-cli download \"${{MODEL_URI#hf://}}\" --local-dir {mountPath}"),
            // https: a tar archive of the checkpoint directory.
            _ => (HttpsFetcherImage, $"curl -fsSL \"$MODEL_URI\" | tar -x -C {mountPath}"),
        };
        var container = new Container
        {
            Name = "fetch-model",
            Image = image,
            Command = ["sh", "-c", $"set -e; if [ -f {mountPath}/config.json ]; then exit 0; fi; {script}"],
            Env = [new EnvVar { Name = "MODEL_URI", Value = uri.Uri }],
            VolumeMounts = [new VolumeMount { Name = VolumeName, MountPath = mountPath }],
        };
        if (uri.CredentialsSecret is { } secret)
        {
            container.EnvFrom = [new EnvFromSource { SecretRef = new LocalObjectReference { Name = secret } }];
        }

        return container;
    }
}
