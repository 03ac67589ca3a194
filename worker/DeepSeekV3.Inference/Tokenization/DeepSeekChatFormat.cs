using System.Text;

namespace DeepSeekV3.Inference.Tokenization;

/// <summary>
/// DeepSeek-V3's chat template (its tokenizer_config.json <c>chat_template</c>), in code: begin-of-sentence, the
/// system messages joined by blank lines, then each turn — <c>&lt;｜User｜&gt;</c> + text, or <c>&lt;｜Assistant｜&gt;</c>
/// + text + end-of-sentence — and, for a generation prompt, a final <c>&lt;｜Assistant｜&gt;</c>.
/// </summary>
public static class DeepSeekChatFormat
{
    public const string BeginOfSentence = "<｜begin▁of▁sentence｜>";
    public const string EndOfSentence = "<｜end▁of▁sentence｜>";
    public const string Pad = "<｜▁pad▁｜>";
    public const string User = "<｜User｜>";
    public const string Assistant = "<｜Assistant｜>";

    public static string Format(IReadOnlyList<ChatMessage> messages, string beginOfSentence, string endOfSentence,
        bool addGenerationPrompt)
    {
        var text = new StringBuilder(beginOfSentence);
        text.AppendJoin("\n\n", messages.Where(m => m.Role == "system").Select(m => m.Content));
        foreach (var message in messages)
        {
            switch (message.Role)
            {
                case "system":
                    break;
                case "user":
                    text.Append(User).Append(message.Content);
                    break;
                case "assistant":
                    text.Append(Assistant).Append(message.Content).Append(endOfSentence);
                    break;
                default:
                    throw new ArgumentException($"unsupported chat role '{message.Role}'; expected system, user or assistant", nameof(messages));
            }
        }

        if (addGenerationPrompt)
        {
            text.Append(Assistant);
        }

        return text.ToString();
    }
}
