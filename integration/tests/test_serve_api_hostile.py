"""Hostile clients against a real `tributary serve` admin API (plain HTTP on 127.0.0.1).

  * auth: no token, wrong tokens (same length, prefix, longer, other scheme, lower-case
    scheme), the token in the query string -> 401 (400 for a token-named query parameter
    next to a valid header); a request without the token is refused before its body is read.
  * bodies: Content-Length of 1 TB -> 413 at once; a chunked body that never ends -> 413
    after max_body_bytes, the server's peak RSS bounded.
  * slowloris: 60 connections trickling their headers a byte a second hold no worker thread:
    other clients are answered meanwhile, each slow one gets 408 after header_timeout_seconds.
  * 1,000 concurrent requests (asyncio, one connection each): all answered correctly; the
    service answers /healthz right after; open descriptors and threads of the service the same
    before and after (measured in /proc/<pid>).
  * path tricks in `{name}`: `..`, `%2e%2e`, `%2f`, `%00`, `%5c`, malformed escapes, overlong,
    upper case, double encoding, trailing slash -> a 4xx with a message; and rules whose names
    are path tricks are refused by validation. Nothing is created (rules list and storage root
    unchanged).

TRIB_HOSTILE_CONCURRENCY (default 1000) and TRIB_HOSTILE_SLOW (default 60) scale the load.
Prints the figures RELIABILITY.md reports."""

import asyncio
import json
import os
import resource
import socket
import statistics
import threading
import time

import harness
import servicerun
import syncrun

TOKEN = servicerun.TOKEN
HEADER_TIMEOUT = 2
MAX_BODY = 65536


def raw_request(port, method, target, headers=None, body=b"", timeout=10):
    """(status, headers dict, body bytes) of one request on its own connection."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        lines = ["%s %s HTTP/1.1" % (method, target), "Host: 127.0.0.1:%d" % port,
                 "Connection: close"]
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        if body:
            lines.append("Content-Length: %d" % len(body))
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return read_response(s)
    finally:
        s.close()


def read_response(s):
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, OSError):
            break  # after a reset, what arrived before it has been read
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    if not head:
        return None, {}, b""
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, rest


def auth():
    return {"Authorization": "Bearer " + TOKEN}


def proc_figures(pid):
    fds = len(os.listdir("/proc/%d/fd" % pid))
    threads = rss = hwm = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Threads:"):
                threads = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return {"fds": fds, "threads": threads, "rss_kib": rss, "hwm_kib": hwm}


def settle(pid, baseline, timeout=10):
    """Waits until the service's descriptors and threads are back at `baseline`."""
    deadline = time.time() + timeout
    now = proc_figures(pid)
    while time.time() < deadline:
        now = proc_figures(pid)
        if now["fds"] <= baseline["fds"] and now["threads"] <= baseline["threads"]:
            break
        time.sleep(0.2)
    return now


def check_auth(svc):
    port = svc.port
    wrong = [None, "Bearer " + "x" * len(TOKEN), "Bearer " + TOKEN[:-1],
             "Bearer " + TOKEN + "0", "Bearer " + TOKEN[:-1] + chr(ord(TOKEN[-1]) ^ 1),
             "Basic " + TOKEN, "bearer " + TOKEN, "Bearer  " + TOKEN, TOKEN]
    tried = 0
    for value in wrong:
        headers = {} if value is None else {"Authorization": value}
        for method, target in (("GET", "/api/v1/rules"), ("GET", "/metrics"),
                               ("POST", "/api/v1/rules"), ("DELETE", "/api/v1/rules/1")):
            status, _, body = raw_request(port, method, target, headers,
                                          body=b"{}" if method == "POST" else b"")
            assert status == 401, (value, method, target, status, body)
            assert json.loads(body)["code"] == "unauthenticated", body
            tried += 1
    for query in ("access_token=" + TOKEN, "token=" + TOKEN, "Authorization=Bearer%20" + TOKEN):
        status, _, body = raw_request(port, "GET", "/api/v1/rules?" + query)
        assert status == 401, (query, status, body)
        status, _, body = raw_request(port, "GET", "/api/v1/rules?" + query, auth())
        assert status == 400 and b"only in the Authorization header" in body, (status, body)
        tried += 2
    # Refused before the body: a 1 TB Content-Length without the token answers 401 at once.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    start = time.time()
    s.sendall(b"POST /api/v1/rules HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n{")
    status, _, _ = read_response(s)
    s.close()
    assert status == 401 and time.time() - start < 3, status
    tried += 1
    print("auth: %d requests without a valid token, all refused (401/400)" % tried)
    return tried


