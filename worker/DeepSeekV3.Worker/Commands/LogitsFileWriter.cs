using System.Text.Json;
using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Worker.Commands;

/// <summary>
/// Writes <c>{"prompts": [...]}</c> with the keys of a golden expected.json prompt entry, so any checkpoint's run can
/// be compared with a reference run of DeepSeek's code. Floats are written as shortest round-trip float32 decimals.
/// </summary>
public static class LogitsFileWriter
{
    public static void Write(string path, IReadOnlyList<GenerationResult> results)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WriteStartArray("prompts");
        foreach (var result in results)
        {
            json.WriteStartObject();
            WriteInts(json, "tokens", result.Tokens);
            WriteFloats(json, "prefill_logits", result.PrefillLogits);
            json.WriteNumber("prefill_argmax", result.GreedyTokens[0]);
            json.WriteStartArray("decode");
            foreach (var step in result.Decode)
            {
                json.WriteStartObject();
                json.WriteNumber("position", step.Position);
                json.WriteNumber("input_token", step.InputToken);
                WriteFloats(json, "logits", step.Logits);
                json.WriteNumber("argmax", step.Argmax);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteInts(json, "greedy_tokens", result.GreedyTokens);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteInts(Utf8JsonWriter json, string name, int[] values)
    {
        json.WriteStartArray(name);
        foreach (int value in values)
        {
            json.WriteNumberValue(value);
        }

        json.WriteEndArray();
    }

    private static void WriteFloats(Utf8JsonWriter json, string name, float[] values)
    {
        json.WriteStartArray(name);
        foreach (float value in values)
        {
            json.WriteNumberValue(value);
        }

        json.WriteEndArray();
    }
}
