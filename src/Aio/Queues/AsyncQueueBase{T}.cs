using System.Diagnostics.CodeAnalysis;
using Aio.Sync;

namespace Aio.Queues;

/// <summary>
/// What every queue of coroutines shares: asyncio's <c>Queue</c> with <c>maxsize</c> backpressure,
/// waiting <see cref="PutAsync"/> and <see cref="GetAsync"/>, <see cref="TaskDone"/> /
/// <see cref="JoinAsync"/>, and 3.13's <see cref="Shutdown"/>. The order items come out in is the
/// subclass's: <see cref="AsyncQueue{T}"/> (first in, first out), <see cref="AsyncLifoQueue{T}"/>
/// (last in, first out), <see cref="AsyncPriorityQueue{T}"/> (smallest first).
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
/// <remarks>
/// <para>Fair: waiting getters and waiting putters are each served first in, first out. A getter woken
/// for an item has that item promised to it, and a putter woken for a free slot has that slot, so no
/// newcomer can take them first.</para>
/// <para>Cancellation-safe: a cancelled <see cref="GetAsync"/> took no item, and a cancelled
/// <see cref="PutAsync"/> added none — even when the cancellation arrives after the wait was granted; the
/// promised item or slot then goes to the next waiter. So an item is never lost, and retrying a
/// cancelled put never duplicates one.</para>
/// <para>Consumable with <c>await foreach</c>, which ends once the queue is shut down and drained.</para>
/// <para>Not thread-safe: it coordinates tasks of one loop (from other threads, go through
/// <c>loop.CallSoonThreadsafe</c>). Loop-bound: it belongs to the first loop that uses it; from another
/// loop, or from another thread while its loop runs, every member throws
/// <see cref="InvalidOperationException"/>.</para>
/// </remarks>
public abstract class AsyncQueueBase<T> : IWaitOwner<T>, IAsyncEnumerable<T>
{
    private const byte GetRole = 0;
    private const byte PutRole = 1;
    private const byte JoinRole = 2;

    private const byte Open = 0;
    private const byte ShutDown = 1;

    private static readonly Func<Exception> s_shutDown = static () => new QueueShutDownException();

    private readonly ParkingLot _getters = new();
    private readonly ParkingLot _putters = new();
    private readonly ParkingLot _joiners = new();
    private readonly int _maxSize;
    private WaitNodePool<T> _pool;
    private LoopBinding _binding;

    /// <summary>Items promised to woken getters that have not resumed yet; they stay in the store until
    /// then, so the getter takes whatever is first when it runs, as in asyncio.</summary>
    private int _reservedItems;

    /// <summary>Free slots promised to woken putters that have not resumed yet.</summary>
    private int _reservedSlots;

    private int _unfinished;

    /// <summary>Bumped by an immediate shutdown, which empties the store: a getter granted before it
    /// finds its promised item gone.</summary>
    private int _epoch;

    private byte _state;

    private protected AsyncQueueBase(int maxSize)
    {
        _maxSize = maxSize <= 0 ? 0 : maxSize;
    }

    /// <summary>How many items the queue holds at most; 0 means no limit; asyncio's <c>maxsize</c>.</summary>
    public int MaxSize => _maxSize;

    /// <summary>How many items are in the queue; asyncio's <c>qsize()</c>.</summary>
    public int Count
    {
        get
        {
            _binding.Check(this);
            return StoredCount;
        }
    }

    /// <summary>Whether the queue holds no items; asyncio's <c>empty()</c>.</summary>
    public bool IsEmpty
    {
        get
        {
            _binding.Check(this);
            return StoredCount == 0;
        }
    }

    /// <summary>Whether a put would wait: <see cref="MaxSize"/> items are in the queue or promised to
    /// putters already woken; asyncio's <c>full()</c>. Never true without a limit.</summary>
    public bool IsFull
    {
        get
        {
            _binding.Check(this);
            return IsFullCore;
        }
    }

    /// <summary>Whether <see cref="Shutdown"/> was called.</summary>
    public bool IsShutDown
    {
        get
        {
            _binding.Check(this);
            return _state != Open;
        }
    }

    /// <summary>How many items were put and not yet marked done with <see cref="TaskDone"/>.</summary>
    public int UnfinishedTasks
    {
        get
        {
            _binding.Check(this);
            return _unfinished;
        }
    }

    private bool IsFullCore => _maxSize > 0 && StoredCount + _reservedSlots >= _maxSize;

    private int AvailableCount => StoredCount - _reservedItems;

    // ---- the store, supplied by each kind of queue ----------------------------------------------

    private protected abstract int StoredCount { get; }

    private protected abstract void Store(T item);

    private protected abstract T Take();

    private protected abstract void ClearStore();

    // ---- put ------------------------------------------------------------------------------------

