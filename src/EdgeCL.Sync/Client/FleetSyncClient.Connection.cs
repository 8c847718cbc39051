using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using EdgeCL.Core.Fleet;
using EdgeCL.Sync.Status;
using EdgeCL.Sync.Topics;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace EdgeCL.Sync.Client;

// The connection loop: connect, subscribe, birth, rebirth, outbox drain, heal, health pings, reconnect with backoff.
public sealed partial class FleetSyncClient
{
    private async Task RunConnectionAsync(CancellationToken stop)
    {
        int failures = 0;
        while (!stop.IsCancellationRequested)
        {
            string? failure;
            try
            {
                failure = await ConnectOnceAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                failure = OneLine(ex);
            }
            if (failure is null)
            {
                failures = 0;
                try
                {
                    failure = await RunSessionAsync(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (IsTransient(ex))
                {
                    failure = OneLine(ex);
                }
                Volatile.Write(ref _connected, NewSignal());
                Log.ConnectionLost(_logger, _options.DeviceId, failure);
                await ForceDisconnectAsync().ConfigureAwait(false);
            }
            failures++;
            TimeSpan delay = Backoff(failures);
            if (failures > 1 || failure is not null)
                Log.ConnectFailed(_logger, _options.DeviceId, _options.Broker.Host, _options.Broker.Port, failure ?? "connection lost", (long)delay.TotalMilliseconds);
            try
            {
                await Task.Delay(delay, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One connect attempt: CONNECT, SUBSCRIBE, retained birth. Returns null on success, else why it failed.</summary>
    private async Task<string?> ConnectOnceAsync(CancellationToken stop)
    {
        long session = Interlocked.Increment(ref _session);
        var birth = Current(new DeviceStatus { Online = true, Space = _options.Space.Id, Session = session, TimeMs = _time.GetUtcNow().ToUnixTimeMilliseconds() });
        MqttClientOptions mqttOptions = BuildMqttOptions(birth with { Online = false, Health = null });
        Volatile.Write(ref _birth, birth);
        Volatile.Write(ref _lost, NewSignal());
        using (var deadline = Deadline(stop, _options.ConnectTimeout))
        {
            MqttClientConnectResult result;
            try
            {
                result = await _mqtt.ConnectAsync(mqttOptions, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                return $"no CONNACK within {_options.ConnectTimeout.TotalSeconds:0.#} s";
            }
            if (result.ResultCode != MqttClientConnectResultCode.Success)
                return $"broker refused the connection ({result.ResultCode}{(string.IsNullOrEmpty(result.ReasonString) ? "" : ": " + result.ReasonString)}); check the user name, password or certificate of device '{_options.DeviceId}'";
        }

        var subscribe = new MqttClientSubscribeOptionsBuilder()
            // No-local: our own publishes need not come back; the local merge already has them.
            .WithTopicFilter(_protoFilter, MqttQualityOfServiceLevel.AtLeastOnce, noLocal: true, retainAsPublished: false, MqttRetainHandling.SendAtSubscribe)
            .WithTopicFilter(_protoBundleFilter, MqttQualityOfServiceLevel.AtLeastOnce, noLocal: true, retainAsPublished: false, MqttRetainHandling.SendAtSubscribe)
            // Commands too: one sent retained (`fleet command --retain`) reaches a device that was offline; it is acted on
            // once (its nonce is kept across restarts) and counted quietly as redelivered after that.
            .WithTopicFilter(_commandTopic, MqttQualityOfServiceLevel.AtLeastOnce, noLocal: false, retainAsPublished: false, MqttRetainHandling.SendAtSubscribe)
            // ... and one retained slot per command (cmd/{device}/{id}), so several can wait for an offline device.
            .WithTopicFilter(FleetTopics.CommandsWithIdFilter(_options.Fleet, _options.DeviceId), MqttQualityOfServiceLevel.AtLeastOnce, noLocal: false, retainAsPublished: false, MqttRetainHandling.SendAtSubscribe);
        if (_options.Receive == FleetReceiveMode.Aggregates)
        {
            // Per class: one delivery per class. Bundles: each trusted aggregator's retained snapshot and delta, then its live
            // bundles (below and FleetSyncClient.CatchUp.cs).
            if (!_options.AggregateBundles)
                subscribe.WithTopicFilter(FleetTopics.AggregateFilter(_options.Fleet, _options.Space.Id), MqttQualityOfServiceLevel.AtLeastOnce, noLocal: true,
                    retainAsPublished: false, MqttRetainHandling.SendAtSubscribe);
            subscribe.WithTopicFilter(FleetTopics.ReceiptFilter(_options.Fleet, _options.Space.Id, _options.DeviceId), MqttQualityOfServiceLevel.AtLeastOnce, noLocal: true, retainAsPublished: false, MqttRetainHandling.SendAtSubscribe);
        }
        if (_options.WatchOwnAggregateBundles)
            // Not no-local: whatever the broker holds there, whoever wrote it, must reach it; its own publishes come back
            // too and are ignored (FleetAggregator.ClearLeftoverParts).
            subscribe.WithTopicFilter(FleetTopics.AggregatorBundlesFilter(_options.Fleet, _options.Space.Id, _options.DeviceId), MqttQualityOfServiceLevel.AtLeastOnce,
                noLocal: false, retainAsPublished: false, MqttRetainHandling.SendAtSubscribe);
        if (_options.TrackDeviceStatus)
            subscribe.WithTopicFilter(FleetTopics.StatusFilter(_options.Fleet), MqttQualityOfServiceLevel.AtLeastOnce, noLocal: false, retainAsPublished: false, MqttRetainHandling.SendAtSubscribe);
        using (var deadline = Deadline(stop, _options.OperationTimeout))
        {
            MqttClientSubscribeResult subscribed = await _mqtt.SubscribeAsync(subscribe.Build(), deadline.Token).ConfigureAwait(false);
            if (_options.Receive == FleetReceiveMode.Aggregates && _options.AggregateBundles)
            {
                // Each trusted aggregator's retained snapshot and delta; once complete, its live bundles replace them
                // (FleetSyncClient.CatchUp.cs).
                var catchUp = new MqttClientSubscribeOptionsBuilder();
                IReadOnlyList<string> aggregators = StartCatchUps();
                foreach (string aggregator in aggregators)
                    catchUp.WithTopicFilter(FleetTopics.AggregatorBundlesFilter(_options.Fleet, _options.Space.Id, aggregator), MqttQualityOfServiceLevel.AtLeastOnce,
                        noLocal: true, retainAsPublished: false, MqttRetainHandling.SendAtSubscribe);
                if (aggregators.Count > 0)
                    subscribed = await _mqtt.SubscribeAsync(catchUp.Build(), deadline.Token).ConfigureAwait(false);
            }
            foreach (MqttClientSubscribeResultItem item in subscribed.Items)
                if (item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2)
                    Log.Refused(_logger, $"subscription to {item.TopicFilter.Topic}", _options.DeviceId, item.ResultCode.ToString());
            MqttClientPublishResult published = await PublishStatusAsync(birth, deadline.Token).ConfigureAwait(false);
            if (!published.IsSuccess)
                Log.Refused(_logger, "the birth message", _options.DeviceId, published.ReasonCode.ToString());
        }
        Interlocked.Increment(ref _connects);
        Log.Connected(_logger, _options.DeviceId, _options.Broker.Host, _options.Broker.Port, session);
        return null;
    }

    /// <summary>Runs one connected session: rebirth, drain the outbox, health pings. Returns why the session ended.</summary>
    private async Task<string> RunSessionAsync(CancellationToken stop)
    {
        Task lost = Volatile.Read(ref _lost).Task;
        _rebirthRequested = true;
        bool announced = false;
        while (true)
        {
            if (lost.IsCompleted)
                return "the broker closed the connection";
            if (_rebirthRequested)
            {
                _rebirthRequested = false;
                IReadOnlyList<FleetEntry> latest = await _outbox.LatestAsync(stop).ConfigureAwait(false);
                if (_ownBundles is null)
                    await PublishEntriesAsync(latest, stop).ConfigureAwait(false);
                else
                    await PublishBundledAsync(latest, rebirth: true, stop).ConfigureAwait(false);
                Log.Rebirth(_logger, _options.DeviceId, latest.Count);
            }
            if (!_heal.IsEmpty)
                await HealAsync(stop).ConfigureAwait(false);
            if (!_healParts.IsEmpty)
                await HealPartsAsync(stop).ConfigureAwait(false);
            if (!_caughtUp.IsEmpty)
                await EndCatchUpsAsync(stop).ConfigureAwait(false);
            IReadOnlyList<FleetEntry> pending = await _outbox.PendingAsync(PendingBatch, stop).ConfigureAwait(false);
            if (pending.Count > 0)
            {
                if (_ownBundles is null)
                    await PublishEntriesAsync(pending, stop).ConfigureAwait(false);
                else
                    await PublishBundledAsync(pending, rebirth: false, stop).ConfigureAwait(false);
                continue;
            }
            if (!announced)
            {
                // Connected and caught up: only now do waiters (tests, the simulation) see the client as connected.
                announced = true;
                Volatile.Read(ref _connected).TrySetResult();
            }
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(stop);
            Task wake = _wake.Reader.WaitToReadAsync(idle.Token).AsTask();
            Task tick = Task.Delay(_options.HealthCheckInterval, _time, idle.Token);
            Task first = await Task.WhenAny(wake, tick, lost).ConfigureAwait(false);
            await idle.CancelAsync().ConfigureAwait(false);
            stop.ThrowIfCancellationRequested();
            if (first == lost)
                return "the broker closed the connection";
            if (first == wake)
            {
                _wake.Reader.TryRead(out _);
                continue;
            }
            using var deadline = Deadline(stop, _options.OperationTimeout);
            if (!await _mqtt.TryPingAsync(deadline.Token).ConfigureAwait(false))
                return $"no ping response within {_options.OperationTimeout.TotalSeconds:0.#} s";
        }
    }

    private MqttClientOptions BuildMqttOptions(DeviceStatus will)
    {
        FleetBrokerOptions broker = _options.Broker;
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Host, broker.Port)
            .WithClientId(_options.DeviceId)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            // Clean sessions only: state comes back by rebirth, never from a broker session (Sparkplug B; MQTTnet.Server
            // drops sessions by default).
            .WithCleanStart(true)
            .WithSessionExpiryInterval(0)
            .WithKeepAlivePeriod(_options.KeepAlive)
            .WithTimeout(_options.OperationTimeout)
            .WithWillTopic(_statusTopic)
            .WithWillPayload(will.ToPayload())
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithWillDelayInterval((uint)_options.WillDelay.TotalSeconds);
        if (broker.UserName is not null)
            builder.WithCredentials(broker.UserName, broker.Password ?? string.Empty);
        if (broker.IsTls)
        {
            builder.WithTlsOptions(tls =>
            {
                tls.UseTls(true)
                    .WithTargetHost(broker.TlsServerName ?? broker.Host)
                    .WithSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13)
                    .WithCertificateValidationHandler(ValidateBrokerCertificate);
                if (_clientCertificate is not null)
                    tls.WithClientCertificates([_clientCertificate]);
            });
        }
        return builder.Build();
    }

    private bool ValidateBrokerCertificate(MqttClientCertificateValidationEventArgs e)
    {
        if (e.SslPolicyErrors == SslPolicyErrors.None)
            return true;
        // A wrong host name or a missing certificate is never excused by the fleet CA.
        if (_fleetCa is null || e.Certificate is null
            || (e.SslPolicyErrors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_fleetCa);
        // A private fleet CA publishes no CRL/OCSP endpoint; revocation is handled by re-issuing the broker certificate.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (e.Chain is not null)
            foreach (X509ChainElement element in e.Chain.ChainElements)
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        using var leaf = X509CertificateLoader.LoadCertificate(e.Certificate.GetRawCertData());
        return chain.Build(leaf);
    }

    private MqttApplicationMessage StatusMessage(DeviceStatus status) => new MqttApplicationMessageBuilder()
        .WithTopic(_statusTopic)
        .WithPayload(status.ToPayload())
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .WithRetainFlag()
        .Build();

    private async Task ForceDisconnectAsync()
    {
        if (!_mqtt.IsConnected)
            return;
        try
        {
            using var deadline = new CancellationTokenSource(_options.OperationTimeout);
            await _mqtt.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage).Build(),
                deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            // Already half-closed; the next ConnectAsync starts from a clean adapter.
        }
    }

    private TimeSpan Backoff(int failures)
    {
        // Capped exponential backoff with "equal jitter": half fixed, half random, so a fleet that lost the same broker
        // spreads its reconnects instead of arriving together.
        double min = _options.MinReconnectDelay.TotalMilliseconds, max = _options.MaxReconnectDelay.TotalMilliseconds;
        double ceiling = Math.Min(max, min * Math.Pow(2, Math.Min(failures - 1, 30)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private static CancellationTokenSource Deadline(CancellationToken stop, TimeSpan timeout)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        cts.CancelAfter(timeout);
        return cts;
    }

    private static bool IsTransient(Exception ex) =>
        ex is MqttCommunicationException or IOException or System.Net.Sockets.SocketException or AuthenticationException
            or OperationCanceledException or InvalidOperationException or ObjectDisposedException;

    private static string OneLine(Exception ex)
    {
        string message = ex.Message;
        int nl = message.IndexOfAny(['\r', '\n']);
        return (nl < 0 ? message : message[..nl]) + $" ({ex.GetType().Name})";
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
