namespace DeepSeekV3.Operator.Desired;

/// <summary>
/// Label, annotation and environment keys the operator writes. Standard keys follow the Kubernetes "Recommended
/// Labels"; ours live under deepseekv3.io/.
/// </summary>
public static class Labels
{
    // Recommended labels (kubernetes.io/docs/concepts/overview/working-with-objects/common-labels).
    public const string Name = "app.kubernetes.io/name";                 // always "deepseek-v3"
    public const string Instance = "app.kubernetes.io/instance";         // the DeepSeekDeployment's name
    public const string Component = "app.kubernetes.io/component";       // prefill | decode | router
    public const string ManagedBy = "app.kubernetes.io/managed-by";      // always "deepseek-operator"
    public const string PartOf = "app.kubernetes.io/part-of";            // always "deepseekv3-cluster"

    public const string NameValue = "deepseek-v3";
    public const string ManagedByValue = "deepseek-operator";
    public const string PartOfValue = "deepseekv3-cluster";

    /// <summary>Group index within its pool (0..replicas-1); all pods of one StatefulSet share it.</summary>
    public const string Group = "deepseekv3.io/group";

    /// <summary>Hash of a group's pod template: the group's revision. A group never mixes revisions.</summary>
    public const string Revision = "deepseekv3.io/revision";

    /// <summary>
    /// Set by the StatefulSet controller on every pod (Kubernetes 1.28+): the ordinal, which is the pod's rank.
    /// A template cannot label rank 0 alone, so "leader" selectors use pod-index=0.
    /// </summary>
    public const string PodIndex = "apps.kubernetes.io/pod-index";

    /// <summary>Annotation: hash of a child's desired spec; the reconciler updates a child only when it differs.</summary>
    public const string SpecHash = "deepseekv3.io/spec-hash";

    /// <summary>Annotation on a group's StatefulSet being drained before scale-down deletes it (RFC 3339 start time).</summary>
    public const string DrainingSince = "deepseekv3.io/draining-since";

    /// <summary>
    /// Pod label the serving Service selects on ("true" from the template). Draining a group sets it to "false" on
    /// its pods, so the router (which resolves the serving Service) sends it no new work while in-flight requests
    /// finish. Not part of the StatefulSet selector, so relabelling a pod does not orphan it.
    /// </summary>
    public const string Serving = "deepseekv3.io/serving";

    /// <summary>Annotation on a group's StatefulSet: when every rank of the current pods was first ready at once (RFC 3339).</summary>
    public const string StartedAt = "deepseekv3.io/started-at";

    /// <summary>Annotation on a group's StatefulSet: whole-group restarts after failures since the group was last stable.</summary>
    public const string Restarts = "deepseekv3.io/restarts";

    /// <summary>Annotation on a group's StatefulSet: when the operator last restarted the whole group (RFC 3339).</summary>
    public const string LastRestart = "deepseekv3.io/last-restart";

    /// <summary>
    /// Annotation on a group's StatefulSet: the uids of the pods the operator deleted at its last whole-group restart or
    /// replacement, comma-separated. The informer cache can still show them for a moment; they never count.
    /// </summary>
    public const string RetiredPods = "deepseekv3.io/retired-pods";
}
