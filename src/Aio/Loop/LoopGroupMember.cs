using System.ComponentModel;
using Aio.Net;
using Microsoft.Extensions.Logging;

namespace Aio;

/// <summary>
/// One loop of a <see cref="LoopGroup"/>: the body of its thread, the supervisor task that runs its main
/// coroutine, and the group's servers on it. Everything but <see cref="RequestShutdown"/> runs on the
/// member's own thread.
/// </summary>
internal sealed class LoopGroupMember
{
    private static readonly Action<object?, object?> s_shutdown =
        static (member, grace) => ((LoopGroupMember)member!).OnShutdown((TimeSpan)grace!);

    private readonly LoopGroup _group;
    private readonly List<Server> _servers = [];

    /// <summary>Completed when the main task ends or a shutdown is requested, whichever comes first.</summary>
    private Future<bool>? _stop;

    /// <summary>The scope bounding the wait for open connections, while it runs, so that a later
    /// shutdown with a shorter grace period can move its deadline closer.</summary>
    private TimeoutScope? _graceScope;

    /// <summary>When open connections are aborted, in loop time; infinity until a shutdown sets it.</summary>
    private double _deadline = double.PositiveInfinity;
    private bool _shutdownRequested;
    private bool _mainObserved;

    internal LoopGroupMember(LoopGroup group, int index, int cpu)
    {
        _group = group;
        Index = index;
        Cpu = cpu;
    }

    /// <summary>The member's position in the group, passed to the main coroutine factory.</summary>
    internal int Index { get; }

    /// <summary>The CPU the thread is pinned to; negative when not pinned.</summary>
    internal int Cpu { get; }

    /// <summary>The member's loop from its creation until just before it closes; written under the
    /// group's lock, which <see cref="RequestShutdown"/> holds too, so that no request reaches a closed
    /// loop (whose wake-up descriptor may already belong to someone else).</summary>
    internal EventLoop? Loop { get; set; }

    /// <summary>How many of the group's collective server calls this loop has made (see
    /// <see cref="LoopGroup.CreateServerAsync"/>).</summary>
    internal int ServerCalls { get; set; }

    /// <summary>The thread's body: creates the loop, runs the supervisor until the main coroutine ended and
    /// the servers closed, then cancels what is left and closes the loop, as <c>AsyncIO.Run</c> does.
    /// Nothing escapes: a failure is recorded on the group, which then shuts down.</summary>
    internal void Run(Func<int, Coroutine> main)
    {
        int pinError = Cpu >= 0 ? ThreadAffinity.Pin(Cpu) : 0;
        EventLoop? loop = null;
        try
        {
            loop = new EventLoop(_group.Options.LoopOptions);
            TimeSpan? pending = _group.Attach(this, loop);
            if (pinError != 0)
            {
                loop.CallExceptionHandler(new LoopExceptionContext(
                    $"Loop {Index} of the group could not be pinned to CPU {Cpu}; it runs unpinned", new Win32Exception(pinError))
                {
                    Level = LogLevel.Warning,
                });
            }

            if (pending is { } grace)
            {
                // The group was told to shut down before this loop existed.
                OnShutdown(grace);
            }

            loop.RunUntilComplete(SuperviseAsync(main));
        }
        catch (Exception e)
        {
            _group.Fail(e);
        }
        finally
        {
            if (loop is not null)
            {
                Finish(loop);
            }
        }
    }

    /// <summary>Asks the loop to shut down within <paramref name="grace"/>; any thread, under the group's
    /// lock. A request for a loop that does not exist yet is picked up when it attaches.</summary>
    internal void RequestShutdown(TimeSpan grace) => Loop?.EnqueueFromAnyThread(s_shutdown, this, grace);

    /// <summary>Adds a server the group started on this loop, so that a shutdown closes it.</summary>
    internal void AddServer(Server server) => _servers.Add(server);

    private void Finish(EventLoop loop)
    {
        try
        {
            Runner.ShutDown(loop);
        }
        catch (Exception e)
        {
            _group.Fail(e);
        }
        finally
        {
            _group.Detach(this);
            try
            {
                loop.Close();
            }
            catch (Exception e)
            {
                _group.Fail(e);
            }
        }
    }

