using EdgeCL.Core.Security;
using System.CommandLine;
using EdgeCL.Web.Security;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl hash-password</c>: reads a device-page password from stdin and prints the hash for <c>web.users[].password_hash</c>.</summary>
internal static class HashPasswordCommand
{
    public static Command Create()
    {
        var command = new Command("hash-password", "Read a device-page password from stdin (one line) and print its hash for web.users[].password_hash; the config never holds the password.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(token =>
        {
            string? password = Console.In.ReadLine();
            if (string.IsNullOrEmpty(password) || password.Length < 8)
                return Task.FromResult(CommandRunner.Fail("give a password of at least 8 characters on stdin, e.g. 'edgecl hash-password < secret.txt'.", ExitCodes.Usage));
            Console.Out.WriteLine(PasswordHash.Hash(password));
            return Task.FromResult(ExitCodes.Success);
        }, ct));
        return command;
    }
}
