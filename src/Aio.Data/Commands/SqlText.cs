namespace Aio.Data.Commands;

/// <summary>What can be told of a statement from its text without parsing it.</summary>
internal static class SqlText
{
    /// <summary>Whether the statement surely only reads: it starts (after blanks and comments) with
    /// SELECT, VALUES or EXPLAIN. A WITH may end in an INSERT, so it counts as a write.</summary>
    internal static bool IsSurelyRead(string sql)
    {
        ReadOnlySpan<char> text = sql;
        while (true)
        {
            text = text.TrimStart();
            if (text.StartsWith("--"))
            {
                int end = text.IndexOf('\n');
                text = end < 0 ? default : text[(end + 1)..];
            }
            else if (text.StartsWith("/*"))
            {
                int end = text.IndexOf("*/");
                text = end < 0 ? default : text[(end + 2)..];
            }
            else
            {
                break;
            }
        }

        return StartsWithWord(text, "SELECT") || StartsWithWord(text, "VALUES") || StartsWithWord(text, "EXPLAIN");
    }

    private static bool StartsWithWord(ReadOnlySpan<char> text, string word) =>
        text.StartsWith(word, StringComparison.OrdinalIgnoreCase)
        && (text.Length == word.Length || !char.IsLetterOrDigit(text[word.Length]) && text[word.Length] != '_');
}
