using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Npgsql;

namespace Aio.Data.Postgres;

/// <summary>
/// A PostgreSQL database through Npgsql: a data source whose pool the loop's tasks share. Queries resume on
/// the loop; a cancelled task cancels its query on the server. Beyond the common shape it offers
/// PostgreSQL's <c>LISTEN</c> / <c>NOTIFY</c>, the building block for events shared by several server
/// processes.
/// </summary>
public sealed class PostgresDatabase : Database
{
    private PostgresDatabase(NpgsqlDataSource dataSource)
    {
        DataSource = dataSource;
    }

    /// <inheritdoc/>
    public override DatabaseKind Kind => DatabaseKind.Postgres;

    /// <summary>The Npgsql data source, for what the common shape does not cover (binary COPY, type
    /// mapping, …).</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>Opens a PostgreSQL database; no connection is made until the first statement.</summary>
    /// <param name="connectionString">An Npgsql connection string (<c>Host=…;Database=…;Username=…</c>) or a
    /// <c>postgres://user:password@host:port/database</c> address.</param>
    /// <param name="options">The pool's size; the rest of the defaults are Npgsql's.</param>
    /// <returns>The database.</returns>
    /// <exception cref="ArgumentException">The connection string cannot be read.</exception>
    public static PostgresDatabase Open(string connectionString, DatabaseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var builder = new NpgsqlDataSourceBuilder(FromAddress(connectionString));
        if (options?.MaxConnections is { } max)
        {
            builder.ConnectionStringBuilder.MaxPoolSize = max;
        }

        // No ambient System.Transactions on the loop; enlisting only costs a lookup per open.
        builder.ConnectionStringBuilder.Enlist = false;
        var database = new PostgresDatabase(builder.Build());
        database.TrackOpen();
        return database;
    }

    /// <summary>Whether a connection string is PostgreSQL's: it names a host, or is a postgres:// address.</summary>
    internal static bool Recognizes(string connectionString)
    {
        if (connectionString.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || connectionString.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!connectionString.Contains('='))
        {
            return false;
        }

        try
        {
            var keys = new DbConnectionStringBuilder { ConnectionString = connectionString };
            return keys.ContainsKey("Host") || keys.ContainsKey("Server");
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string FromAddress(string connectionString)
    {
        if (!connectionString.Contains("://", StringComparison.Ordinal))
        {
            return connectionString;
        }

        var address = new Uri(connectionString);
        var builder = new NpgsqlConnectionStringBuilder { Host = address.Host };
        if (address.Port > 0)
        {
            builder.Port = address.Port;
        }

        string database = address.AbsolutePath.Trim('/');
        if (database.Length > 0)
        {
            builder.Database = Uri.UnescapeDataString(database);
        }

        if (address.UserInfo.Length > 0)
        {
            string[] user = address.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(user[0]);
            if (user.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(user[1]);
            }
        }

        return builder.ConnectionString;
    }

    /// <summary>Opens a connection from the pool (or takes an idle one).</summary>
    /// <returns>A coroutine of the connection.</returns>
    /// <exception cref="NpgsqlException">The server cannot be reached.</exception>
    public override async Coroutine<DatabaseConnection> ConnectAsync()
    {
        NpgsqlConnection connection = await DataSource.OpenConnectionAsync(TaskCancellation.ForNextCall);
        return new PostgresConnection(connection);
    }

    /// <summary>
    /// Listens on a channel (<c>LISTEN</c>) and yields its notifications as they arrive, on a connection
    /// of its own held until the enumeration ends.
    /// </summary>
    /// <param name="channel">The channel's name (quoted for you).</param>
    /// <param name="cancellationToken">Ends the enumeration; cancelling the task does too.</param>
    /// <returns>The notifications, for <c>await foreach</c>. A notification sent before the first one is
    /// awaited, but after <c>LISTEN</c> took effect, is not lost.</returns>
    public async IAsyncEnumerable<DatabaseNotification> ListenAsync(string channel, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, TaskCancellation.ForNextCall);
        CancellationToken token = linked.Token;
        await using NpgsqlConnection connection = await DataSource.OpenConnectionAsync(token);

        // Raised on whichever thread Npgsql reads on; the loop takes them after each wait.
        var arrived = new ConcurrentQueue<DatabaseNotification>();
        connection.Notification += (_, e) => arrived.Enqueue(new DatabaseNotification(e.Channel, e.Payload, e.PID));
        await using (var listen = new NpgsqlCommand("LISTEN " + QuoteIdentifier(channel), connection))
        {
            await listen.ExecuteNonQueryAsync(token);
        }

        while (true)
        {
            while (arrived.TryDequeue(out DatabaseNotification? notification))
            {
                yield return notification;
            }

            await connection.WaitAsync(token);
        }
    }

    /// <summary>Sends a notification (<c>pg_notify</c>) to every session listening on the channel.</summary>
    /// <param name="channel">The channel's name.</param>
    /// <param name="payload">The payload (under 8,000 bytes).</param>
    /// <returns>A coroutine that ends when the server has taken the notification; listeners get it when
    /// the sending transaction commits.</returns>
    public async Coroutine NotifyAsync(string channel, string payload = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentNullException.ThrowIfNull(payload);
        await ExecuteAsync("SELECT pg_notify($1, $2)", channel, payload);
    }

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Closes the pool's connections.</summary>
    /// <returns>A task that completes when they are closed.</returns>
    public override ValueTask DisposeAsync()
    {
        TrackClosed();
        return DataSource.DisposeAsync();
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var settings = new NpgsqlConnectionStringBuilder(DataSource.ConnectionString);
        return $"PostgreSQL database {settings.Database} on {settings.Host}:{settings.Port}";
    }
}
