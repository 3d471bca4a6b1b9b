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
/// <para>Waiters are served first in, first out, and what a waiter was given no newcomer can take: a get
/// that frees a slot while a putter waits promises that slot to the putter, and a put while a getter waits
/// gives the item to the longest-waiting getter — directly in a first-in, first-out queue (so
/// <see cref="Count"/> does not count it), or, where the order items come out in matters, by promising it
/// the best item when it resumes. A producer and a consumer therefore pass several items per task
/// switch.</para>
/// <para>Cancellation-safe: a cancelled <see cref="GetAsync"/> took no item, and a cancelled
/// <see cref="PutAsync"/> added none — even when the cancellation arrives after the waiter was woken; what
/// it was given (the item, the promise, the slot) goes back to the front of the line, to the next waiter.
/// So an item is never lost, and retrying a cancelled put never duplicates one.</para>
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
    private int _unfinished;
    private byte _state;

    /// <summary>Whether a put gives its item straight to a waiting getter: right for first in, first out,
    /// where that item is the one the getter would take anyway.</summary>
    private readonly bool _handsOff;

    /// <summary>Items promised to woken getters when the queue does not hand off: they stay in the store
    /// until the getter resumes and takes the best one, as asyncio's getter would; newcomers see only the
    /// rest.</summary>
    private int _reservedItems;

    /// <summary>Free slots promised to woken putters that have not resumed yet.</summary>
    private int _reservedSlots;

    /// <summary>Bumped by an immediate shutdown, which empties the store: a getter promised an item before
    /// finds the item gone, and an item handed to a getter that is then cancelled is discarded, not put
    /// back.</summary>
    private int _epoch;

    /// <summary>Creates the shared part of a queue.</summary>
    /// <param name="maxSize">The limit; 0 or less for none.</param>
    /// <param name="handsOff">Whether an item put while a getter waits may go straight to that getter:
    /// true only when the store would give that getter exactly that item.</param>
    private protected AsyncQueueBase(int maxSize, bool handsOff)
    {
        _maxSize = maxSize <= 0 ? 0 : maxSize;
        _handsOff = handsOff;
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

    /// <summary>Whether a put would wait: <see cref="MaxSize"/> items are in the queue; asyncio's
    /// <c>full()</c>. Never true without a limit.</summary>
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

    // Getters wait only while no item is available and putters only while the store is full: every put
    // serves a waiting getter first, and every get promises the slot it frees to a waiting putter.
    private bool IsFullCore => _maxSize > 0 && StoredCount + _reservedSlots >= _maxSize;

    private int AvailableCount => StoredCount - _reservedItems;

    /// <summary>The invariant every put and get keeps, for tests: a getter parked while an item nobody
    /// was promised is in the store, or a putter parked while the store has room, has lost its
    /// wake-up.</summary>
    internal bool HasLostWakeUp =>
        (_getters.Count > 0 && AvailableCount > 0) || (_state == Open && _putters.Count > 0 && !IsFullCore);

    // ---- the store, supplied by each kind of queue ----------------------------------------------

    private protected abstract int StoredCount { get; }

    private protected abstract void Store(T item);

    private protected abstract T Take();

    private protected abstract void ClearStore();

    /// <summary>Puts an item back in front of all others: one handed to a getter that was cancelled before
    /// it took it. Only queues that hand off (see the constructor) are asked to.</summary>
    private protected virtual void StoreFirst(T item) => throw new NotSupportedException();

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

        if (TryDeliver(item))
        {
            return default;
        }

        WaitNode<T> node = Park(_putters, PutRole, loop);
        node.Value = item;
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

        return TryDeliver(item);
    }

    /// <summary>Gives <paramref name="item"/> to the longest-waiting getter, or stores it if there is
    /// room.</summary>
    /// <returns>False when the queue is full.</returns>
    private bool TryDeliver(T item)
    {
        if (IsFullCore && !(_handsOff && _getters.Count > 0))
        {
            return false;
        }

        Deliver(item);
        return true;
    }

    /// <summary>Gives <paramref name="item"/> to the longest-waiting getter, or stores it: the caller has
    /// room for it (a slot it checked, or one promised to it).</summary>
    private void Deliver(T item)
    {
        if (!(_handsOff && TryHandOff(item)))
        {
            Store(item);
            PromiseToGetter();
        }

        _unfinished++;
    }

    /// <summary>Where the queue hands off: gives <paramref name="item"/> to the longest-waiting getter.</summary>
    /// <returns>False when no getter waits.</returns>
    private bool TryHandOff(T item)
    {
        if (_getters.First is not { } getter)
        {
            return false;
        }

        _getters.Remove(getter);
        ((WaitNode<T>)getter).Value = item;
        getter.Grant(_epoch);
        return true;
    }

    /// <summary>Where the queue does not hand off: promises an available item to the longest-waiting
    /// getter, which takes the best item when it resumes.</summary>
    private void PromiseToGetter()
    {
        if (!_handsOff && AvailableCount > 0 && _getters.First is { } getter)
        {
            _getters.Remove(getter);
            _reservedItems++;
            getter.Grant(_epoch);
        }
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

        return Park(_getters, GetRole, loop);
    }

    /// <summary>Takes the next item, and promises the slot it frees to the longest-waiting putter.</summary>
    private T TakeAndFreeSlot()
    {
        T item = Take();
        PromiseSlot();
        return item;
    }

    /// <summary>Promises a free slot to the longest-waiting putter, which puts its item when it resumes.</summary>
    private void PromiseSlot()
    {
        if (_state == Open && !IsFullCore && _putters.First is { } putter)
        {
            _putters.Remove(putter);
            _reservedSlots++;
            putter.Grant();
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

        return Park(_joiners, JoinRole, loop).AsVoidValueTask();
    }

    private WaitNode<T> Park(ParkingLot lot, byte role, EventLoop? loop)
    {
        WaitNode<T> node = _pool.Rent(loop ?? _binding.ForWaiting(this), this);
        node.Role = role;
        lot.Park(node);
        return node;
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
            _reservedItems = 0;
            _reservedSlots = 0;
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
                    // Handed or promised an item, which an immediate shutdown discarded since, as
                    // everything the queue held.
                    if (_handsOff)
                    {
                        FinishOne();
                    }

                    ThrowShutDown();
                }

                if (_handsOff)
                {
                    return node.Value!;
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

                // The slot was kept for this item. (The store may hold one more than the limit even so: an
                // item handed to a getter that was cancelled went back in front; it was in the queue
                // already.)
                Deliver(node.Value!);
                return default!;

            default:
                return default!;
        }
    }

    /// <inheritdoc/>
    string IWaitOwner.DescribeWait(WaitNode node) => Diagnostics.TaskTreeCapture.TypeName(GetType()) + node.Role switch
    {
        GetRole => " get",
        PutRole => " put",
        _ => " join",
    };

    // A woken waiter was cancelled before it resumed: what it was given goes to the front of the line.
    void IWaitOwner.OnAbandoned(WaitNode node)
    {
        switch (node.Role)
        {
            case GetRole when _handsOff:
                if (node.GrantValue != _epoch)
                {
                    // Handed over before an immediate shutdown, which discards what the queue holds.
                    FinishOne();
                }
                else if (!TryHandOff(((WaitNode<T>)node).Value!))
                {
                    // No getter waits (one that did would have the store empty, and take the item as first):
                    // it goes back in front of the items stored since.
                    StoreFirst(((WaitNode<T>)node).Value!);
                }

                break;

            case GetRole:
                if (node.GrantValue == _epoch)
                {
                    // The promised item stays in the store: promise it to the next getter.
                    _reservedItems--;
                    PromiseToGetter();
                }

                break;

            case PutRole:
                _reservedSlots--;
                PromiseSlot();
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
