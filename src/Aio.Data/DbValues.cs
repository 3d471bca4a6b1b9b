using System.Globalization;

namespace Aio.Data;

/// <summary>Converts what a driver returned into the type a caller asked for.</summary>
internal static class DbValues
{
    internal static T? To<T>(object? value)
    {
        if (value is null or DBNull)
        {
            return default;
        }

        if (value is T same)
        {
            return same;
        }

        Type target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        try
        {
            return (T)Convert(value, target);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException)
        {
            throw new InvalidCastException($"A value of type {value.GetType().Name} ({value}) cannot be read as {typeof(T).Name}.", e);
        }
    }

    private static object Convert(object value, Type target)
    {
        if (target.IsEnum)
        {
            return value is string name ? Enum.Parse(target, name, ignoreCase: true) : Enum.ToObject(target, value);
        }

        if (value is string text)
        {
            if (target == typeof(Guid))
            {
                return Guid.Parse(text);
            }

            if (target == typeof(DateTime))
            {
                return DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
            }

            if (target == typeof(DateTimeOffset))
            {
                return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
            }

            if (target == typeof(TimeSpan))
            {
                return TimeSpan.Parse(text, CultureInfo.InvariantCulture);
            }
        }

        if (value is byte[] bytes && target == typeof(Guid))
        {
            return new Guid(bytes);
        }

        if (target == typeof(bool) && value is long flag)
        {
            return flag != 0;
        }

        return System.Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
    }
}