def check_bodies(svc):
    port = svc.port
    pid = svc.proc.pid
    # Content-Length far over the limit: 413 without reading.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    start = time.time()
    s.sendall(("POST /api/v1/rules HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n{"
               % TOKEN).encode())
    status, _, body = read_response(s)
    s.close()
    took = time.time() - start
    assert status == 413 and json.loads(body)["code"] == "too_large", (status, body)
    assert took < 3, took
    # A request head over 32 KiB (one 40 KiB header, never finished): 431 from the gate.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /api/v1/rules HTTP/1.1\r\nX-Big: " + b"a" * 40960)
    status, _, body = read_response(s)
    s.close()
    assert status == 431 and json.loads(body)["code"] == "too_large", (status, body)
    before = proc_figures(pid)
    # Chunked, endless: chunks of 64 KiB until the server answers or closes.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(("POST /api/v1/rules HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Transfer-Encoding: chunked\r\n\r\n" % TOKEN).encode())
    chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
    sent = 0
    start = time.time()
    try:
        while time.time() - start < 20:
            s.sendall(chunk)
            sent += 65536
            if sent > 256 * MAX_BODY:
                break
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed while we were still sending
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    status, _, body = read_response(s)
    s.close()
    after = proc_figures(pid)
    assert status == 413, (status, body, sent)
    assert sent < 256 * MAX_BODY, "the server kept reading an endless body: %d bytes" % sent
    growth = (after["hwm_kib"] - before["hwm_kib"]) / 1024.0
    assert growth < 32, "peak RSS grew %.1f MiB reading an endless body" % growth
    print("bodies: 1 TB Content-Length -> 413 in %.2f s; 40 KiB head -> 431; endless chunked "
          "-> 413 after %d KiB sent, peak RSS +%.1f MiB" % (took, sent // 1024, growth))
    return sent


def check_slowloris(svc, slow_count):
    port = svc.port
    slow = []
    for _ in range(slow_count):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(b"GET /api/v1/rules HTTP/1.1\r\n")
        slow.append(s)
    stop = threading.Event()
    cut = {}

    def trickle():
        payload = b"X-Slow: " + b"a" * 64
        i = 0
        while not stop.is_set() and len(cut) < len(slow):
            for n, s in enumerate(slow):
                if n in cut:
                    continue
                try:
                    s.sendall(payload[i % len(payload):i % len(payload) + 1])
                except OSError:
                    cut.setdefault(n, time.time())
            i += 1
            stop.wait(1.0)

    started = time.time()
    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    # Meanwhile other clients are served without waiting for the slow ones.
    latencies = []
    while time.time() - started < HEADER_TIMEOUT - 0.3:
        t0 = time.time()
        status, _, body = raw_request(port, "GET", "/api/v1/rules", auth(), timeout=5)
        latencies.append(time.time() - t0)
        assert status == 200, (status, body)
        time.sleep(0.05)
    assert max(latencies) < 1.0, latencies
    # Each slow connection is answered 408 and closed after the head timeout.
    answered = 0
    for n, s in enumerate(slow):
        s.settimeout(HEADER_TIMEOUT + 5)
        status, _, body = read_response(s)
        closed_after = time.time() - started
        assert status == 408, (n, status, body)
        assert b"header_timeout_seconds" in body, body
        assert closed_after < HEADER_TIMEOUT + 4, closed_after
        answered += 1
        s.close()
    stop.set()
    t.join()
    print("slowloris: %d connections trickling 1 byte/s; %d other requests meanwhile, max "
          "latency %.0f ms; all %d slow ones answered 408 and closed within %.1f s "
          "(header_timeout_seconds %d)" % (slow_count, len(latencies), max(latencies) * 1000,
                                           answered, time.time() - started, HEADER_TIMEOUT))
    return len(latencies), max(latencies)


async def one_request(port, kind, target, headers, results):
    t0 = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" % target
        for k, v in headers.items():
            head += "%s: %s\r\n" % (k, v)
        writer.write((head + "\r\n").encode())
        await writer.drain()
        data = await reader.read()
        writer.close()
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1]) if head else None
        results.append((kind, status, body, time.perf_counter() - t0))
    except OSError as e:
        results.append((kind, None, str(e).encode(), time.perf_counter() - t0))


