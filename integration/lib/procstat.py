"""What the kernel says about a running process (Linux /proc): resident memory, threads, open
file descriptors, its command line and environment, and its descendants. Used by the soak
test (growth over time) and the secrets test (nothing secret in process arguments)."""

import os


def status(pid):
    """{field: value} from /proc/<pid>/status; *kB fields as ints (kB), Threads as int."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            value = value.strip()
            if value.endswith(" kB"):
                out[key] = int(value[:-3])
            elif key == "Threads":
                out[key] = int(value)
            else:
                out[key] = value
    return out


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def fd_targets(pid):
    """{fd: what it points at} (sockets and pipes as `socket:[inode]` / `pipe:[inode]`)."""
    out = {}
    base = "/proc/%d/fd" % pid
    for name in os.listdir(base):
        try:
            out[int(name)] = os.readlink(os.path.join(base, name))
        except OSError:
            pass  # closed meanwhile
    return out


def sample(pid):
    """One measurement: rss_kib, hwm_kib (peak RSS), threads, fds."""
    st = status(pid)
    return {"rss_kib": st["VmRSS"], "hwm_kib": st.get("VmHWM", 0), "threads": st["Threads"],
            "fds": fd_count(pid)}


def cmdline(pid):
    """argv of the process as a list of str (empty for a zombie)."""
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]


def environ(pid):
    with open("/proc/%d/environ" % pid, "rb") as f:
        return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]


def children(pid):
    """Direct children, from every thread's /proc/<pid>/task/<tid>/children."""
    out = []
    base = "/proc/%d/task" % pid
    try:
        tids = os.listdir(base)
    except FileNotFoundError:
        return out
    for tid in tids:
        try:
            with open(os.path.join(base, tid, "children")) as f:
                out += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return sorted(set(out))


def descendants(pid):
    """Every process below pid (children, grandchildren...)."""
    out, todo = [], children(pid)
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children(p)
    return out
