"""Slow clients of `tributary serve`'s admin API over TLS (replication.admin.tls).

Over plain HTTP the HeadGate holds a connection off the worker threads until its request head
is complete (test_serve_api_hostile.py). Over TLS the gate also runs the handshake, so a
client that connects and never says hello, one that stops halfway through its ClientHello and
one that finishes the handshake and then says nothing hold no worker either. Here, with 4
workers and SILENT + HALF + QUIET such connections open:

  - other HTTPS requests (unauthenticated /healthz and an authenticated API call) are answered
    at once, each well under REQUEST_LIMIT seconds;
  - every slow connection is closed by the server within header_timeout_seconds (+ slack);
  - SIGTERM with another batch of silent connections open: exit 0 within 10 s.

Before the gate ran the handshake, the workers did it, each waiting up to the request timeout
for the client's hello: 23 silent connections delayed /healthz by ~60 s and SIGTERM by 30 s.
"""

import os
import signal
import socket
import ssl
import time

import harness
import servicerun

SILENT = 40         # TCP connections that never send a byte
HALF = 10           # connections that send half a ClientHello, then nothing
QUIET = 20          # connections that complete the handshake, then send nothing
HEADER_TIMEOUT = 3  # replication.admin.header_timeout_seconds
REQUEST_LIMIT = 2.0


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def half_client_hello(ctx):
    """The first half of a real ClientHello for 127.0.0.1."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    assert len(hello) > 40, len(hello)
    return hello[:len(hello) // 2]


def closed_by_server(sock, wait):
    """True when the server closes `sock` within `wait` seconds (EOF or reset)."""
    sock.settimeout(wait)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        return True
    except socket.timeout:
        return False
    except OSError:
        return True


def timed_request(svc, path, auth):
    started = time.time()
    status, answer = svc.api("GET", path, auth=auth)
    return status, answer, time.time() - started


def main():
    work = harness.make_temp_dir("trib-serve-hostile-tls-")
    certs = harness.make_ca_and_server_cert(os.path.join(work, "certs"))
    svc = servicerun.Service(os.path.join(work, "svc"), os.path.join(work, "dest"), tls=certs,
                             admin_extra={"header_timeout_seconds": HEADER_TIMEOUT,
                                          "threads": 4})
    svc.start()
    try:
        ctx = certs.ssl_context()
        hello = half_client_hello(ctx)
        slow = []
        opened = time.time()
        slow += [connect(svc.port) for _ in range(SILENT)]
        for _ in range(HALF):
            s = connect(svc.port)
            s.sendall(hello)
            slow.append(s)
        for _ in range(QUIET):
            s = ctx.wrap_socket(connect(svc.port), server_hostname="127.0.0.1")
            assert s.version() is not None  # the handshake completed
            slow.append(s)
        print("%d slow TLS connections open" % len(slow), flush=True)

        # Others are served meanwhile.
        worst = 0.0
        for i in range(10):
            status, _, took = timed_request(svc, "/healthz", auth=False)
            assert status == 200, status
            worst = max(worst, took)
            status, answer, took = timed_request(svc, "/api/v1/rules", auth=True)
            assert status == 200 and "rules" in answer, (status, answer)
            worst = max(worst, took)
        print("20 HTTPS requests answered meanwhile, slowest %.3f s" % worst, flush=True)
        assert worst < REQUEST_LIMIT, "a request took %.1f s while slow clients waited\n%s" % (
            worst, svc.log())

        # Each slow connection is closed at the header timeout.
        deadline = opened + HEADER_TIMEOUT + 4
        kept = [s for s in slow if not closed_by_server(s, max(0.1, deadline - time.time()))]
        print("closed by the server: %d of %d (after %.1f s)" % (
            len(slow) - len(kept), len(slow), time.time() - opened), flush=True)
        assert not kept, "%d slow connections still open after %d s" % (
            len(kept), HEADER_TIMEOUT + 4)
        for s in slow:
            s.close()

        # A new crowd of silent clients does not hold up the shutdown.
        crowd = [connect(svc.port) for _ in range(SILENT)]
        time.sleep(0.3)
        code, took = svc.stop(signal.SIGTERM)
        print("SIGTERM with %d silent TLS connections: exit %s after %.2f s" % (
            len(crowd), code, took), flush=True)
        assert code == 0 and took < 10, (code, took, svc.log())
        for s in crowd:
            s.close()
    finally:
        if svc.proc is not None:
            svc.kill()
    print("ok")


if __name__ == "__main__":
    main()
