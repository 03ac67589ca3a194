namespace DeepSeekV3.Inference.Tokenization;

/// <summary>
/// The text the demo tokenizer is trained on: a little English, Chinese, Japanese, code, numbers and emoji, so that
/// its merges look like a real multilingual tokenizer's at a small scale. Written for this project.
/// </summary>
internal static class TrainingCorpus
{
    public const string Text = """
        DeepSeek-V3 is a mixture-of-experts language model with 671 billion parameters, of which 37 billion are
        activated for each token. It uses multi-head latent attention, which caches a compressed latent vector instead
        of full keys and values, and an auxiliary-loss-free load balancing strategy for its experts.
        The operator turns a DeepSeekDeployment into prefill and decode workers. The router picks the prefill worker
        with the longest cached prefix, then the least loaded one, and the decode worker with the most free cache blocks.
        Hello, world! How are you today? I am fine, thank you. What is the weather like? It is sunny and warm.
        The quick brown fox jumps over the lazy dog. A journey of a thousand miles begins with a single step.
        Once upon a time, there was a small village at the edge of a great forest. Every morning, the people of the
        village would walk to the river, fill their buckets with water, and tell each other stories about the world.
        Questions and answers: What is a transformer? A transformer is a neural network that uses attention. Why do
        experts help? Because each token only needs a few of them, so the model can be large and still fast.
        Numbers: 0 1 2 3 4 5 6 7 8 9 10 42 100 256 1024 2048 4096 65536 3.14159 2.71828 1,000,000 2026-11-22 12:30:45.
        深度求索发布了新的大语言模型。这个模型使用混合专家架构，每个词元只激活一小部分参数。
        你好，世界！今天天气很好。我们一起去公园散步吧。人工智能正在改变我们的生活和工作方式。
        机器学习需要大量的数据和计算资源。模型的推理速度取决于内存带宽和计算能力。
        こんにちは、世界。今日はいい天気ですね。東京は日本の首都です。ありがとうございます。
        Emoji: 😀 😃 😄 😁 👋 👍 🎉 🚀 ❤️ 👩‍💻 👨‍👩‍👧 🏳️‍🌈 🇯🇵 🇨🇳 ✨ 🔥 — café, naïve, résumé, Zürich, São Paulo, Москва, Ελλάδα.
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.w2(F.silu(self.w1(x)) * self.w3(x))
        public static int Add(int left, int right) => left + right;
        for (int i = 0; i < n; i++) { sum += values[i] * weights[i]; }
        {"model": "deepseek-v3", "messages": [{"role": "user", "content": "Hello!"}], "stream": true}
        <html><body><p>Hello &amp; welcome</p></body></html>
        SELECT name, count(*) FROM requests WHERE status = 'ok' GROUP BY name ORDER BY 2 DESC;
        """;
}
