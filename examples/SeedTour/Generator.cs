using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace SeedTour;

/// <summary>
/// A Python generator that can be sent values, for the 001-generator twin. C# iterators cannot receive a
/// value at <c>yield return</c>, so the body is an async method instead: <c>await y.Yield(v)</c> plays
/// Python's <c>value = yield v</c>, and <see cref="Send"/> resumes it synchronously with the sent value.
/// </summary>
/// <typeparam name="TYield">What the body yields.</typeparam>
/// <typeparam name="TSend">What <see cref="Send"/> passes in; sending <c>default</c> starts the body.</typeparam>
/// <remarks>The body may await only its <see cref="Yielder"/>: anything else would resume it on
/// another thread, out of the caller's control.</remarks>
internal sealed class Generator<TYield, TSend>
{
    private readonly Func<Yielder, Task> _body;
    private Task? _running;
    private Action? _resume;
    private TYield _yielded = default!;
    private TSend _sent = default!;

    /// <summary>Makes the generator; as in Python, the body does not start until the first send.</summary>
    public Generator(Func<Yielder, Task> body)
    {
        _body = body;
    }

    /// <summary>
    /// Python's <c>generator.send(value)</c>: resumes the body, which sees <paramref name="value"/> as the
    /// result of its pending <c>Yield</c>, and returns what it yields next.
    /// </summary>
    /// <exception cref="StopIterationException">The body returned instead of yielding again, or had
    /// already returned.</exception>
    /// <exception cref="InvalidOperationException">The first send passed a value other than
    /// <c>default</c>; Python refuses that too, since no <c>yield</c> is waiting to receive it.</exception>
    public TYield Send(TSend value)
    {
        if (_running is null)
        {
            if (!EqualityComparer<TSend>.Default.Equals(value, default))
            {
                throw new InvalidOperationException("can't send non-None value to a just-started generator");
            }

            _running = _body(new Yielder(this));
        }
        else
        {
            Action resume = _resume ?? throw new StopIterationException();
            _resume = null;
            _sent = value;
            resume();
        }

        if (_resume is not null)
        {
            return _yielded;
        }

        if (!_running.IsCompleted)
        {
            throw new InvalidOperationException("The generator's body awaited something other than its Yielder.");
        }

        if (_running.Exception is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure.InnerException ?? failure);
        }

        throw new StopIterationException();
    }

    /// <summary>What the body awaits to yield a value and receive the next sent one.</summary>
    internal sealed class Yielder
    {
        private readonly Generator<TYield, TSend> _generator;

        internal Yielder(Generator<TYield, TSend> generator)
        {
            _generator = generator;
        }

        /// <summary>Python's <c>yield value</c> used as an expression.</summary>
        public YieldAwaiter Yield(TYield value)
        {
            _generator._yielded = value;
            return new YieldAwaiter(_generator);
        }
    }

    /// <summary>Suspends the body until the next <see cref="Send"/>.</summary>
    internal readonly struct YieldAwaiter : ICriticalNotifyCompletion
    {
        private readonly Generator<TYield, TSend> _generator;

        internal YieldAwaiter(Generator<TYield, TSend> generator)
        {
            _generator = generator;
        }

        public bool IsCompleted => false;

        public YieldAwaiter GetAwaiter() => this;

        public void OnCompleted(Action continuation) => _generator._resume = continuation;

        public void UnsafeOnCompleted(Action continuation) => _generator._resume = continuation;

        public TSend GetResult() => _generator._sent;
    }
}

/// <summary>Python's <c>StopIteration</c>: the generator has no more values.</summary>
internal sealed class StopIterationException : Exception
{
    public StopIterationException()
        : base("The generator has returned.")
    {
    }
}
