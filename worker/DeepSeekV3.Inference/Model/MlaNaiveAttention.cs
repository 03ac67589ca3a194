using DeepSeekV3.Inference.Compute;

namespace DeepSeekV3.Inference.Model;

/// <summary>
/// model.py's "naive" MLA: every cached latent is expanded back into per-head k_nope and v through kv_b_proj, and
/// attention runs in head space. Slow and allocating; it exists to check the absorbed form against.
/// </summary>
internal static class MlaNaiveAttention
{
    // kvBProj [heads·(nope + v), kv_lora_rank]; query [n, heads, nope + rope] (the nope part is used);
    // queryRope [n, heads, rope], already roped; output [n, heads, v].
    public static void Attend(in WeightMatrix kvBProj, ModelConfig c, ReadOnlySpan<float> query,
        ReadOnlySpan<float> queryRope, ForwardBatch batch, int layer, float softmaxScale, Span<float> output)
    {
        int heads = c.NumAttentionHeads, nope = c.QkNopeHeadDim, ropeDim = c.QkRopeHeadDim, vDim = c.VHeadDim;
        int rank = c.KvLoraRank, headRows = nope + vDim;
        var kvB = NaiveKernels.Dequantize(kvBProj); // [heads·(nope + v), rank]
        for (int t = 0; t < batch.Count; t++)
        {
            int keys = batch.Positions[t] + 1;
            var expanded = new float[keys * heads * headRows]; // [keys, heads, nope + v]
            for (int p = 0; p < keys; p++)
            {
                var latent = batch.Cache.Row(batch.Tables[t], layer, p)[..rank];
                for (int r = 0; r < heads * headRows; r++)
                {
                    double sum = 0;
                    for (int k = 0; k < rank; k++)
                    {
                        sum += kvB[(r * rank) + k] * latent[k];
                    }

                    expanded[(p * heads * headRows) + r] = (float)sum;
                }
            }

            for (int h = 0; h < heads; h++)
            {
                var scores = new double[keys];
                for (int p = 0; p < keys; p++)
                {
                    var ropeKey = batch.Cache.Row(batch.Tables[t], layer, p)[rank..];
                    double score = 0;
                    for (int i = 0; i < nope; i++)
                    {
                        score += query[(((t * heads) + h) * (nope + ropeDim)) + i] * expanded[(((p * heads) + h) * headRows) + i];
                    }

                    for (int i = 0; i < ropeDim; i++)
                    {
                        score += queryRope[(((t * heads) + h) * ropeDim) + i] * ropeKey[i];
                    }

                    scores[p] = score * softmaxScale;
                }

                double max = scores.Max(), total = 0;
                for (int p = 0; p < keys; p++)
                {
                    scores[p] = Math.Exp(scores[p] - max);
                    total += scores[p];
                }

                for (int i = 0; i < vDim; i++)
                {
                    double value = 0;
                    for (int p = 0; p < keys; p++)
                    {
                        value += scores[p] / total * expanded[(((p * heads) + h) * headRows) + nope + i];
                    }

                    output[(((t * heads) + h) * vDim) + i] = (float)value;
                }
            }
        }
    }
}
