using System.Text.Json;
using DeepSeekV3.Operator.Api.V1Alpha1;

namespace DeepSeekV3.Operator.Desired;

/// <summary>
/// The revision of what a worker computes: its image and its model (name, precision, weights). Prefill and decode
/// workers of the same revision exchange KV caches safely, so the router pairs only those (DSV3_REVISION), and a
/// group never mixes revisions. Changes that do not touch the computation (resources, scheduling) roll groups out
/// too — the StatefulSet's spec-hash tells those apart — but keep the revision.
/// </summary>
public static class ModelRevision
{
    public static string Of(DeepSeekDeploymentSpec spec) =>
        SpecHash.OfText(spec.Image + "\n" + JsonSerializer.Serialize(spec.Model, OperatorJsonContext.Default.ModelSpec));
}
