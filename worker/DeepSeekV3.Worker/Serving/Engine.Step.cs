using DeepSeekV3.Inference.Model;

namespace DeepSeekV3.Worker.Serving;

/// <summary>One engine step: schedule → run → postprocess (nano-vllm's loop).</summary>
public sealed partial class Engine
{
    private void Step()
    {
        var chunks = _scheduler.Schedule();
        if (chunks.Count == 0)
        {
            // Nothing fits right now (cannot happen while something runs); wait for a finish or a new command.
            _wake.Wait(TimeSpan.FromMilliseconds(10));
            return;
        }

        _batch.Clear();
        foreach (var chunk in chunks)
        {
            _batch.AddSequence(chunk.Sequence.Table, chunk.Sequence.Tokens.Slice(chunk.Start, chunk.Count), chunk.Start, chunk.WantLogits);
            if (!chunk.Sequence.CountedAsRunning)
            {
                chunk.Sequence.CountedAsRunning = true;
                Interlocked.Decrement(ref _notYetRunning);
            }
        }

        try
        {
            _model.Forward(_batch, _state, _logits, AttentionForm.Absorbed);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A failed step leaves these sequences' cache rows unknown: end them with the error rather than guess.
            foreach (var chunk in chunks.ToArray())
            {
                chunk.Sequence.Events.TryComplete(new EngineFailedException($"the model step failed: {e.Message}", e));
                chunk.Sequence.IsFinished = true;
                chunk.Sequence.CancellationRegistration.Dispose();
                _scheduler.Remove(chunk.Sequence);
            }

            return;
        }

        int row = 0;
        int vocab = _model.Config.VocabSize;
        foreach (var chunk in chunks.ToArray())
        {
            var sequence = chunk.Sequence;
            sequence.ComputedTokens += chunk.Count;
            _blocks.CommitComputed(sequence.Table, sequence.Tokens, sequence.ComputedTokens);
            if (chunk.WantLogits)
            {
                Postprocess(sequence, _logits.AsSpan(row * vocab, vocab));
                row++;
            }
        }
    }

    private void Postprocess(Sequence sequence, ReadOnlySpan<float> logits)
    {
        var sampling = sequence.Sampling;
        var sampled = _sampler.Sample(logits, sampling, sequence.GeneratedCounts, ref sequence.Random);
        int token = sampled.TokenId;
        sequence.Append(token);
        if ((!sampling.IgnoreEos && token == _eosTokenId) || sampling.StopTokenIds.Contains(token))
        {
            Finish(sequence, FinishReason.Stop, sequence.Text?.Flush() ?? "");
            return;
        }

        bool stopped = false;
        string text = sequence.Text is null ? "" : sequence.Text.Push(token, out stopped);
        sequence.Events.TryWrite(new GenerationEvent(text, sampled, null, null));
        if (stopped)
        {
            Finish(sequence, FinishReason.Stop, "");
        }
        else if (sequence.GeneratedCount >= sampling.MaxTokens || sequence.Length >= _model.Config.MaxPositionEmbeddings)
        {
            Finish(sequence, FinishReason.Length, sequence.Text?.Flush() ?? "");
        }
    }

    private void Finish(Sequence sequence, FinishReason reason, string text)
    {
        sequence.IsFinished = true;
        if (!sequence.CountedAsRunning)
        {
            sequence.CountedAsRunning = true;
            Interlocked.Decrement(ref _notYetRunning);
        }

        sequence.Events.TryWrite(new GenerationEvent(text, null, reason, sequence.Usage));
        sequence.Events.TryComplete();
        sequence.CancellationRegistration.Dispose();
        _scheduler.Remove(sequence);
    }

    private void FailAll(FinishReason reason)
    {
        while (_commands.TryDequeue(out var command))
        {
            if (!command.Cancel)
            {
                _scheduler.Add(command.Sequence);
            }
        }

        foreach (var sequence in _scheduler.Sequences.ToArray())
        {
            Finish(sequence, reason, "");
        }
    }
}
