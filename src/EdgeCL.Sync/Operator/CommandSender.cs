using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Commands;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCL.Sync.Operator;

/// <summary>Sends one signed command: the single path of <c>edgecl fleet command</c> and the fleet page.</summary>
public static class CommandSender
{
    /// <summary>Signs <paramref name="command"/> and publishes it on its own topic, <c>cmd/{device}/{id}</c>.</summary>
    /// <param name="client">A connected operator client.</param>
    /// <param name="fleet">The fleet.</param>
    /// <param name="command">The command (its device is the target).</param>
    /// <param name="operatorKey">The operator's signing key.</param>
    /// <param name="lifetime">How long it stays valid (1 s .. <see cref="SignedCommands.MaxLifetime"/>).</param>
    /// <param name="retain">Keep it on the broker until it expires (MQTT 5 message expiry) or is cleared after the
    /// device's acknowledgement, so a device that is offline now acts on it (once) when it connects.</param>
    /// <param name="cancellationToken">Cancels the publish.</param>
    /// <exception cref="ArgumentException">The lifetime is out of range, or the broker refused the publish (not an operator account).</exception>
    public static async Task<SignedCommand> SendAsync(IMqttClient client, string fleet, FleetCommand command, EntrySigner operatorKey, TimeSpan lifetime, bool retain,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (lifetime < TimeSpan.FromSeconds(1) || lifetime > SignedCommands.MaxLifetime)
            throw new ArgumentException($"A command's lifetime of {lifetime.TotalSeconds:0} s is out of range 1..{SignedCommands.MaxLifetime.TotalSeconds:0} s.", nameof(lifetime));
        SignedCommand signed = SignedCommands.Create(command, fleet, operatorKey, DateTimeOffset.UtcNow + lifetime);
        MqttClientPublishResult result = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(signed.Topic)
            .WithPayload(signed.Payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain).WithMessageExpiryInterval(retain ? (uint)Math.Ceiling(lifetime.TotalSeconds) : 0).Build(), cancellationToken).ConfigureAwait(false);
        if (!result.IsSuccess)
            throw new ArgumentException($"The broker refused the command ({result.ReasonCode}); log in with an operator account (--user).");
        return signed;
    }

    /// <summary>Deletes the retained copy on <paramref name="topic"/> (an empty retained message, MQTT 5 §3.3.1.3).</summary>
    public static Task ClearAsync(IMqttClient client, string topic, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag().Build(), cancellationToken);
    }
}
