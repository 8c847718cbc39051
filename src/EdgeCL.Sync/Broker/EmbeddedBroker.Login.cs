using EdgeCL.Core.Security;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeCL.Sync.Broker;

// Login: password (salted PBKDF2 hashes) or client certificate, and the client id rules.
public sealed partial class EmbeddedBroker
{
    private bool ValidateClientCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
            return true; // no certificate: the client must log in with a password
        using var chainBuilder = new X509Chain();
        chainBuilder.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chainBuilder.ChainPolicy.CustomTrustStore.AddRange(_clientCa!);
        // A private fleet CA publishes no CRL/OCSP endpoint; revocation is done by removing the device from the ACL/users.
        chainBuilder.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        bool valid = chainBuilder.Build(leaf);
        if (!valid)
        {
            Interlocked.Increment(ref _refusedConnections);
            Log.ConnectionRefused(_logger, "", leaf.GetNameInfo(X509NameType.SimpleName, false), "client certificate not issued by the fleet CA");
        }
        return valid;
    }

    private Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        if (_options.OpenForTesting)
            return AcceptAnonymous(e); // the conformance suites test the protocol, not the fleet
        string? reason;
        var code = MqttConnectReasonCode.BadUserNameOrPassword;
        // A certificate that passed ValidateClientCertificate identifies the client: CN = user name, no password needed.
        if (_clientCa is not null && e.ClientCertificate is { } certificate)
        {
            string name = certificate.GetNameInfo(X509NameType.SimpleName, false);
            BrokerUser? known = _users.GetValueOrDefault(name);
            if (known is null && !Topics.TopicSegment.IsValidIdentifier(name))
            {
                reason = $"certificate CN '{name}' is not a device id";
            }
            else if (known?.IsOperator != true && !string.IsNullOrEmpty(e.ClientId) && e.ClientId != name)
            {
                reason = $"client id '{e.ClientId}' must equal the certificate's CN '{name}' (or be empty)";
                code = MqttConnectReasonCode.ClientIdentifierNotValid;
            }
            else
            {
                return Accept(e, known ?? new BrokerUser(name, "", IsOperator: false));
            }
            Interlocked.Increment(ref _refusedConnections);
            Log.ConnectionRefused(_logger, e.ClientId ?? "", name, reason);
            e.ReasonCode = code;
            return Task.CompletedTask;
        }
        if (e.UserName is null || !_users.TryGetValue(e.UserName, out BrokerUser? user))
        {
            reason = $"unknown user '{e.UserName}'";
        }
        else if (!PasswordMatches(user, e.Password ?? ""))
        {
            reason = "wrong password";
        }
        else if (!user.IsOperator && !string.IsNullOrEmpty(e.ClientId) && e.ClientId != user.Name)
        {
            reason = $"client id '{e.ClientId}' must equal the device's user name '{user.Name}' (or be empty)";
            code = MqttConnectReasonCode.ClientIdentifierNotValid;
        }
        else
        {
            return Accept(e, user);
        }
        Interlocked.Increment(ref _refusedConnections);
        Log.ConnectionRefused(_logger, e.ClientId ?? "", e.UserName ?? "", reason);
        e.ReasonCode = code;
        return Task.CompletedTask;
    }

    /// <summary>Lets a client in; an empty client id (mosquitto_pub's default) gets one: a device its user name, an operator a unique one.</summary>
    private Task Accept(ValidatingConnectionEventArgs e, BrokerUser user)
    {
        e.SessionItems[UserKey] = user;
        string? assigned = null;
        if (string.IsNullOrEmpty(e.ClientId))
        {
            assigned = user.IsOperator ? $"{user.Name}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}" : user.Name;
            Log.ClientIdAssigned(_logger, user.Name, assigned);
        }
        RememberClient(e, assigned);
        return Task.CompletedTask;
    }

    /// <summary>The open test mode: anyone, any client id; an empty id with a clean session gets a unique one (MQTT 5 tells
    /// the client in CONNACK), as the specifications allow; with a session to resume it is refused (MQTT-3.1.3-8).</summary>
    private Task AcceptAnonymous(ValidatingConnectionEventArgs e)
    {
        if (string.IsNullOrEmpty(e.ClientId) && e.CleanSession != true)
        {
            e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            return Task.CompletedTask;
        }
        RememberClient(e, string.IsNullOrEmpty(e.ClientId) ? $"anonymous-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}" : null);
        return Task.CompletedTask;
    }

    /// <summary>PBKDF2 check; a password that matched once is remembered as a salted SHA-256 in memory, so a reconnecting fleet does not cost a PBKDF2 run per login.</summary>
    private bool PasswordMatches(BrokerUser user, string password)
    {
        byte[] quick = SHA256.HashData(Encoding.UTF8.GetBytes(user.PasswordHash + "\n" + password));
        if (_verified.TryGetValue(user.Name, out byte[]? known) && CryptographicOperations.FixedTimeEquals(known, quick))
            return true;
        if (!PasswordHash.Verify(password, user.PasswordHash))
            return false;
        _verified[user.Name] = quick;
        return true;
    }
}
