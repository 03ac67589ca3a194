using System.Text.Json.Nodes;

namespace DeepSeekV3.Kubernetes.Client;

/// <summary>The kinds of watch event (api-concepts.md "Efficient detection of changes").</summary>
public enum WatchEventType
{
    Added,
    Modified,
    Deleted,
    Bookmark,
    Error,
}

/// <summary>One event of a watch stream; the object stays JSON until the informer decodes it to its kind.</summary>
public sealed record WatchEvent(WatchEventType Type, JsonObject Resource)
{
    /// <summary>The resourceVersion the event carries (every event, bookmarks included, has one except errors).</summary>
    public string? ResourceVersion => Resource["metadata"]?["resourceVersion"]?.GetValue<string>();
}
