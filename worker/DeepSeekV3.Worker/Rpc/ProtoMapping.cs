using DeepSeekV3.Worker.Serving;
using V1 = DeepSeekV3.Protos.V1;

namespace DeepSeekV3.Worker.Rpc;

/// <summary>Conversions between the engine's types and the deepseekv3.v1 wire messages.</summary>
public static class ProtoMapping
{
    public static V1.SamplingParams ToProto(SamplingParams s)
    {
        var proto = new V1.SamplingParams
        {
            Temperature = s.Temperature,
            TopP = s.TopP,
            TopK = s.TopK,
            MaxTokens = s.MaxTokens,
            IgnoreEos = s.IgnoreEos,
            PresencePenalty = s.PresencePenalty,
            FrequencyPenalty = s.FrequencyPenalty,
        };
        if (s.Seed is { } seed)
        {
            proto.Seed = seed;
        }

        if (s.TopLogprobs is { } top)
        {
            proto.TopLogprobs = top;
        }

        proto.Stop.AddRange(s.Stop);
        proto.StopTokenIds.AddRange(s.StopTokenIds);
        return proto;
    }

    public static SamplingParams FromProto(V1.SamplingParams p) => new()
    {
        Temperature = p.Temperature,
        TopP = p.TopP is > 0 and <= 1 ? p.TopP : 1f,
        TopK = Math.Max(0, p.TopK),
        Seed = p.HasSeed ? p.Seed : null,
        MaxTokens = p.MaxTokens,
        Stop = [.. p.Stop],
        StopTokenIds = [.. p.StopTokenIds],
        IgnoreEos = p.IgnoreEos,
        TopLogprobs = p.HasTopLogprobs ? p.TopLogprobs : null,
        PresencePenalty = p.PresencePenalty,
        FrequencyPenalty = p.FrequencyPenalty,
    };

    public static V1.SampledToken ToProto(SampledToken token, string text)
    {
        var proto = new V1.SampledToken { TokenId = token.TokenId, Logprob = token.Logprob, Text = text };
        proto.TopLogprobs.AddRange(token.TopLogprobs.Select(t => new V1.TokenLogprob { TokenId = t.TokenId, Logprob = t.Logprob }));
        return proto;
    }

    public static SampledToken FromProto(V1.SampledToken proto) =>
        new(proto.TokenId, proto.Logprob, [.. proto.TopLogprobs.Select(t => new TokenLogprob(t.TokenId, t.Logprob))]);

    public static V1.Usage ToProto(GenerationUsage usage) =>
        new() { PromptTokens = usage.PromptTokens, CompletionTokens = usage.CompletionTokens, CachedPromptTokens = usage.CachedPromptTokens };

    public static GenerationUsage FromProto(V1.Usage usage) => new(usage.PromptTokens, usage.CompletionTokens, usage.CachedPromptTokens);

    public static V1.Finish.Types.Reason ToProto(FinishReason reason) => reason switch
    {
        FinishReason.Stop => V1.Finish.Types.Reason.Stop,
        FinishReason.Length => V1.Finish.Types.Reason.Length,
        _ => V1.Finish.Types.Reason.Cancelled,
    };
}
