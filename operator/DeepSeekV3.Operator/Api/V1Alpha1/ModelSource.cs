using DeepSeekV3.Operator.Api.Schema;

namespace DeepSeekV3.Operator.Api.V1Alpha1;

[Description("Where the checkpoint comes from. Exactly one member is set.")]
[ValidationRule("[has(self.pvc), has(self.hostPath), has(self.uri)].filter(x, x).size() == 1", "exactly one of pvc, hostPath or uri must be set")]
public sealed class ModelSource
{
    [Description("A PersistentVolumeClaim (ReadOnlyMany on multi-node groups) holding the checkpoint directory.")]
    public PvcSource? Pvc { get; set; }

    [Description("A directory on every node (pre-staged weights).")]
    public HostPathSource? HostPath { get; set; }

    [Description("A URI an init container downloads the checkpoint from into a node-local volume before the worker starts.")]
    public UriSource? Uri { get; set; }
}
