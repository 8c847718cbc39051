using EdgeCL.Core.Security;
using System.CommandLine;
using System.Net;
using EdgeCL.Cli.Output;
using EdgeCL.Sync.Broker;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl broker</c>: run the embedded MQTT broker (password or certificate login, fleet ACL, persisted retained entries) until Ctrl-C.</summary>
internal static class BrokerCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "TCP port (0 picks a free one; 8883 is usual with --tls-cert).", DefaultValueFactory = _ => 1883 };
        var bind = new Option<string>("--bind") { Description = "Address to listen on; loopback unless the site needs it on the network.", DefaultValueFactory = _ => "127.0.0.1" };
        var users = new Option<string?>("--users") { Description = "Users file: 'name:hash' or 'name:hash:operator' per line, written by 'edgecl broker passwd' (mode 0600)." };
        var data = new Option<string?>("--data") { Description = "Folder for retained.bin (retained entries survive restarts); in memory when omitted." };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM server certificate (ops/mosquitto/make-certs.sh broker.crt): listen with TLS only." };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM key of --tls-cert (broker.key)." };
        var clientCa = new Option<string?>("--client-ca") { Description = "PEM fleet CA: clients may log in with a certificate of this CA, CN = user name (needs --tls-cert)." };
        var openForTesting = new Option<bool>("--open-for-testing") { Description = "Protocol conformance tests only (ops/mqtt/paho-interop.sh): anonymous logins, no fleet ACL, loopback only." };
        var command = new Command("broker", "Run the embedded MQTT broker for a device or a small site (Ctrl-C stops it).") { port, bind, users, data, tlsCert, tlsKey, clientCa, openForTesting, Passwd() };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async token =>
        {
            // Captured once: the broker's lines go where this command's output goes for its whole life.
            TextWriter stdout = Console.Out, stderr = Console.Error;
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
            catch (FileNotFoundException)
            {
                throw new ArgumentException($"Users file '{usersPath}' does not exist; add each device with 'edgecl broker passwd {usersPath} DEVICE-ID'.");
            }
            bool certificates = parse.GetValue(clientCa) is not null;
            var options = new EmbeddedBrokerOptions
            {
                Port = parse.GetValue(port), BindAddress = address, Users = accounts, DataDirectory = parse.GetValue(data),
                TlsCertificatePath = parse.GetValue(tlsCert), TlsKeyPath = parse.GetValue(tlsKey), ClientCaPath = parse.GetValue(clientCa),
                OpenForTesting = parse.GetValue(openForTesting),
            };
            await using var broker = new EmbeddedBroker(options, new WriterLogger<EmbeddedBroker>(stderr, "broker"));
            if (options.OpenForTesting)
                stderr.WriteLine("edgecl: warning: open test mode: anyone on this machine may publish and subscribe to anything; for conformance tests only.");
            else if (accounts.Count == 0 && !certificates)
                stderr.WriteLine("edgecl: warning: no users (--users) and no --client-ca: every login will be refused.");
            await broker.StartAsync(token).ConfigureAwait(false);
            string security = options.OpenForTesting ? "plain TCP, OPEN TEST MODE" : options.IsTls ? $"TLS{(certificates ? ", client certificates" : "")}" : "plain TCP";
            stdout.WriteLine($"edgecl broker listening on {address}:{broker.Port} ({security}, {accounts.Count} user(s){(options.DataDirectory is { } d ? $", retained entries in {Path.GetFullPath(d)}" : "")}); Ctrl-C stops it.");
            try
            {
                await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C is the normal way to stop a broker.
            }
            await broker.StopAsync(CancellationToken.None).ConfigureAwait(false);
            stdout.WriteLine($"edgecl broker stopped{(options.DataDirectory is null ? "" : "; retained entries saved")}.");
            return ExitCodes.Success;
        }, ct));
        return command;
    }

    /// <summary><c>edgecl broker passwd FILE USER [--operator]</c>: adds or replaces a user with a salted PBKDF2 hash of the password read from stdin.</summary>
    private static Command Passwd()
    {
        var file = new Argument<string>("file") { Description = "The users file (created if missing; other lines kept)." };
        var user = new Argument<string>("user") { Description = "User name: a device id, or an operator's name with --operator." };
        var isOperator = new Option<bool>("--operator") { Description = "The user may read and write everything under edgecl/ (send commands, read all)." };
        var command = new Command("passwd", "Add a user to an embedded-broker users file, or change its password: reads the password from the first line of stdin and stores only its salted PBKDF2-SHA256 hash.")
            { file, user, isOperator };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            string path = parse.GetValue(file)!, name = parse.GetValue(user)!;
            if (!Console.IsInputRedirected)
                Console.Error.Write($"password for {name}: ");
            string password = (Console.In.ReadLine() ?? "").TrimEnd('\r');
            if (password.Length == 0)
                throw new ArgumentException($"No password for '{name}' on stdin; pipe one in, e.g. printf '%s\\n' \"$PW\" | edgecl broker passwd {path} {name}.");
            BrokerUser.WriteToFile(path, name, password, parse.GetValue(isOperator));
            Console.WriteLine($"{name} {(parse.GetValue(isOperator) ? "(operator) " : "")}written to {path} (salted PBKDF2-SHA256, {PasswordHash.DefaultIterations} iterations).");
            return Task.FromResult(ExitCodes.Success);
        }, ct));
        return command;
    }
}
