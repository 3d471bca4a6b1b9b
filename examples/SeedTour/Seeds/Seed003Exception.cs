// Seed 003, "如何处理asyncio中的异常?": an awaited coroutine's exception is caught like any other.
//
//     import asyncio
//
//     async def might_fail():
//         await asyncio.sleep(0.5)
//         raise ValueError("Something went wrong!")
//
//     async def main():
//         try:
//             await might_fail()
//         except ValueError as e:
//             print(f"Caught an error: {e}")
//
//     asyncio.run(main())
//
// Output:
//     Caught an error: Something went wrong!
//
// ValueError becomes ArgumentException, .NET's exception for a bad value; its Message is what
// Python's str(e) shows.

namespace SeedTour.Seeds;

internal static class Seed003Exception
{
    private static async Coroutine MightFail()
    {
        await AsyncIO.Sleep(0.5);
        throw new ArgumentException("Something went wrong!");
    }

    private static async Coroutine Main()
    {
        try
        {
            await MightFail();
        }
        catch (ArgumentException e)
        {
            Console.WriteLine($"Caught an error: {e.Message}");
        }
    }

    public static void Run() => AsyncIO.Run(Main());
}
