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

        if (_scheduler.PreemptionCount > _reportedPreemptions)
        {
            _metrics?.Preemptions.Add(_scheduler.PreemptionCount - _reportedPreemptions);
            _reportedPreemptions = _scheduler.PreemptionCount;
        }

        foreach (var chunk in chunks)
        {
            if (chunk.Sequence is { Imported: { } imported, ImportWritten: false } sequence)
            {
                WriteImportedRows(sequence, imported);
            }
        }

        _batch.Clear();
        foreach (var chunk in chunks)
        {
            _batch.AddSequence(chunk.Sequence.Table, chunk.Sequence.Tokens.Slice(chunk.Start, chunk.Count), chunk.Start, chunk.WantLogits);
            if (!chunk.Sequence.CountedAsRunning)
            {
                chunk.Sequence.CountedAsRunning = true;
                Interlocked.Decrement(ref _notYetRunning);
                _metrics?.QueueTime.Record(System.Diagnostics.Stopwatch.GetElapsedTime(chunk.Sequence.ArrivalTimestamp).TotalSeconds);
            }
        }

        _metrics?.BatchTokens.Record(_batch.Count);
        _exporting.Clear();
        foreach (var chunk in chunks)
        {
            if (chunk is { WantLogits: true, Sequence.Prefill: not null })
            {
                _exporting.Add(chunk.Sequence);
            }
        }

        _model.Forward(_batch, _state, _logits, AttentionForm.Absorbed, layerCompleted: _exporting.Count > 0 ? _exportLayer : null);
        int row = 0;
        int vocab = _model.Config.VocabSize;
        // Finishing a sequence changes the scheduler's queues, never this step's chunk list: no copy needed.
        for (int i = 0; i < chunks.Count; i++)
        {
            var chunk = chunks[i];
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
        if (sequence.Prefill is { } prefill)
        {
            // Prefill role: the rows already left layer by layer; hand over the first token. Generation continues elsewhere.
            sequence.Append(sampled.TokenId);
            RecordToken(sequence);
            prefill.Complete(sampled, sequence.Usage);
            Finish(sequence, FinishReason.Length, "");
            return;
        }

        AcceptToken(sequence, sampled);
    }

    /// <summary>Appends a sampled token, streams it, and finishes the sequence when a stop condition holds.</summary>
    private void AcceptToken(Sequence sequence, SampledToken sampled)
    {
        var sampling = sequence.Sampling;
        int token = sampled.TokenId;
        sequence.Append(token);
        RecordToken(sequence);
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

    /// <summary>
    /// After a layer of a step: every prefill-only sequence finishing its prompt in this step publishes that layer's
    /// rows [prompt, rowLength] (all its positions are final for this layer now), while later layers still compute.
    /// </summary>
    private void ExportLayer(int layer)
    {
        var cache = _blocks.Cache;
        int rowLength = cache.RowLength;
        foreach (var sequence in _exporting)
        {
            var rows = new float[sequence.PromptLength * rowLength];
            for (int position = 0; position < sequence.PromptLength; position++)
            {
                cache.Row(sequence.Table, layer, position).CopyTo(rows.AsSpan(position * rowLength, rowLength));
            }

            sequence.Prefill!.WriteLayer(layer, rows);
        }
    }

    /// <summary>Writes a transferred prompt's rows into the sequence's blocks (those not shared from the context cache).</summary>
    private void WriteImportedRows(Sequence sequence, PrefillOutput imported)
    {
        var cache = _blocks.Cache;
        int rowLength = cache.RowLength;
        for (int layer = 0; layer < cache.Layers; layer++)
        {
            for (int position = sequence.ImportFrom; position < sequence.PromptLength; position++)
            {
                imported.LayerRows[layer].AsSpan(position * rowLength, rowLength).CopyTo(cache.Row(sequence.Table, layer, position));
            }
        }

        sequence.ImportWritten = true;
    }

    private void RecordToken(Sequence sequence)
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_metrics is { } metrics)
        {
            metrics.GenerationTokens.Add(1);
            if (sequence.LastTokenTimestamp == 0)
            {
                metrics.TimeToFirstToken.Record(System.Diagnostics.Stopwatch.GetElapsedTime(sequence.ArrivalTimestamp, now).TotalSeconds);
            }
            else
            {
                metrics.InterTokenLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(sequence.LastTokenTimestamp, now).TotalSeconds);
            }
        }

        sequence.LastTokenTimestamp = now;
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
        if (_metrics is { } metrics)
        {
            var usage = sequence.Usage;
            metrics.RequestDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(sequence.ArrivalTimestamp).TotalSeconds,
                new KeyValuePair<string, object?>("finish_reason", FinishReasons.ToOpenAi(reason)));
            metrics.PromptTokens.Add(usage.PromptTokens);
            metrics.PromptCacheHitTokens.Add(usage.CachedPromptTokens);
            metrics.PromptCacheMissTokens.Add(usage.MissedPromptTokens);
        }
        sequence.Events.TryComplete();
        sequence.CancellationRegistration.Dispose();
        _scheduler.Remove(sequence);
    }

    /// <summary>
    /// Ends every running sequence with <paramref name="error"/>: after a failed step their cache rows are unknown, so
    /// nothing is guessed. Waiting sequences are untouched and run next.
    /// </summary>
    private void FailRunning(Exception error)
    {
        var failure = new EngineFailedException($"the engine step failed: {error.Message}", error);
        foreach (var sequence in _scheduler.Sequences.Where(s => s.ComputedTokens > 0 || s.Table.Count > 0).ToArray())
        {
            sequence.IsFinished = true;
            if (!sequence.CountedAsRunning)
            {
                sequence.CountedAsRunning = true;
                Interlocked.Decrement(ref _notYetRunning);
            }

            sequence.Events.TryComplete(failure);
            sequence.CancellationRegistration.Dispose();
            _scheduler.Remove(sequence);
        }
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
