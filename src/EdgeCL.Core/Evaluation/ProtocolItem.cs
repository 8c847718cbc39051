namespace EdgeCL.Core.Evaluation;

/// <summary>A dataset item a protocol may draw from.</summary>
/// <param name="Item">The caller's index of the item (file or row).</param>
/// <param name="Label">Its class.</param>
/// <param name="Domain">Its natural domain index, or <see cref="AnyDomain"/> when synthetic shifts can show it in every domain.</param>
public readonly record struct ProtocolItem(int Item, string Label, int Domain)
{
    /// <summary>The item has no natural domain: synthetic shifts present it in every domain.</summary>
    public const int AnyDomain = -1;

    /// <summary>Whether the item can be seen in domain <paramref name="domain"/>.</summary>
    public bool IsIn(int domain) => Domain == AnyDomain || Domain == domain;
}
