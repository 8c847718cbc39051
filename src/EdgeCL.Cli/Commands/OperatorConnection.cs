using System.CommandLine;
using EdgeCL.Sync.Client;

namespace EdgeCL.Cli.Commands;

/// <summary>How the <c>edgecl fleet</c> operator commands log in to a broker: the shared options (the connect is <see cref="EdgeCL.Sync.Operator.OperatorLogin"/>).</summary>
internal static class OperatorConnection
{
    /// <summary>The login options, shared by <c>fleet status</c>, <c>fleet command</c> and <c>fleet serve</c>.</summary>
    public sealed class Options
    {
        public Option<string?> User { get; } = new("--user") { Description = "User name (an operator account can read everything and send commands)." };

        public Option<string?> Password { get; } = new("--password") { Description = "Password of --user." };

        public Option<string?> Ca { get; } = new("--ca") { Description = "Fleet CA (PEM) for mqtts://." };

        public Option<string?> Cert { get; } = new("--cert") { Description = "Client certificate (PEM) for mqtts://." };

        public Option<string?> Key { get; } = new("--key") { Description = "Client key (PEM) for --cert." };

        /// <summary>The endpoint of <paramref name="broker"/> with these options applied.</summary>
        /// <exception cref="ArgumentException">An option is invalid.</exception>
        public FleetBrokerOptions Endpoint(ParseResult parse, string broker)
        {
            FleetBrokerOptions endpoint = FleetBrokerOptions.Parse(broker) with
            {
                UserName = parse.GetValue(User), Password = parse.GetValue(Password),
                CaCertificatePath = parse.GetValue(Ca), ClientCertificatePath = parse.GetValue(Cert), ClientKeyPath = parse.GetValue(Key),
            };
            endpoint.Validate();
            return endpoint;
        }
    }
}
