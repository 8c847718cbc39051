using System.CommandLine;
using System.Net;
using EdgeCL.Sync.Broker;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl broker</c>: run the embedded MQTT broker (password login, fleet ACL, persisted retained entries) until Ctrl-C.</summary>
internal static class BrokerCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "TCP port (0 picks a free one).", DefaultValueFactory = _ => 1883 };
        var bind = new Option<string>("--bind") { Description = "Address to listen on; loopback unless the site needs it on the network.", DefaultValueFactory = _ => "127.0.0.1" };
        var users = new Option<string?>("--users") { Description = "Users file: 'name:password' or 'name:password:operator' per line (mode 0600)." };
        var data = new Option<string?>("--data") { Description = "Folder for retained.bin (retained entries survive restarts); in memory when omitted." };
        var command = new Command("broker", "Run the embedded MQTT broker for a device or a small site (Ctrl-C stops it).") { port, bind, users, data };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async token =>
        {
            if (!IPAddress.TryParse(parse.GetValue(bind), out IPAddress? address))
                throw new ArgumentException($"--bind '{parse.GetValue(bind)}' is not an IP address; use e.g. 127.0.0.1 or 0.0.0.0.");
            string? usersPath = parse.GetValue(users);
            IReadOnlyList<BrokerUser> accounts;
            try
            {
                accounts = usersPath is null ? [] : BrokerUser.ReadFile(usersPath);
            }
            catch (FormatException ex)
            {
                throw new ArgumentException(ex.Message, ex);
            }
            if (accounts.Count == 0)
                Console.Error.WriteLine("edgecl: warning: no users (--users): every login will be refused.");
            await using var broker = new EmbeddedBroker(new EmbeddedBrokerOptions { Port = parse.GetValue(port), BindAddress = address, Users = accounts, DataDirectory = parse.GetValue(data) });
            await broker.StartAsync(token).ConfigureAwait(false);
            Console.WriteLine($"edgecl broker listening on {address}:{broker.Port} ({accounts.Count} user(s){(parse.GetValue(data) is { } d ? $", retained entries in {Path.GetFullPath(d)}" : "")}); Ctrl-C stops it.");
            try
            {
                await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C is the normal way to stop a broker.
            }
            await broker.StopAsync(CancellationToken.None).ConfigureAwait(false);
            Console.WriteLine("edgecl broker stopped; retained entries saved.");
            return ExitCodes.Success;
        }, ct));
        return command;
    }
}
