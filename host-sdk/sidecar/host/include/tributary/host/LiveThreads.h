// LiveThreads: how many threads this process has right now, for the exit check in main().
// Every worker a command starts (the provider's pools, the host's) must be joined before the
// command returns; a thread still alive when main() returns would keep running through static
// destruction and through a leak checker's final scan.
#pragma once

namespace tributary::host {

/// The number of entries in /proc/self/task (the calling thread included), or -1 where
/// /proc is not mounted.
int liveThreadCount();

}  // namespace tributary::host
