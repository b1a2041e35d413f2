"""Pipelined requests in one write, requests split into tiny writes, HEAD without a body."""
import time

import columba_test as ct

OK_BODY = b'{"status":"ok"}\n'


class Pipelining(ct.DaemonTestCase):
    def setUp(self):
        self.d = self.start()

    def tearDown(self):
        self.d.stop_ok(self)

    def test_many_in_one_write(self):
        for n in (3, 10):
            s = self.d.tls_stream()
            s.send(b"".join(ct.request_bytes(headers=[("X-Seq", str(i))]) for i in range(n)))
            for i in range(n):
                r = s.read_response()
                self.assertEqual(r.status, 200, "response %d of %d" % (i, n))
                self.assertEqual(r.body, OK_BODY)
                self.assertEqual(r.header("connection"), "keep-alive")
            self.assertEqual(s.buf, b"", "bytes after the last response")
            # Still open and usable.
            s.send(ct.request_bytes())
            self.assertEqual(s.read_response().body, OK_BODY)
            s.close()

    def test_mixed_pipeline_in_order(self):
        # GET, HEAD, 404, POST with a body (405: the body must be skipped
        # by its length), OPTIONS (405), GET: answered in order.
        s = self.d.tls_stream()
        s.send(ct.request_bytes()
               + ct.request_bytes(method="HEAD")
               + ct.request_bytes(path="/nope")
               + ct.request_bytes(method="POST", body=b"GET /healthz HTTP/1.1\r\n\r\n")
               + ct.request_bytes(method="OPTIONS")
               + ct.request_bytes(path="/healthz?x=1"))
        r = s.read_response()
        self.assertEqual((r.status, r.body), (200, OK_BODY))
        r = s.read_response(head_only=True)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("content-length"), str(len(OK_BODY)))
        # HEAD had no body: the next bytes are the next status line.
        self.assertTrue(s.buf == b"" or s.buf.startswith(b"HTTP/1.1 404"), s.buf[:40])
        r = s.read_response()
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["error"], "not_found")
        r = s.read_response()
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("allow"), "GET, HEAD")
        self.assertEqual(r.json()["error"], "method_not_allowed")
        r = s.read_response()
        self.assertEqual(r.status, 405)
        r = s.read_response()
        self.assertEqual((r.status, r.body), (200, OK_BODY))
        self.assertFalse(s.closed_by_peer(timeout=0.2))
        s.close()

    def test_tiny_writes(self):
        # Three requests, one byte per TLS record, then the last one closes.
        s = self.d.tls_stream()
        data = (ct.request_bytes() + ct.request_bytes(method="HEAD")
                + ct.request_bytes(headers=[("Connection", "close")]))
        for i in range(len(data)):
            s.send(data[i:i + 1])
        r = s.read_response()
        self.assertEqual((r.status, r.body), (200, OK_BODY))
        r = s.read_response(head_only=True)
        self.assertEqual(r.status, 200)
        r = s.read_response()
        self.assertEqual((r.status, r.body), (200, OK_BODY))
        self.assertEqual(r.header("connection"), "close")
        self.assertTrue(s.closed_by_peer())
        s.close()

    def test_split_at_every_boundary_of_a_body(self):
        # A request with a body whose pieces arrive separately, then a
        # request that starts in the same record as the body's end.
        s = self.d.tls_stream()
        body = b"x" * 100
        req = ct.request_bytes(method="POST", body=body)
        nxt = ct.request_bytes()
        head_end = req.index(b"\r\n\r\n") + 4
        s.send(req[:10])
        time.sleep(0.05)
        s.send(req[10:head_end])
        time.sleep(0.05)
        s.send(req[head_end:head_end + 50])
        time.sleep(0.05)
        s.send(req[head_end + 50:] + nxt[:7])
        time.sleep(0.05)
        s.send(nxt[7:])
        r = s.read_response()
        self.assertEqual(r.status, 405)
        r = s.read_response()
        self.assertEqual((r.status, r.body), (200, OK_BODY))
        s.close()

    def test_head_error_and_get_with_body(self):
        # HEAD on an unknown path: 404 head only; a GET with a body has its
        # body skipped by length; both keep the connection.
        s = self.d.tls_stream()
        s.send(ct.request_bytes(method="HEAD", path="/nope")
               + ct.request_bytes(body=b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
               + ct.request_bytes())
        r = s.read_response(head_only=True)
        self.assertEqual(r.status, 404)
        self.assertGreater(int(r.header("content-length")), 0)
        self.assertTrue(s.buf == b"" or s.buf.startswith(b"HTTP/1.1 200"), s.buf[:40])
        r = s.read_response()
        self.assertEqual((r.status, r.body), (200, OK_BODY))
        r = s.read_response()
        self.assertEqual((r.status, r.body), (200, OK_BODY))
        s.close()

    def test_client_close_notify(self):
        # The client ends TLS cleanly: the server answers with its own
        # close_notify and closes.
        s = self.d.tls_stream()
        s.send(ct.request_bytes())
        self.assertEqual(s.read_response().status, 200)
        raw = s.sock.unwrap()
        raw.settimeout(10)
        self.assertEqual(raw.recv(100), b"")
        raw.close()

    def test_http10(self):
        # HTTP/1.0 closes unless it asks for keep-alive (no Host needed).
        s = self.d.tls_stream()
        s.send(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = s.read_response()
        self.assertEqual((r.status, r.header("connection")), (200, "keep-alive"))
        s.send(b"GET /healthz HTTP/1.0\r\n\r\n")
        r = s.read_response()
        self.assertEqual((r.status, r.header("connection")), (200, "close"))
        self.assertTrue(s.closed_by_peer())
        s.close()

    def test_absolute_form_target(self):
        s = self.d.tls_stream()
        s.send(b"GET https://localhost/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        r = s.read_response()
        self.assertEqual((r.status, r.body), (200, OK_BODY))
        s.close()

    def test_client_that_never_reads_is_cut_off(self):
        # Thousands of pipelined requests and no reads: once its unread
        # answers pass half of send_queue_bytes the server stops serving
        # and reading (backpressure). What still arrives is kept up to one
        # request buffer, past which the connection is reset
        # (pipeline_overflow); otherwise the request timeout answers 408 and
        # closes, and since the client does not read, the close grace ends
        # in a reset (close_timeout). Either way nothing is queued without
        # bound and the daemon stays healthy.
        d = self.start(sets=["http.send_queue_bytes=16384", "http.header_timeout_ms=1000"])
        import socket
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.settimeout(10)
        raw.connect((d.host, d.port))
        s = ct.Stream(d.tls_context().wrap_socket(raw, server_hostname="localhost"))
        batch = ct.request_bytes() * 400
        blocked = False
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                s.sock.settimeout(3)
                s.send(batch)
            except (OSError, socket.timeout):
                blocked = True
                break
        self.assertTrue(blocked, "the server kept reading requests from a client that never reads")
        d.wait_log(r"event=(close_timeout unsent|pipeline_overflow served)=\d+", timeout=20)
        s.close()
        # The daemon is fine.
        st, _ = d.admin_get("/healthz")
        self.assertEqual(st, 200)
        d.stop_ok(self)

    def test_expect_100_continue(self):
        s = self.d.tls_stream()
        body = b"y" * 64
        req = ct.request_bytes(method="POST", headers=[("Expect", "100-continue")], body=body)
        s.send(req[:-len(body)])
        r = s.read_response()
        self.assertEqual(r.status, 100)
        s.send(body)
        r = s.read_response()
        self.assertEqual(r.status, 405)
        s.close()



class PipeliningSmallBuffer(ct.DaemonTestCase):
    """A request buffer of max_header_bytes + max_body_bytes = 1088 bytes."""

    def test_pipeline_behind_a_partial_request_is_not_dropped(self):
        # The first request arrives in two pieces, so its start waits in the
        # request buffer; the second piece completes it and carries 40 more
        # requests (about 1.5 KB, more than the buffer's room). All 41 must
        # be answered: a chunk bigger than the room must be fed in pieces,
        # not cut to the room (which dropped the requests past it, and left
        # the connection waiting for a 408).
        d = self.start(sets=["http.max_request_line=512", "http.max_header_bytes=1024",
                             "http.max_body_bytes=64"])
        s = d.tls_stream()
        first = ct.request_bytes()
        s.send(first[:20])
        d.wait_ready()  # the worker has taken the first piece
        n = 40
        s.send(first[20:] + ct.request_bytes(headers=[("X-N", "1")]) * n)
        for i in range(n + 1):
            r = s.read_response(timeout=5)
            self.assertEqual((i, r.status, r.body), (i, 200, OK_BODY))
        s.close()
        d.stop_ok(self)


if __name__ == "__main__":
    ct.main()
