namespace DeepSeekV3.Inference.Model;

/// <summary>One greedy decode step: <paramref name="InputToken"/> fed at <paramref name="Position"/>, its logits [vocab].</summary>
public sealed record DecodeStep(int Position, int InputToken, float[] Logits, int Argmax);
