using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Aio.Diagnostics;

namespace Aio;

public sealed partial class EventLoop
{
    /// <summary>
    /// What one ready-queue entry is about to run — which task, which coroutine, from which await — taken
    /// before the entry runs (a coroutine's state changes as it runs, and a <c>call_soon</c> node is
    /// recycled), and turned into words only if the entry turns out to be slow. Debug mode only.
    /// </summary>
    private readonly struct StepSubject
    {
        private readonly TaskCore? _task;
        private readonly AioTask? _coroutine;
        private readonly int _stateBefore;
        private readonly object? _dotNetBox;
        private readonly Delegate? _callback;
        private readonly string? _kind;

        private StepSubject(TaskCore? task, AioTask? coroutine, int stateBefore, object? dotNetBox, Delegate? callback, string? kind)
        {
            _task = task;
            _coroutine = coroutine;
            _stateBefore = stateBefore;
            _dotNetBox = dotNetBox;
            _callback = callback;
            _kind = kind;
        }

        /// <summary>The task the entry runs as, if any.</summary>
        public TaskCore? Task => _task ?? _coroutine?._core;

        public static StepSubject Capture(in ReadyItem item)
        {
            object? state = item.State;
            Action<object?, object?>? callback = item.Callback;
            if (callback is null)
            {
                CallbackNode node = Unsafe.As<CallbackNode>(state!);
                return ForCallback(node.Callback, node.State, "Handle");
            }

            switch (state)
            {
                case TaskCore core when ReferenceEquals(callback, TaskCore.s_firstStep):
                    return new StepSubject(core, core.Task, CoroutineStates.Running, null, null, null);
                case TaskCore core:
                    AioTask? foreign = core.ForeignBox;
                    return new StepSubject(core, foreign, foreign?.CoroutineState ?? CoroutineStates.Unknown, null, null, null);
                case AioTask box:
                    return new StepSubject(box._core, box, box.CoroutineState, null, null, null);
                case ContinuationWaiter waiter:
                    return new StepSubject(waiter.Owner, null, CoroutineStates.Unknown, waiter.Continuation?.Target, waiter.Continuation, null);
                case IoCallback io:
                    return new StepSubject(null, null, CoroutineStates.Unknown, null, io.Callback, "Handle reader/writer");
            }

            if (callback.Target is TaskCore posting)
            {
                // An ordinary async method's continuation posted to its task: the argument is the
                // continuation, whose target is the method's state machine box.
                object? continuation = item.Arg is Delegate d ? d.Target : item.Arg;
                return new StepSubject(posting, null, CoroutineStates.Unknown, continuation, null, null);
            }

            if (ReferenceEquals(callback, s_runSignalCallback))
            {
                return new StepSubject(null, null, CoroutineStates.Unknown, null, state as Delegate, "Handle signal handler");
            }

            return new StepSubject(null, null, CoroutineStates.Unknown, null, callback, "Handle");
        }

        private static StepSubject ForCallback(Action<object?>? callback, object? state, string kind)
        {
            // call_soon(Action) schedules the shared invoker with the user's delegate as its state.
            Delegate? user = ReferenceEquals(callback, s_invokeAction) ? state as Delegate : callback;
            return new StepSubject(null, null, CoroutineStates.Unknown, null, user, kind);
        }

        /// <summary>asyncio's handle description, after the entry ran: <c>&lt;Task name='worker'
        /// coro=&lt;Worker.Run() resumed at Worker.cs:41, then suspended at Worker.cs:44&gt;&gt;</c>, or
        /// <c>&lt;Handle Program.OnTick()&gt;</c>.</summary>
        public string Describe()
        {
            TaskCore? task = Task;
            if (task is null && _coroutine is null && _dotNetBox is null)
            {
                return "<" + (_kind ?? "Handle") + " " + (_callback is null ? "(cancelled)" : CodeNames.OfDelegate(_callback)) + ">";
            }

            var text = new StringBuilder();
            text.Append(task is null ? "<coroutine" : "<Task name='" + task.Name + "'");
            if (_coroutine?.StateMachineType is { } type)
            {
                text.Append(" coro=<").Append(CodeNames.OfStateMachine(type));
                AppendWhere(text, type);
                text.Append('>');
                if (task is not null && !ReferenceEquals(_coroutine, task.Task) && task.Task.StateMachineType is { } root)
                {
                    text.Append(" in ").Append(CodeNames.OfStateMachine(root));
                }
            }
            else if (CodeNames.StateMachineOfBox(_dotNetBox) is { } dotNet)
            {
                text.Append(" coro=<").Append(CodeNames.OfStateMachine(dotNet)).Append(" (a .NET async method)>");
            }
            else if (_callback is not null)
            {
                text.Append(" callback=").Append(CodeNames.OfDelegate(_callback));
            }

            return text.Append('>').ToString();
        }

        private void AppendWhere(StringBuilder text, Type type)
        {
            string? before = _stateBefore switch
            {
                CoroutineStates.Running => "started",
                >= 0 => "resumed",
                _ => null,
            };
            if (before is not null)
            {
                text.Append(' ').Append(before);
                if (CoroutineLocations.Describe(type, _stateBefore) is { } from)
                {
                    text.Append(" at ").Append(from);
                }
            }

            int after = _coroutine!.IsDone ? CoroutineStates.Finished : _coroutine.CoroutineState;
            if (after == CoroutineStates.Finished)
            {
                text.Append(before is null ? " finished" : ", then finished");
            }
            else if (after >= 0)
            {
                text.Append(before is null ? " suspended" : ", then suspended");
                if (CoroutineLocations.Describe(type, after) is { } to)
                {
                    text.Append(" at ").Append(to);
                }
            }
        }

        /// <summary>Seconds with three decimals, as asyncio prints them.</summary>
        public static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
    }
}
