using Aio.Data;
using Aio.Tests.Support;

namespace Aio.Tests.Data;

/// <summary>The shape that SQLite and PostgreSQL share, on a real PostgreSQL server.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSmokeTests(PostgresServer server)
{
    [Fact]
    public void TheCommonShape_WorksOnPostgres()
    {
        GuardedLoop.Run(async loop =>
        {
            int resources = loop.GetResources().OpenResources;
            await using Database db = await Database.OpenAsync(server.ConnectionString);
            Assert.Equal(resources + 1, loop.GetResources().OpenResources);
            Assert.StartsWith("PostgreSQL database postgres on 127.0.0.1:", db.ToString());
            Assert.Equal(DatabaseKind.Postgres, db.Kind);
            await db.ExecuteAsync("DROP TABLE IF EXISTS smoke");
            await db.ExecuteAsync("CREATE TABLE smoke (id int PRIMARY KEY, name text NOT NULL, value double precision)");
            Assert.Equal(1, await db.ExecuteAsync("INSERT INTO smoke VALUES ($1, $2, $3)", 1, "ada", 9.5));
            Assert.Equal("ada", await db.ScalarAsync<string>("SELECT name FROM smoke WHERE id = $1", 1));
            List<DbRow> rows = await db.FetchAsync("SELECT id, name, value FROM smoke");
            Assert.Equal(9.5, Assert.Single(rows).Get<double>("value"));
        });
    }
}
