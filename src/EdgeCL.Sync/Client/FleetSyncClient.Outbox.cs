using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Topics;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Sync.Client;

// The connection loop's side of publishing own entries: per class from the outbox (rebirth, pending, heal), signing
// what a restart left unsigned; the bundled form is in FleetSyncClient.Bundles.cs.
public sealed partial class FleetSyncClient
{
    /// <summary>Republishes own classes whose retained copy was replaced by a replay or a forgery; clears topics of classes we never wrote.</summary>
    private async Task HealAsync(CancellationToken stop)
    {
        IReadOnlyList<FleetEntry> latest = await _outbox.LatestAsync(stop).ConfigureAwait(false);
        var own = new HashSet<string>(StringComparer.Ordinal);
        var heal = new List<FleetEntry>();
        foreach (FleetEntry entry in latest)
        {
            own.Add(entry.Label);
            if (_heal.TryRemove(entry.Label, out _))
                heal.Add(entry);
        }
        await PublishEntriesAsync(heal, stop).ConfigureAwait(false);
        foreach (string label in _heal.Keys)
        {
            // A label of ours rescheduled while we were publishing (a second forgery arrived) is healed by the next
            // pass; clearing it here would delete our own genuine retained entry.
            if (own.Contains(label))
                continue;
            _heal.TryRemove(label, out _);
            // An empty retained payload deletes the retained message (MQTT 5 §3.3.1.3).
            MqttApplicationMessage clear = new MqttApplicationMessageBuilder()
                .WithTopic(FleetTopics.Prototype(_options.Fleet, _options.Space.Id, _options.DeviceId, label))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithRetainFlag()
                .Build();
            using var deadline = Deadline(stop, _options.OperationTimeout);
            await _mqtt.PublishAsync(clear, deadline.Token).ConfigureAwait(false);
        }
    }

    private async Task PublishEntriesAsync(IReadOnlyList<FleetEntry> entries, CancellationToken stop)
    {
        EncodeMissing(entries);
        var window = new List<Task>(_options.PublishConcurrency);
        for (int start = 0; start < entries.Count; start += _options.PublishConcurrency)
        {
            window.Clear();
            int end = Math.Min(entries.Count, start + _options.PublishConcurrency);
            for (int i = start; i < end; i++)
                window.Add(PublishOneAsync(entries[i], stop));
            await Task.WhenAll(window).ConfigureAwait(false);
        }
    }

    private async Task PublishOneAsync(FleetEntry entry, CancellationToken stop)
    {
        await PublishOwnAsync(FleetTopics.Prototype(_options.Fleet, _options.Space.Id, _options.DeviceId, entry.Label), EncodedPayload(entry), stop)
            .ConfigureAwait(false);
        await _outbox.MarkPublishedAsync(entry, stop).ConfigureAwait(false);
    }

    /// <summary>Publishes one retained message on one of our own entry topics (per class or bundle part). A refusal (e.g.
    /// NotAuthorized from the ACL) will not change by retrying: counted and logged once, and the message taken as done; a
    /// lost connection throws and ends the session.</summary>
    /// <returns>Always true (the shape <see cref="Bundles.RetainedBundles.PublishAsync"/> takes).</returns>
    private async Task<bool> PublishOwnAsync(string topic, byte[] payload, CancellationToken stop)
    {
        MqttApplicationMessage message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag()
            .Build();
        using var deadline = Deadline(stop, _options.OperationTimeout);
        MqttClientPublishResult result = await _mqtt.PublishAsync(message, deadline.Token).ConfigureAwait(false);
        if (result.IsSuccess)
        {
            Interlocked.Increment(ref _published);
            Interlocked.Add(ref _publishedBytes, payload.Length);
        }
        else if (Interlocked.Increment(ref _publishRefused) == 1)
        {
            Log.Refused(_logger, $"publish of {topic}", _options.DeviceId, result.ReasonCode.ToString());
        }
        return true;
    }

    // Entries restored from a durable outbox after a restart have no payload yet: a rebirth signs them together, once
    // (SignedPayload), instead of one signature each.
    private void EncodeMissing(IReadOnlyList<FleetEntry> entries)
    {
        var missing = new List<FleetEntry>();
        lock (_encodedLock)
        {
            foreach (FleetEntry entry in entries)
                if (!_encoded.TryGetValue(entry.Label, out var held) || held.Version < entry.Version)
                    missing.Add(entry);
        }
        if (missing.Count < 2)
            return;
        IReadOnlyList<byte[]> payloads = _codec.EncodeBatch(missing);
        lock (_encodedLock)
        {
            for (int i = 0; i < missing.Count; i++)
                if (!_encoded.TryGetValue(missing[i].Label, out var held) || held.Version < missing[i].Version)
                    _encoded[missing[i].Label] = (missing[i].Version, payloads[i]);
        }
    }

    private byte[] EncodedPayload(FleetEntry entry)
    {
        lock (_encodedLock)
        {
            if (_encoded.TryGetValue(entry.Label, out var held) && held.Version == entry.Version)
                return held.Payload;
        }
        // An entry restored from a durable outbox after a restart: encode (sign) it once and keep it.
        byte[] payload = _codec.Encode(entry);
        lock (_encodedLock)
        {
            if (!_encoded.TryGetValue(entry.Label, out var held) || held.Version < entry.Version)
                _encoded[entry.Label] = (entry.Version, payload);
        }
        return payload;
    }
}
