using System.Data.Common;

namespace Aio.Data;

/// <summary>
/// One row of a query's result, read whole: its values by position or by column name. Rows of one query
/// share their column names.
/// </summary>
/// <remarks>Values are the driver's own: SQLite gives <see cref="long"/>, <see cref="double"/>,
/// <see cref="string"/> and <c>byte[]</c>; PostgreSQL the .NET type of each column. SQL NULL is
/// <c>null</c>. <see cref="Get{T}(int)"/> converts.</remarks>
public sealed class DbRow
{
    private readonly RowShape _shape;
    private readonly object?[] _values;

    internal DbRow(RowShape shape, object?[] values)
    {
        _shape = shape;
        _values = values;
    }

    /// <summary>How many columns the row has.</summary>
    public int FieldCount => _values.Length;

    /// <summary>The value of column <paramref name="ordinal"/>; null for SQL NULL.</summary>
    /// <param name="ordinal">The column's position, from 0.</param>
    public object? this[int ordinal] => _values[ordinal];

    /// <summary>The value of the column named <paramref name="name"/> (the first of that name); null for SQL NULL.</summary>
    /// <param name="name">The column's name, compared without regard to case when no column has it exactly.</param>
    /// <exception cref="IndexOutOfRangeException">No column has that name.</exception>
    public object? this[string name] => _values[_shape.OrdinalOf(name)];

    /// <summary>The name of column <paramref name="ordinal"/>.</summary>
    /// <param name="ordinal">The column's position, from 0.</param>
    /// <returns>The name.</returns>
    public string GetName(int ordinal) => _shape.Names[ordinal];

    /// <summary>The value of column <paramref name="ordinal"/> as a <typeparamref name="T"/>: SQL NULL
    /// gives <c>default</c>, numbers convert between widths, text converts to <see cref="Guid"/>,
    /// <see cref="DateTime"/>, <see cref="DateTimeOffset"/> and <see cref="TimeSpan"/>.</summary>
    /// <typeparam name="T">The type wanted.</typeparam>
    /// <param name="ordinal">The column's position, from 0.</param>
    /// <returns>The converted value.</returns>
    /// <exception cref="InvalidCastException">The value cannot become a <typeparamref name="T"/>.</exception>
    public T? Get<T>(int ordinal) => DbValues.To<T>(_values[ordinal]);

    /// <summary>The value of the column named <paramref name="name"/> as a <typeparamref name="T"/>; see
    /// <see cref="Get{T}(int)"/>.</summary>
    /// <typeparam name="T">The type wanted.</typeparam>
    /// <param name="name">The column's name.</param>
    /// <returns>The converted value.</returns>
    public T? Get<T>(string name) => DbValues.To<T>(_values[_shape.OrdinalOf(name)]);

    /// <summary>The row's values, in column order (SQL NULL as null); a copy.</summary>
    /// <returns>The values.</returns>
    public object?[] ToArray() => (object?[])_values.Clone();

    /// <inheritdoc/>
    public override string ToString() =>
        "(" + string.Join(", ", _shape.Names.Select((n, i) => $"{n}={_values[i] ?? "NULL"}")) + ")";

    /// <summary>Reads the reader's current row.</summary>
    internal static DbRow Read(DbDataReader reader, ref RowShape? shape)
    {
        shape ??= RowShape.Of(reader);
        object?[] values = new object?[reader.FieldCount];
        for (int i = 0; i < values.Length; i++)
        {
            object value = reader.GetValue(i);
            values[i] = value is DBNull ? null : value;
        }

        return new DbRow(shape, values);
    }
}
