using System.Globalization;
using Aio;
using Aio.Data;

namespace DataPipeline;

/// <summary>The tables, in SQL that both engines read, and the seeding of the source table.</summary>
internal static class SourceTable
{
    private const int SeedBatch = 5_000;

    private static readonly string[] Vocabulary =
    [
        "order", "shipped", "invoice", "paid", "refund", "customer", "parcel", "delayed", "express", "returned",
        "warehouse", "north", "south", "east", "west", "priority", "standard", "fragile", "gift", "wrapped",
        "discount", "coupon", "loyalty", "member", "new", "repeat", "online", "store", "mobile", "partner",
    ];

    /// <summary>Creates the tables when missing, seeds the source table when empty, and empties the
    /// results of a previous run.</summary>
    public static async Coroutine PrepareAsync(Database db, int rows)
    {
        await db.ExecuteAsync(
            "CREATE TABLE IF NOT EXISTS source (id BIGINT PRIMARY KEY, payload TEXT NOT NULL, amount DOUBLE PRECISION NOT NULL)");
        await db.ExecuteAsync(
            "CREATE TABLE IF NOT EXISTS results (id BIGINT PRIMARY KEY, digest TEXT NOT NULL, words INTEGER NOT NULL, amount_gross DOUBLE PRECISION NOT NULL)");
        await db.ExecuteAsync("DELETE FROM results");

        long existing = await db.ScalarAsync<long>("SELECT COUNT(*) FROM source");
        if (existing > 0)
        {
            Console.WriteLine($"source: {existing} rows already there");
            return;
        }

        Console.WriteLine($"source: seeding {rows} rows");
        var random = new Random(20240601);
        for (int start = 1; start <= rows; start += SeedBatch)
        {
            int count = Math.Min(SeedBatch, rows - start + 1);
            var batch = new List<object?[]>(count);
            for (long id = start; id < start + count; id++)
            {
                batch.Add([id, Payload(random, id), Math.Round(random.NextDouble() * 500, 2)]);
            }

            await db.TransactionAsync(async c =>
                await c.ExecuteManyAsync("INSERT INTO source (id, payload, amount) VALUES ($1, $2, $3)", batch));
        }
    }

    private static string Payload(Random random, long id)
    {
        int words = random.Next(5, 25);
        var parts = new string[words + 1];
        parts[0] = "#" + id.ToString(CultureInfo.InvariantCulture);
        for (int i = 1; i <= words; i++)
        {
            parts[i] = Vocabulary[random.Next(Vocabulary.Length)];
        }

        return string.Join(' ', parts);
    }
}
