using System.Globalization;
using System.Text;

namespace SeedTour;

/// <summary>Python's text forms of values, so a twin's <c>print(x)</c> reads exactly like Python's.</summary>
internal static class Py
{
    /// <summary>Python's <c>repr()</c> of a list of strings: <c>['a', "it's"]</c>.</summary>
    public static string Repr(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(Repr)) + "]";

    /// <summary>Python's <c>repr()</c> of a string.</summary>
    public static string Repr(string text)
    {
        // Python picks double quotes only when that saves escaping a single quote.
        char quote = text.Contains('\'') && !text.Contains('"') ? '"' : '\'';
        var builder = new StringBuilder(text.Length + 2).Append(quote);
        foreach (char c in text)
        {
            switch (c)
            {
                case '\\':
                    builder.Append(@"\\");
                    break;
                case '\n':
                    builder.Append(@"\n");
                    break;
                case '\r':
                    builder.Append(@"\r");
                    break;
                case '\t':
                    builder.Append(@"\t");
                    break;
                case < ' ' or '\x7f':
                    builder.Append(CultureInfo.InvariantCulture, $@"\x{(int)c:x2}");
                    break;
                default:
                    if (c == quote)
                    {
                        builder.Append('\\');
                    }

                    builder.Append(c);
                    break;
            }
        }

        return builder.Append(quote).ToString();
    }
}