    /// <summary>Puts an item into the queue, waiting for a free slot while it is full; asyncio's
    /// <c>put()</c>.</summary>
    /// <param name="item">The item.</param>
    /// <returns>Completes when the item is in the queue. Await it exactly once.</returns>
    /// <remarks>A cancellation point when it waits; a cancelled put added nothing. Loop thread only.</remarks>
    /// <exception cref="QueueShutDownException">The queue is shut down, or was while waiting.</exception>
    /// <exception cref="CancelledException">The task was cancelled while waiting; the item was not added.</exception>
    public ValueTask PutAsync(T item)
    {
        EventLoop? loop = _binding.Check(this);
        if (_state != Open)
        {
            ThrowShutDown();
        }

        if (!IsFullCore)
        {
            Deliver(item);
            return default;
        }

        WaitNode<T> node = _pool.Rent(loop ?? _binding.ForWaiting(this), this);
        node.Role = PutRole;
        node.Value = item;
        _putters.Park(node);
        return node.AsVoidValueTask();
    }

    /// <summary>Puts an item without waiting; asyncio's <c>put_nowait()</c>.</summary>
    /// <param name="item">The item.</param>
    /// <exception cref="QueueFullException">The queue is full.</exception>
    /// <exception cref="QueueShutDownException">The queue is shut down.</exception>
    public void PutNowait(T item)
    {
        if (!TryPut(item))
        {
            throw new QueueFullException();
        }
    }

    /// <summary>Puts an item if there is room; never waits.</summary>
    /// <param name="item">The item.</param>
    /// <returns>False when the queue is full.</returns>
    /// <exception cref="QueueShutDownException">The queue is shut down.</exception>
    public bool TryPut(T item)
    {
        _binding.Check(this);
        if (_state != Open)
        {
            ThrowShutDown();
        }

        if (IsFullCore)
        {
            return false;
        }

        Deliver(item);
        return true;
    }

    private void Deliver(T item)
    {
        Store(item);
        _unfinished++;
        WakeGetter();
    }

    // ---- get ------------------------------------------------------------------------------------

    /// <summary>Removes and returns an item, waiting for one while the queue is empty; asyncio's
    /// <c>get()</c>.</summary>
    /// <returns>The item. Await it exactly once.</returns>
    /// <remarks>A cancellation point when it waits; a cancelled get took nothing. Loop thread only.</remarks>
    /// <exception cref="QueueShutDownException">The queue is shut down and empty, or was shut down
    /// immediately.</exception>
    /// <exception cref="CancelledException">The task was cancelled while waiting; no item was taken.</exception>
    public ValueTask<T> GetAsync()
    {
        EventLoop? loop = _binding.Check(this);
        if (AvailableCount > 0)
        {
            return new ValueTask<T>(TakeAndFreeSlot());
        }

        return ParkGetter(loop).AsValueTask();
    }

    /// <summary>Removes and returns an item without waiting; asyncio's <c>get_nowait()</c>.</summary>
    /// <returns>The item.</returns>
    /// <exception cref="QueueEmptyException">The queue is empty.</exception>
    /// <exception cref="QueueShutDownException">The queue is shut down and empty.</exception>
    public T GetNowait()
    {
        if (!TryGet(out T? item))
        {
            throw new QueueEmptyException();
        }

        return item;
    }

    /// <summary>Removes an item if one is available; never waits.</summary>
    /// <param name="item">The item, when one was taken.</param>
    /// <returns>False when the queue is empty.</returns>
    /// <exception cref="QueueShutDownException">The queue is shut down and empty.</exception>
    public bool TryGet([MaybeNullWhen(false)] out T item)
    {
        _binding.Check(this);
        if (AvailableCount > 0)
        {
            item = TakeAndFreeSlot();
            return true;
        }

        if (_state != Open)
        {
            ThrowShutDown();
        }

        item = default;
        return false;
    }

    /// <summary>For <c>await foreach</c>: an item if one is available now; otherwise false, with a parked
    /// getter to await, or none when the queue is shut down and drained.</summary>
    internal bool TryGetOrPark([MaybeNullWhen(false)] out T item, out WaitNode<T>? node)
    {
        EventLoop? loop = _binding.Check(this);
        if (AvailableCount > 0)
        {
            item = TakeAndFreeSlot();
            node = null;
            return true;
        }

        item = default;
        node = _state == Open ? ParkGetter(loop) : null;
        return false;
    }

    private WaitNode<T> ParkGetter(EventLoop? loop)
    {
        if (_state != Open)
        {
            ThrowShutDown();
        }

        WaitNode<T> node = _pool.Rent(loop ?? _binding.ForWaiting(this), this);
        node.Role = GetRole;
        _getters.Park(node);
        return node;
    }

    private T TakeAndFreeSlot()
    {
        T item = Take();
        WakePutter();
        return item;
    }