    /// <summary>Runs the main coroutine until it ends or a shutdown is requested, closes the group's
    /// servers gracefully, cancels the main task if it is still running, and waits for it.</summary>
    private async Coroutine SuperviseAsync(Func<int, Coroutine> main)
    {
        EventLoop loop = Loop!;
        Future<bool> stop = _stop = loop.CreateFuture<bool>();
        if (_shutdownRequested)
        {
            stop.SetResult(true);
        }

        AioTask mainTask;
        try
        {
            mainTask = loop.CreateTask(main(Index), $"Loop-{Index}-main");
        }
        catch (Exception e)
        {
            // The factory itself threw (a lambda that is not async): the same as a failing main.
            ReportMainFailure(e, task: null);
            return;
        }

        mainTask.AddDoneCallback(_ => stop.TrySetResult(true));
        await stop;

        // A failure shuts the other loops down at once, before this one spends its grace period.
        ObserveMain(mainTask);
        await CloseServersAsync();
        if (!mainTask.IsDone)
        {
            mainTask.Cancel();
            await SettleAsync(mainTask);
        }

        ObserveMain(mainTask);

        // Servers the main task created while it was being stopped.
        await CloseServersAsync();
    }

    /// <summary>Stops accepting on every server, lets open connections finish until the deadline, aborts
    /// the rest, and waits until they are gone.</summary>
    private async Coroutine CloseServersAsync()
    {
        if (_servers.Count == 0)
        {
            return;
        }

        if (!_shutdownRequested && _group.RequestedGrace is { } grace)
        {
            // The group is shutting down (this loop's main coroutine may have failed just now), and the
            // request posted to this loop has not run yet: the same grace period applies here.
            OnShutdown(grace);
        }

        if (!_shutdownRequested)
        {
            // The main coroutine ended on its own: the servers it left go with it, at once.
            _deadline = Math.Min(_deadline, Loop!.Time());
        }

        foreach (Server server in _servers)
        {
            server.Close();
        }

        try
        {
            await AsyncIO.TimeoutAt(double.IsPositiveInfinity(_deadline) ? null : _deadline, async scope =>
            {
                _graceScope = scope;
                foreach (Server server in _servers)
                {
                    await server.WaitClosedAsync();
                }
            });
        }
        catch (TimeoutException)
        {
            // The grace period is over: what is still open is aborted below.
        }
        finally
        {
            _graceScope = null;
        }

        foreach (Server server in _servers)
        {
            server.AbortClients();
        }

        foreach (Server server in _servers)
        {
            // The aborted connections' ConnectionLost callbacks run in the next iteration.
            await server.WaitClosedAsync();
        }
    }

    /// <summary>A shutdown request arrived (loop thread). A later request can only bring the deadline
    /// closer.</summary>
    private void OnShutdown(TimeSpan grace)
    {
        _shutdownRequested = true;
        double when = grace == Timeout.InfiniteTimeSpan ? double.PositiveInfinity : Loop!.Time() + grace.TotalSeconds;
        if (when < _deadline)
        {
            _deadline = when;
            _graceScope?.Reschedule(when);
        }

        _stop?.TrySetResult(true);
    }

    private void ObserveMain(AioTask mainTask)
    {
        if (_mainObserved || !mainTask.IsDone)
        {
            return;
        }

        _mainObserved = true;
        if (!mainTask.IsCancelled && mainTask.Exception is { } exception)
        {
            ReportMainFailure(exception, mainTask);
        }
    }

    private void ReportMainFailure(Exception exception, AioTask? task)
    {
        Loop!.CallExceptionHandler(new LoopExceptionContext(
            $"The main coroutine of loop {Index} of the group failed; the group shuts down", exception)
        {
            Task = task,
        });
        _group.Fail(exception);
    }

    private static async Coroutine SettleAsync(AioTask task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // Observed by the caller through the task itself.
        }
    }
}
