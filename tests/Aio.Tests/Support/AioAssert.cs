using System.Runtime.CompilerServices;
using Xunit.Sdk;

namespace Aio.Tests.Support;

/// <summary>Assertions for code that must be awaited on the loop.</summary>
public static class AioAssert
{
    /// <summary>Awaits <paramref name="action"/> and returns the exception it threw, which must be of
    /// exactly <typeparamref name="TException"/>.</summary>
    public static async Coroutine<TException> ThrowsAsync<TException>(Func<Coroutine> action)
        where TException : Exception
    {
        try
        {
            await action();
        }
        catch (Exception ex)
        {
            return Check<TException>(ex);
        }

        throw new XunitException($"Expected {typeof(TException).Name}, but nothing was thrown.");
    }

    /// <summary>As <see cref="ThrowsAsync{TException}(Func{Coroutine})"/> for a coroutine with a result.</summary>
    public static async Coroutine<TException> ThrowsAsync<TException, TResult>(Func<Coroutine<TResult>> action)
        where TException : Exception
    {
        TResult result;
        try
        {
            result = await action();
        }
        catch (Exception ex)
        {
            return Check<TException>(ex);
        }

        throw new XunitException($"Expected {typeof(TException).Name}, but the coroutine returned {result}.");
    }

    /// <summary>Awaits <paramref name="future"/> and returns the exception it ended with.</summary>
    public static async Coroutine<TException> ThrowsAsync<TException>(Future future)
        where TException : Exception
    {
        try
        {
            await future;
        }
        catch (Exception ex)
        {
            return Check<TException>(ex);
        }

        throw new XunitException($"Expected {typeof(TException).Name}, but {future} succeeded.");
    }

    /// <summary>Polls <paramref name="condition"/> on the loop until it holds; for state that another thread
    /// changes. Fails after <paramref name="seconds"/> so that a broken condition cannot hang the test.</summary>
    public static async Coroutine WaitUntil(Func<bool> condition, double seconds = 10, [CallerArgumentExpression(nameof(condition))] string what = "")
    {
        var limit = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (limit.Elapsed.TotalSeconds > seconds)
            {
                throw new XunitException($"Condition not met within {seconds} s: {what}");
            }

            await AsyncIO.Sleep(0.001);
        }
    }

    private static TException Check<TException>(Exception ex)
        where TException : Exception
    {
        if (ex.GetType() != typeof(TException))
        {
            throw new XunitException($"Expected {typeof(TException).Name}, but got {ex.GetType().Name}: {ex}");
        }

        return (TException)ex;
    }
}