    /// <summary>Promises an available item to the longest-waiting getter.</summary>
    private void WakeGetter()
    {
        if (AvailableCount > 0 && _getters.First is { } node)
        {
            _getters.Remove(node);
            _reservedItems++;
            node.Grant(_epoch);
        }
    }

    /// <summary>Promises a free slot to the longest-waiting putter.</summary>
    private void WakePutter()
    {
        if (_state == Open && !IsFullCore && _putters.First is { } node)
        {
            _putters.Remove(node);
            _reservedSlots++;
            node.Grant();
        }
    }

    // ---- task_done / join -----------------------------------------------------------------------

    /// <summary>Marks one item taken from the queue as processed; asyncio's <c>task_done()</c>. When every
    /// item put so far is done, <see cref="JoinAsync"/> returns.</summary>
    /// <exception cref="InvalidOperationException">Called more times than items were put.</exception>
    public void TaskDone()
    {
        _binding.Check(this);
        if (_unfinished <= 0)
        {
            throw new InvalidOperationException("TaskDone() called more times than items were put into the queue.");
        }

        FinishOne();
    }

    /// <summary>Waits until every item put into the queue was marked done with <see cref="TaskDone"/>;
    /// asyncio's <c>join()</c>.</summary>
    /// <returns>Completes when no item is unfinished. Await it exactly once.</returns>
    /// <remarks>A cancellation point when it waits. Loop thread only.</remarks>
    /// <exception cref="CancelledException">The task was cancelled while waiting.</exception>
    public ValueTask JoinAsync()
    {
        EventLoop? loop = _binding.Check(this);
        if (_unfinished == 0)
        {
            return default;
        }

        WaitNode<T> node = _pool.Rent(loop ?? _binding.ForWaiting(this), this);
        node.Role = JoinRole;
        _joiners.Park(node);
        return node.AsVoidValueTask();
    }

    private void FinishOne()
    {
        if (_unfinished > 0 && --_unfinished == 0)
        {
            _joiners.UnparkAll();
        }
    }

    // ---- shutdown -------------------------------------------------------------------------------

    /// <summary>
    /// Shuts the queue down; asyncio 3.13's <c>shutdown()</c>. Puts fail from now on with
    /// <see cref="QueueShutDownException"/>, and so do puts waiting now. Gets go on taking the items left
    /// and fail once the queue is empty; getters waiting now fail at once.
    /// </summary>
    /// <param name="immediate">Also discard the items left, marking each done (which may release
    /// <see cref="JoinAsync"/>), so that gets fail at once.</param>
    public void Shutdown(bool immediate = false)
    {
        _binding.Check(this);
        _state = ShutDown;
        if (immediate)
        {
            int discarded = StoredCount;
            ClearStore();

            // Getters already promised an item find it gone when they resume.
            _reservedItems = 0;
            _epoch++;
            _unfinished = Math.Max(0, _unfinished - discarded);
            if (_unfinished == 0)
            {
                _joiners.UnparkAll();
            }
        }

        _getters.FailAll(s_shutDown);
        _putters.FailAll(s_shutDown);
    }

    // ---- waits ----------------------------------------------------------------------------------

    T IWaitOwner<T>.OnGranted(WaitNode<T> node)
    {
        switch (node.Role)
        {
            case GetRole:
                if (node.GrantValue != _epoch)
                {
                    ThrowShutDown();
                }

                _reservedItems--;
                return TakeAndFreeSlot();

            case PutRole:
                _reservedSlots--;
                if (_state != Open)
                {
                    // asyncio too: a putter woken for a slot re-checks, and a shut-down queue refuses it.
                    ThrowShutDown();
                }

                Deliver(node.Value!);
                return default!;

            default:
                return default!;
        }
    }

    void IWaitOwner.OnAbandoned(WaitNode node)
    {
        switch (node.Role)
        {
            case GetRole:
                if (node.GrantValue == _epoch)
                {
                    // The promised item stays first in line: promise it to the next getter.
                    _reservedItems--;
                    WakeGetter();
                }

                break;

            case PutRole:
                _reservedSlots--;
                WakePutter();
                break;
        }
    }

    void IWaitOwner<T>.Return(WaitNode<T> node) => _pool.Return(node);

    // ---- await foreach --------------------------------------------------------------------------

    /// <summary>Consumes the queue with <c>await foreach</c>: each step is a <see cref="GetAsync"/>, and
    /// the loop ends once the queue is shut down and empty.</summary>
    /// <param name="cancellationToken">Ends a waiting step with <see cref="OperationCanceledException"/>.
    /// Cancelling the task works too, as for any wait.</param>
    /// <returns>An enumerator; items taken by it are taken from the queue (call <see cref="TaskDone"/>
    /// for them if you <see cref="JoinAsync"/>).</returns>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new QueueEnumerator<T>(this, cancellationToken);

    [DoesNotReturn]
    private static void ThrowShutDown() => throw new QueueShutDownException();
}
