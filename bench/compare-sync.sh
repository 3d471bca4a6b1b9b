#!/usr/bin/env bash
# Runs the `sync` suite on Aio, its .NET reference, asyncio and uvloop and prints the comparison table;
# see bench/compare.sh.
exec "$(dirname "$0")/compare.sh" sync
