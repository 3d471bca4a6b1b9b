using System.Diagnostics;
using System.Reflection;
using Aio;
using Aio.Bench;

if (typeof(AsyncIO).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
{
    Console.Error.WriteLine("warning: Aio was built without optimizations; run with -c Release for meaningful figures.");
}

switch (args.FirstOrDefault())
{
    case "tasks" or "tasks-dotnet" or "sync" or "sync-dotnet" or "db" or "db-dotnet" or "db-sqlite-direct" when !SelfProcess.HasTierUpDelayRemoved:
        return SelfProcess.RerunWithoutTierUpDelay(args);
    case "tasks":
        AioTasks.Run(new BenchFilter(args.Skip(1)));
        return 0;
    case "tasks-dotnet":
        DotnetTasks.Run(new BenchFilter(args.Skip(1)));
        return 0;
    case "sync":
        AioSync.Run(new BenchFilter(args.Skip(1)));
        return 0;
    case "sync-dotnet":
        DotnetSync.Run(new BenchFilter(args.Skip(1)));
        return 0;
    case "db":
        return AioDb.Run(args.Skip(1));
    case "db-dotnet":
        return DotnetDb.Run(args.Skip(1));
    case "db-sqlite-direct":
        return DirectSqlite.Run(args.Skip(1));
    case "alloc":
        return AllocBenchmarks.Run(args.Skip(1).ToArray());

    // Hidden: the fresh processes the suspended_task figures are measured in.
    case AioTasks.SuspendedChildCommand:
        AioTasks.RunSuspendedChild();
        return 0;
    case DotnetTasks.SuspendedChildCommand:
        DotnetTasks.RunSuspendedChild();
        return 0;

    default:
        Console.Error.WriteLine("usage: Aio.Bench tasks [BENCH...] | tasks-dotnet [BENCH...] | sync [BENCH...] | sync-dotnet [BENCH...] | db [--pg CONNECTION] [BENCH...] | db-dotnet --pg CONNECTION | db-sqlite-direct [BENCH...] | alloc [BenchmarkDotNet options]");
        return 2;
}
