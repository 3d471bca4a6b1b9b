// Seed 001, "3.1.1 文件和网络IO的异步化": open a file asynchronously and read it.
//
//     import asyncio
//
//     async def open_file(filename):
//         async with asyncio.open(filename) as f:
//             data = await f.read()
//         return data
//
// asyncio itself has no open(): the snippet imagines what aiofiles.open provides. AsyncIO.OpenFile is
// that function here; opening, reading and closing each run on a worker thread, never on the loop.
// The snippet only defines open_file, so the twin writes a file, calls open_file on it and prints what
// it read.
//
// Output:
//     文件和网络IO的异步化
//     async with asyncio.open(filename) as f

using Aio.Files;

namespace SeedTour.Seeds;

internal static class Seed001OpenFile
{
    private static async Coroutine<string> OpenFile(string filename)
    {
        string data;
        await using (AsyncFile f = await AsyncIO.OpenFile(filename))
        {
            data = await f.ReadAsync();
        }

        return data;
    }

    private static async Coroutine Main()
    {
        string filename = Path.Combine(Path.GetTempPath(), $"seed001-open-file-{Environment.ProcessId}.txt");
        await AsyncIO.WriteAllTextAsync(filename, "文件和网络IO的异步化\nasync with asyncio.open(filename) as f");
        try
        {
            Console.WriteLine(await OpenFile(filename));
        }
        finally
        {
            await AsyncIO.ToThread(() => File.Delete(filename));
        }
    }

    public static void Run() => AsyncIO.Run(Main());
}
