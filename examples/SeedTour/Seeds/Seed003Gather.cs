// Seed 003, "并发执行多个协程": gather runs the three together (about 2 s in all) and returns their
// results in the order they were passed.
//
//     async def main():
//         results = await asyncio.gather(
//             my_coroutine(1),
//             my_coroutine(2),
//             another_coroutine()
//         )
//         print(results)
//
//     asyncio.run(main())
//
// (my_coroutine is the one from 003-await, another_coroutine the one from 003-await-another.)
//
// Output:
//     协程开始,等待 1 秒
//     协程开始,等待 2 秒
//     协程结束
//     协程结束
//     ['等待了 1 秒的结果', '等待了 2 秒的结果', '另一个协程的结果']

using static SeedTour.Seeds.Seed003Await;
using static SeedTour.Seeds.Seed003AwaitAnother;

namespace SeedTour.Seeds;

internal static class Seed003Gather
{
    private static async Coroutine Main()
    {
        string[] results = await AsyncIO.Gather(
            MyCoroutine(1),
            MyCoroutine(2),
            AnotherCoroutine()
        );
        Console.WriteLine(Py.Repr(results));
    }

    public static void Run() => AsyncIO.Run(Main());
}
