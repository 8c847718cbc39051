using System.Net.Sockets;
using System.Text;
using EdgeCL.Sync.Client;

namespace EdgeCL.Sync.Tests.Brokers;

/// <summary>A hand-written MQTT 3.1.1 CONNECT, for what MQTTnet's client refuses to send.</summary>
public static class RawMqtt311
{
    /// <summary>Connects with the login of <paramref name="login"/> and returns the CONNACK's return code (0 accepted, 2 identifier rejected), or -1 when the broker closes the connection without one.</summary>
    public static async Task<int> ConnectReturnCodeAsync(FleetBrokerOptions login, string clientId, bool cleanSession)
    {
        static byte[] Str(string s) => [(byte)(Encoding.UTF8.GetByteCount(s) >> 8), (byte)Encoding.UTF8.GetByteCount(s), .. Encoding.UTF8.GetBytes(s)];
        byte flags = (byte)(0x80 | 0x40 | (cleanSession ? 0x02 : 0));
        byte[] body = [.. Str("MQTT"), 4, flags, 0, 60, .. Str(clientId), .. Str(login.UserName!), .. Str(login.Password!)];
        Assert.True(body.Length < 128, "one-byte remaining length");
        using var socket = new TcpClient();
        await socket.ConnectAsync(login.Host, login.Port);
        using NetworkStream stream = socket.GetStream();
        await stream.WriteAsync((byte[])[0x10, (byte)body.Length, .. body]);
        var connAck = new byte[4];
        try
        {
            await stream.ReadExactlyAsync(connAck).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (EndOfStreamException)
        {
            return -1;
        }
        Assert.Equal(0x20, connAck[0]);
        return connAck[3];
    }
}
