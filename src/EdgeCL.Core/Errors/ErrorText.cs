namespace EdgeCL.Core.Errors;

/// <summary>Turns an exception into the one line a user reads.</summary>
public static class ErrorText
{
    /// <summary>The first line of <paramref name="exception"/>'s message, without the <c> (Parameter 'name')</c> that .NET appends
    /// to an <see cref="ArgumentException"/>: the parameter of a method means nothing to the person who typed the command.</summary>
    public static string OneLine(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        string message = exception.Message;
        int newline = message.AsSpan().IndexOfAny('\r', '\n');
        if (newline >= 0)
            message = message[..newline];
        if (exception is ArgumentException { ParamName: { } name })
        {
            string suffix = $" (Parameter '{name}')";
            if (message.EndsWith(suffix, StringComparison.Ordinal))
                message = message[..^suffix.Length];
        }
        return message;
    }
}
