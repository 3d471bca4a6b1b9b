using Microsoft.Data.Sqlite;

namespace Aio.Data.Sqlite;

/// <summary>A query being read on a connection's worker thread, between the batches that the loop takes.</summary>
internal sealed class SqliteCursor
{
    internal SqliteCursor(SqliteCommand command, SqliteDataReader reader)
    {
        Command = command;
        Reader = reader;
    }

    internal SqliteCommand Command { get; }

    internal SqliteDataReader Reader { get; }

    internal RowShape? Shape;

    /// <summary>How many rows the next batch holds at most: small at first, so that a query of one row
    /// costs one trip to the worker and little memory, then larger, so that long results cost few trips.</summary>
    internal int NextBatchSize = SqliteSession.FirstBatchSize;

    internal bool Closed;
}

/// <summary>Rows read on the worker thread for the loop, and the cursor to read more from (null when the
/// query ended and was closed).</summary>
internal readonly record struct SqliteBatch(List<DbRow> Rows, SqliteCursor? Cursor);
