namespace DeepSeekV3.Operator.Desired;

/// <summary>The two worker pools of a DeepSeekDeployment.</summary>
public enum PoolRole
{
    Prefill,
    Decode,
}
