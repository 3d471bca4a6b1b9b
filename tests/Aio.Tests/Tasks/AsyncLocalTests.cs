namespace Aio.Tests.Tasks;

/// <summary>AsyncLocal values follow asyncio's contextvars: a task runs in a copy of its creator's
/// context, callbacks in the context they were scheduled from.</summary>
public sealed class AsyncLocalTests
{
    // One instance per test (xunit creates the class for each test), so tests running in parallel never
    // share a slot.
    private readonly AsyncLocal<string?> _value = new();

    [Fact]
    public void CreateTask_ParentChangesValueAfterSpawning_ChildSeesValueAtSpawnTime()
    {
        string? seen = Guarded.Run(async loop =>
        {
            _value.Value = "at spawn";
            AioTask<string?> child = AsyncIO.CreateTask(Read());
            _value.Value = "changed after spawn";
            return await child;
        });
        Assert.Equal("at spawn", seen);
    }

    [Fact]
    public void CreateTask_ChildChangesValue_ParentKeepsItsOwn()
    {
        Guarded.Run(async loop =>
        {
            _value.Value = "parent";
            AioTask child = AsyncIO.CreateTask(Change("child"));
            await child;
            Assert.Equal("parent", _value.Value);

            await AsyncIO.Sleep(0);
            Assert.Equal("parent", _value.Value);
        });
    }

    [Fact]
    public void CreateTask_Siblings_EachKeepsItsOwnValueAcrossAwaits()
    {
        string seen = Guarded.Run(async loop =>
        {
            _value.Value = "parent";
            AioTask<string?> a = AsyncIO.CreateTask(SetYieldRead("a"));
            AioTask<string?> b = AsyncIO.CreateTask(SetYieldRead("b"));
            return $"{await a} {await b} {_value.Value}";
        });
        Assert.Equal("a b parent", seen);
    }

    [Fact]
    public void CreateTask_DelegateTask_SeesValueAtSpawnTimeAndItsChangesStayInside()
    {
        Guarded.Run(async loop =>
        {
            _value.Value = "at spawn";
            AioTask<string> child = AsyncIO.CreateTask(async () =>
            {
                string? first = _value.Value;
                _value.Value = "delegate";
                await Task.Delay(1);
                await AsyncIO.Sleep(0);
                return first + "|" + _value.Value;
            });
            _value.Value = "parent";

            Assert.Equal("at spawn|delegate", await child);
            Assert.Equal("parent", _value.Value);
        });
    }

    [Fact]
    public void Await_InlineCoroutineChangesValueWithoutSuspending_CallerDoesNotSeeIt()
    {
        Guarded.Run(async loop =>
        {
            _value.Value = "caller";
            string? inside = await SetAndRead("callee");
            Assert.Equal("callee", inside);
            Assert.Equal("caller", _value.Value);
        });

        async Coroutine<string?> SetAndRead(string value)
        {
            _value.Value = value;
            await default(Coroutine);
            return _value.Value;
        }
    }

    [Fact]
    public void Await_InlineCoroutineChangesValueThenSuspends_PersistsInsideButNotInCaller()
    {
        Guarded.Run(async loop =>
        {
            _value.Value = "caller";
            string? inside = await SetYieldRead("callee");
            Assert.Equal("callee", inside);
            Assert.Equal("caller", _value.Value);
        });
    }

    [Fact]
    public void Await_InlineCoroutineSuspended_CallbacksRunningMeanwhileSeeTheirOwnContext()
    {
        var seen = new List<string?>();
        Guarded.Run(async loop =>
        {
            _value.Value = "caller";
            loop.CallSoon(() => seen.Add(_value.Value));
            await SetYieldRead("callee");
            Assert.Equal("caller", _value.Value);
        });
        Assert.Equal(["caller"], seen);
    }

    [Fact]
    public void CallSoon_Callback_SeesValueOfTheSchedulingContext()
    {
        var seen = new List<string?>();
        Guarded.Run(async loop =>
        {
            _value.Value = "when scheduled";
            loop.CallSoon(() => seen.Add(_value.Value));
            _value.Value = "later";
            loop.CallSoon(() => seen.Add(_value.Value));
            _value.Value = "after both";
            await AsyncIO.Sleep(0);
        });
        Assert.Equal(["when scheduled", "later"], seen);
    }

    [Fact]
    public void CallSoon_CallbackChangesValue_DoesNotLeakIntoNextCallbackOrTheTask()
    {
        var seen = new List<string?>();
        Guarded.Run(async loop =>
        {
            _value.Value = "task";
            loop.CallSoon(() => _value.Value = "changed by callback");
            loop.CallSoon(() => seen.Add(_value.Value));
            await AsyncIO.Sleep(0);
            Assert.Equal("task", _value.Value);
        });
        Assert.Equal(["task"], seen);
    }

    [Fact]
    public void CallLater_Callback_SeesValueOfTheSchedulingContext()
    {
        string? seen = Guarded.Run(async loop =>
        {
            Future<string?> read = loop.CreateFuture<string?>();
            _value.Value = "timer";
            loop.CallLater(0.001, () => read.SetResult(_value.Value));
            _value.Value = "moved on";
            return await read;
        });
        Assert.Equal("timer", seen);
    }

    [Fact]
    public void AddDoneCallback_Callback_SeesValueWhenItWasAdded()
    {
        var seen = new List<string?>();
        Guarded.Run(async loop =>
        {
            Future<int> future = loop.CreateFuture<int>();
            _value.Value = "first";
            future.AddDoneCallback(_ => seen.Add(_value.Value));
            _value.Value = "second";
            future.AddDoneCallback(_ => seen.Add(_value.Value));
            _value.Value = "completer";
            future.SetResult(1);
            await AsyncIO.Sleep(0);
        });
        Assert.Equal(["first", "second"], seen);
    }

    [Fact]
    public void AsyncHelperInsideTask_ValueSetBeforeDotNetAwait_StillThereAfterIt()
    {
        string? seen = Guarded.Run(async loop => await AsyncIO.CreateTask(Body()));
        Assert.Equal("helper", seen);

        async Coroutine<string?> Body()
        {
            _value.Value = "task";
            string? inHelper = await Helper();
            Assert.Equal("task", _value.Value);
            return inHelper;
        }

        async Task<string?> Helper()
        {
            _value.Value = "helper";
            await Task.Delay(1);
            await AsyncIO.Sleep(0);
            return _value.Value;
        }
    }

    private async Coroutine<string?> Read()
    {
        await AsyncIO.Sleep(0);
        return _value.Value;
    }

    private async Coroutine Change(string value)
    {
        _value.Value = value;
        await AsyncIO.Sleep(0);
        Assert.Equal(value, _value.Value);
    }

    private async Coroutine<string?> SetYieldRead(string value)
    {
        _value.Value = value;
        await AsyncIO.Sleep(0);
        await AsyncIO.Sleep(0.001);
        return _value.Value;
    }
}
