"""Regression: pipelining clients and the send queue.

(a) A client that pipelines requests and never reads its answers: once the
idle timeout closes the connection gracefully, the answers still queued must
not keep it open for ever. Before the fix the graceful close waited for the
queue to drain, which never happens; now it is reset after a grace period
(5 s), and columba_connections_open returns to where it was.

(b) A client that pipelines more answers than the send queue holds but does
read them: before the fix the queue overflowed and the connection was reset
(send_stuck); now the server stops reading until the client catches up
(backpressure) and every request is answered, in order."""
import select
import socket
import ssl
import time

import columba_test as ct

OK_BODY = b'{"status":"ok"}\n'
GRACE_BOUND_S = 15.0   # idle timeout (1 s) + close grace (5 s) + slack
PHASE_REQUESTS = 1000  # about 190 KB of answers: less than the 256 KiB send queue
ANSWER_BYTES = 180     # at least, per GET /healthz answer (TLS included)
MAX_PHASES = 60
PIPELINE_REQUESTS = 2300   # about 400 KB of answers: more than the 256 KiB send queue


def kernel_send_queue(port, peer_port):
    """Bytes in the kernel send queue of the server's end of the TCP
    connection 127.0.0.1:port <-> peer_port (/proc/net/tcp{,6}), or -1.
    On the dpdk backend the server's end is the stack's, not the kernel's:
    there the answers back up in the client's receive queue (the client's
    end, peer_port <-> port), which is read instead."""
    if ct.DPDK:
        port, peer_port = peer_port, port
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            c = row.split()
            if (int(c[1].rsplit(":", 1)[1], 16) == port
                    and int(c[2].rsplit(":", 1)[1], 16) == peer_port):
                return int(c[4].split(":")[1 if ct.DPDK else 0], 16)
    return -1


def settled_send_queue(port, peer_port, timeout=5.0):
    """kernel_send_queue() once it stopped changing (three equal looks
    20 ms apart), or its last value after timeout."""
    deadline = time.monotonic() + timeout
    last, same = kernel_send_queue(port, peer_port), 0
    while same < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
        cur = kernel_send_queue(port, peer_port)
        same = same + 1 if cur == last else 0
        last = cur
    return last


class NoRead(ct.DaemonTestCase):
    def open_conns(self, d):
        return d.metrics()["columba_connections_open"]

    def test_never_reading_client_is_reset(self):
        d = self.start(sets=["http.idle_timeout_ms=1000", "http.header_timeout_ms=1000"])
        baseline = self.open_conns(d)
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # A small receive window: the answers back up into the server.
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.settimeout(10.0)
        raw.connect((d.host, d.port))
        cport = raw.getsockname()[1]
        s = d.tls_context().wrap_socket(raw, server_hostname="localhost")
        self.addCleanup(s.close)
        # Pipeline requests, a phase at a time, until the server's kernel
        # send buffer is full: from then on the answers stay in columbad's
        # own send queue. A phase's answers stay below http.send_queue_bytes,
        # which must not overflow (that resets the connection at once).
        phase = ct.request_bytes() * PHASE_REQUESTS
        prev = kernel_send_queue(d.port, cport)
        full = False
        for _ in range(MAX_PHASES):
            s.sendall(phase)
            cur = settled_send_queue(d.port, cport)
            if cur - prev < PHASE_REQUESTS * ANSWER_BYTES // 2:
                full = True
                break
            prev = cur
        self.assertTrue(full, "the kernel send buffer never filled (%d bytes)" % prev)
        # The client still reads nothing: the idle (or request) timeout closes
        # the connection gracefully, and the close deadline resets it.
        deadline = time.monotonic() + GRACE_BOUND_S
        now_open = self.open_conns(d)
        while now_open != baseline and time.monotonic() < deadline:
            time.sleep(0.1)
            now_open = self.open_conns(d)
        self.assertEqual(now_open, baseline,
                         "a client that never reads still holds its connection %.0f s "
                         "later" % GRACE_BOUND_S)
        # It was the close deadline (answers were still queued) that ended it.
        d.wait_log(r"event=close_timeout unsent=[1-9]", timeout=1.0)
        self.assertNotRegex(d.log(), r"event=send_stuck")
        # The server is fine: a new connection is served.
        t = d.tls_stream()
        t.send(ct.request_bytes())
        self.assertEqual(t.read_response().body, OK_BODY)
        t.close()
        d.stop_ok(self)

    def test_pipelining_reader_gets_every_answer(self):
        d = self.start()
        s = d.tls_stream(timeout=30.0)
        self.addCleanup(s.close)
        # Every third request is for an unknown path: a lost, repeated or
        # reordered answer shows as a 404 out of place.
        def path(i):
            return "/nope" if i % 3 == 2 else "/healthz"
        reqs = b"".join(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path(i).encode()
                        for i in range(PIPELINE_REQUESTS))
        # Everything is written while the answers are read, in one thread:
        # the socket is non-blocking until the last request is out (an
        # OpenSSL connection must not be used by two threads at once: a
        # sender thread beside the reader corrupted records now and then,
        # and the server rightly closed the connection).
        sock = s.sock
        sent = 0
        sock.setblocking(False)
        deadline = time.monotonic() + 60.0
        while sent < len(reqs):
            self.assertLess(time.monotonic(), deadline, "requests not taken in time")
            try:
                sent += sock.send(reqs[sent:sent + 16384])
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                pass
            try:
                data = sock.recv(65536)
                self.assertTrue(data, "connection closed while sending")
                s.buf += data
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                select.select([sock], [sock], [], 0.05)
        sock.setblocking(True)
        for i in range(PIPELINE_REQUESTS):
            try:
                r = s.read_response(timeout=30.0)
            except (EOFError, OSError) as e:
                self.fail("connection ended after %d of %d answers: %r"
                          % (i, PIPELINE_REQUESTS, e))
            if i % 3 == 2:
                self.assertEqual(r.status, 404, "answer %d: %r" % (i, r))
            else:
                self.assertEqual((r.status, r.body), (200, OK_BODY), "answer %d: %r" % (i, r))
            self.assertEqual(r.header("connection"), "keep-alive", "answer %d" % i)
        self.assertEqual(s.buf, b"", "bytes after the last answer")
        # Not reset, still usable.
        s.send(ct.request_bytes())
        self.assertEqual(s.read_response().body, OK_BODY)
        self.assertNotRegex(d.log(), r"event=send_stuck")
        d.stop_ok(self)


if __name__ == "__main__":
    ct.main()