# (target, headers, expected status) of the concurrent requests, in turn.
KINDS = [("/api/v1/rules", {"Authorization": "Bearer " + TOKEN}, 200), ("/healthz", {}, 200),
         ("/api/v1/sources", {"Authorization": "Bearer " + TOKEN}, 200),
         ("/api/v1/rules/hostile-good", {"Authorization": "Bearer " + TOKEN}, 200),
         ("/api/v1/rules", {}, 401)]


async def burst(port, n):
    results = []
    tasks = [one_request(port, i % len(KINDS), KINDS[i % len(KINDS)][0],
                         KINDS[i % len(KINDS)][1], results) for i in range(n)]
    start = time.perf_counter()
    await asyncio.gather(*tasks)
    return results, time.perf_counter() - start


def check_concurrency(svc, n):
    pid = svc.proc.pid
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1000), hard))
    # Warm-up: the worker pool reaches its size once; the baseline is taken after it.
    asyncio.run(burst(svc.port, 100))
    time.sleep(1)
    baseline = proc_figures(pid)
    results, took = asyncio.run(burst(svc.port, n))
    bad = []
    for kind, status, body, _ in results:
        target, _, want = KINDS[kind]
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        ok = status == want and parsed is not None
        if ok and kind == 0:
            ok = [r["name"] for r in parsed["rules"]] == ["hostile-good"]
        elif ok and kind == 3:
            ok = parsed["name"] == "hostile-good"
        elif ok and kind == 4:
            ok = parsed["code"] == "unauthenticated"
        if not ok:
            bad.append((target, status, body[:200]))
    assert len(results) == n
    assert not bad, "%d of %d answered wrongly, e.g. %s" % (len(bad), n, bad[:3])
    t0 = time.time()
    status, _, _ = raw_request(svc.port, "GET", "/healthz")
    healthz_after = time.time() - t0
    assert status == 200 and healthz_after < 1.0, healthz_after
    after = settle(pid, baseline)
    latencies = sorted(r[3] for r in results)
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    print("concurrency: %d requests at once answered correctly in %.2f s; latency p50 %.0f ms, "
          "p95 %.0f ms, max %.0f ms; /healthz right after %.0f ms" % (
              n, took, p50 * 1000, p95 * 1000, latencies[-1] * 1000, healthz_after * 1000))
    print("resources: fds %d -> %d, threads %d -> %d, VmRSS %d -> %d KiB" % (
        baseline["fds"], after["fds"], baseline["threads"], after["threads"],
        baseline["rss_kib"], after["rss_kib"]))
    assert after["fds"] <= baseline["fds"], (baseline, after)
    assert after["threads"] <= baseline["threads"], (baseline, after)
    return p50, p95, latencies[-1], baseline, after


def tree(root):
    out = []
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            out.append(os.path.relpath(os.path.join(d, name), root))
    return sorted(out)


