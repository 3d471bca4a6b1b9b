namespace Aio.Data;

/// <summary>How a <see cref="Database"/> is opened; every setting has a default that suits a service.</summary>
public sealed class DatabaseOptions
{
    /// <summary>PostgreSQL: the most connections the pool opens (Npgsql's <c>Maximum Pool Size</c>); by
    /// default Npgsql's, or what the connection string says. SQLite: the most read-only connections open
    /// beside the one writer on a file database; by default 4.</summary>
    public int? MaxConnections { get; init; }

    /// <summary>SQLite: switch a file database to write-ahead logging when opening it, so that readers
    /// never wait for the writer; true by default.</summary>
    public bool SqliteWriteAheadLog { get; init; } = true;

    /// <summary>SQLite: how long a statement waits for a lock another connection holds before it fails with
    /// "database is locked"; 5 seconds by default.</summary>
    public TimeSpan SqliteBusyTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
