// Placeholder entry point; replaced by the System.CommandLine application.
if (args.Length > 0 && args[0] == "--version") { Console.WriteLine("edgecl 0.1.0"); return 0; }
Console.Error.WriteLine("usage: edgecl --version");
return 2;
