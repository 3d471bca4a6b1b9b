namespace Aio.Data;

/// <summary>Which engine a <see cref="Database"/> talks to.</summary>
public enum DatabaseKind
{
    /// <summary>SQLite, in process, through <c>Microsoft.Data.Sqlite</c>.</summary>
    Sqlite,

    /// <summary>PostgreSQL, through <c>Npgsql</c>.</summary>
    Postgres,
}
