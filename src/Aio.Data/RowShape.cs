using System.Data.Common;

namespace Aio.Data;

/// <summary>The column names of a result, shared by its rows, with the lookup from name to position.</summary>
internal sealed class RowShape
{
    private Dictionary<string, int>? _ordinals;

    private RowShape(string[] names)
    {
        Names = names;
    }

    internal string[] Names { get; }

    internal static RowShape Of(DbDataReader reader)
    {
        string[] names = new string[reader.FieldCount];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = reader.GetName(i);
        }

        return new RowShape(names);
    }

    internal int OrdinalOf(string name)
    {
        // Most rows are read by one or two names: a scan beats building a dictionary until there are many.
        if (Names.Length <= 8)
        {
            for (int i = 0; i < Names.Length; i++)
            {
                if (Names[i] == name)
                {
                    return i;
                }
            }
        }
        else
        {
            _ordinals ??= BuildOrdinals();
            if (_ordinals.TryGetValue(name, out int ordinal))
            {
                return ordinal;
            }
        }

        for (int i = 0; i < Names.Length; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        throw new IndexOutOfRangeException($"The result has no column named '{name}'.");
    }

    private Dictionary<string, int> BuildOrdinals()
    {
        var ordinals = new Dictionary<string, int>(Names.Length, StringComparer.Ordinal);
        for (int i = 0; i < Names.Length; i++)
        {
            ordinals.TryAdd(Names[i], i);
        }

        return ordinals;
    }
}