def check_path_tricks(svc, good_rule):
    port = svc.port
    before_rules = svc.ok("GET", "/api/v1/rules")
    before_tree = tree(svc.storage_root)
    body = json.dumps(dict(good_rule, name="evil")).encode()
    tricks = ["/api/v1/rules/..", "/api/v1/rules/.", "/api/v1/rules/%2e%2e",
              "/api/v1/rules/%2E%2E", "/api/v1/rules/a%2fb", "/api/v1/rules/..%2f..%2fevil",
              "/api/v1/rules/hostile-good%00", "/api/v1/rules/a%5cb", "/api/v1/rules/%zz",
              "/api/v1/rules/%", "/api/v1/rules/..%2f..%2fevil/execute",
              "/api/v1/repositories/..%2f..%2fetc/tags",
              "/api/v1/repositories/%2e%2e/%2e%2e/tags",
              "/api/v1/repositories/mirror%2f..%2f..%2fetc/tags", "/api/v1/tasks/%00/cancel"]
    refused = 0
    for target in tricks:
        for method in ("GET", "PUT", "DELETE", "POST"):
            status, _, answer = raw_request(port, method, target, auth(), body=body)
            assert status == 400, (method, target, status, answer)
            assert json.loads(answer).get("field") == "path", answer
            refused += 1
    not_found = ["/api/v1/rules/%252e%252e", "/api/v1/rules/HOSTILE-GOOD",
                 "/api/v1/rules/" + "a" * 4000, "/api/v1/rules/hostile-good/",
                 "/api/v1/rules//execute", "/api/v1/repositories/mirror/x/tags/"]
    for target in not_found:
        for method in ("GET", "PUT", "DELETE"):
            status, _, answer = raw_request(port, method, target, auth(), body=body)
            assert status in (404, 405), (method, target, status, answer)
            assert json.loads(answer)["message"], answer
            refused += 1
    status, _, answer = raw_request(port, "GET", "/api/v1/repositories/Mirror/tags", auth())
    assert status == 400, (status, answer)
    # An overlong request line: refused by the server (Poco's URI limit), not a crash.
    overlong, _, _ = raw_request(port, "GET", "/api/v1/rules/" + "a" * 20000, auth())
    assert overlong in (400, 414, 431), overlong
    refused += 2
    # Names that are path tricks: the provider's validation refuses them, naming the field.
    for name in ("../evil", "/abs", "a/../b", "_x", ".hidden", "a\u0000b", "a%2fb", "a b",
                 "a" * 300):
        status, answer = svc.api("POST", "/api/v1/rules", dict(good_rule, name=name))
        assert status == 400 and answer.get("field") == "name", (name, status, answer)
        refused += 1
    for dest in ("../evil", "/abs", "mirror/../../etc", "Mirror/x", "_x/y", "a//b", "a\u0000"):
        bad = dict(good_rule, name="dest-trick")
        bad["destination"] = dict(good_rule["destination"], repository=dest)
        status, answer = svc.api("POST", "/api/v1/rules", bad)
        assert status == 400 and answer.get("field", "").startswith("destination"), (
            dest, status, answer)
        refused += 1
    assert svc.ok("GET", "/api/v1/rules") == before_rules
    assert tree(svc.storage_root) == before_tree
    print("path tricks: %d hostile requests refused with 4xx, nothing created (20,000-character "
          "target: %d)" % (refused, overlong))
    return refused


def main():
    concurrency = int(os.environ.get("TRIB_HOSTILE_CONCURRENCY", "1000"))
    slow_count = int(os.environ.get("TRIB_HOSTILE_SLOW", "60"))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = max(concurrency, slow_count) + 500
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, need), hard))
    work = harness.make_temp_dir("trib-api-hostile-")
    good = syncrun.make_rule("127.0.0.1:9", "upstream/app", "mirror/app", name="hostile-good")
    start = time.time()
    # A short head timeout for the slow-client cases; the burst runs on the defaults (10 s),
    # since a client that connects but is slower than 2 s to send its request head (as
    # Python's event loop can be with 1,000 connections on a loaded machine) is rightly cut.
    for phase in ("hostile", "burst"):
        admin = {"max_body_bytes": MAX_BODY}
        if phase == "hostile":
            admin["header_timeout_seconds"] = HEADER_TIMEOUT
        svc = servicerun.Service(
            os.path.join(work, phase), os.path.join(work, phase + "-root"),
            provider_config={"allow_private_networks": True}, admin_extra=admin)
        svc.start()
        try:
            svc.ok("POST", "/api/v1/rules", good)
            if phase == "hostile":
                check_auth(svc)
                check_bodies(svc)
                check_path_tricks(svc, good)
                check_slowloris(svc, slow_count)
            else:
                check_concurrency(svc, concurrency)
            status, _ = svc.api("GET", "/healthz", auth=False)
            assert status == 200
            assert svc.proc.poll() is None, svc.log()
            log = svc.log()
            assert "internal error" not in log, log
        finally:
            code, _ = svc.stop()
        assert code == 0, (code, svc.log())
    print("all hostile API cases passed in %.1f s" % (time.time() - start))

if __name__ == "__main__":
    main()
