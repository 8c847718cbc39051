using System.CommandLine;
using EdgeCL.Cli.Output;
using EdgeCL.Cli.State;
using EdgeCL.Core.Memory;
using EdgeCL.Core.Errors;

namespace EdgeCL.Cli.Commands;

/// <summary><c>edgecl forget</c>: remove a class from a state (kept as a versioned tombstone).</summary>
internal static class ForgetCommand
{
    public static Command Create()
    {
        var state = CommonOptions.State();
        var label = new Option<string>("--label", "-l") { Description = "The class to forget.", Required = true };
        var json = CommonOptions.Json();
        var command = new Command("forget", "Forget a class; the state is replaced atomically.") { state, label, json };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(_ =>
        {
            string statePath = parse.GetValue(state)!;
            PrototypeMemory memory = StateFile.Load(statePath, null)
                ?? throw new StateFormatException($"State file '{statePath}' does not exist; nothing to forget.");
            string l = parse.GetValue(label)!;
            if (!memory.Forget(l))
                throw new ArgumentException($"Class '{l}' is not in '{statePath}'; known classes: {string.Join(", ", LearnCommand.Classes(memory).Select(c => c.Label))}.");
            StateFile.Save(statePath, memory);
            var result = new LearnResult(Path.GetFullPath(statePath), memory.Space.Id, memory.Dimension, 0, LearnCommand.Classes(memory));
            if (parse.GetValue(json))
                CommandRunner.WriteJson(result, CliJsonContext.Default.LearnResult);
            else
                Console.WriteLine($"forgot '{l}'; {memory.ClassCount} class(es) remain.");
            return Task.FromResult(ExitCodes.Success);
        }, ct));
        return command;
    }
}
