namespace EdgeCL.Eval.Data;

/// <summary>One sample of a dataset.</summary>
/// <param name="Path">Full path of the file, or the .npy file for an embedding row.</param>
/// <param name="Key">Stable name relative to the dataset root (seeds its corruption noise; shown in exports).</param>
/// <param name="Row">Row of the .npy matrix, or −1 for a file.</param>
/// <param name="Label">Its class.</param>
/// <param name="Domain">Its natural domain (root/&lt;domain&gt;/&lt;class&gt;/file), or null.</param>
public sealed record DatasetItem(string Path, string Key, int Row, string Label, string? Domain);
