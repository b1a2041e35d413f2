"""Malformed requests over TLS: each gets its status and JSON error code, then the
connection closes. 404 and 405 are well-formed: they keep the connection."""
import columba_test as ct

H = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"


class Malformed(ct.DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        # max_body_bytes at its minimum (64) for the 413 case.
        cls.d = ct.Columbad(sets=["http.max_body_bytes=64"])

    @classmethod
    def tearDownClass(cls):
        d = cls.d
        rc = d.stop()
        log = d.log()
        rep = ct.sanitizer_report(log)
        d.close()
        if rc != 0 or rep or "event=stopped status=0" not in log:
            raise AssertionError("columbad stop: rc=%s sanitizer=%s\n%s" % (rc, rep, log))

    def reject(self, data, status, code, chunks=None):
        s = self.d.tls_stream()
        if chunks:
            for i in range(0, len(data), chunks):
                s.send(data[i:i + chunks])
        else:
            s.send(data)
        r = s.read_response()
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(r.header("connection"), "close")
        j = r.json()
        self.assertEqual(j["error"], code)
        self.assertIsInstance(j["detail"], str)
        self.assertTrue(s.closed_by_peer(timeout=3.0), "connection left open after %s" % code)
        s.close()

    def test_bare_lf(self):
        self.reject(b"GET /healthz HTTP/1.1\nHost: localhost\n\n", 400, "bare_lf")

    def test_bare_cr(self):
        self.reject(b"GET /healthz HTTP/1.1\rHost: localhost\r\n\r\n", 400, "bare_cr")

    def test_obs_fold(self):
        self.reject(H + b"X-A: 1\r\n  folded\r\n\r\n", 400, "obs_fold")

    def test_duplicate_content_length(self):
        self.reject(b"POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\n"
                    b"Content-Length: 1\r\n\r\na", 400, "dup_content_length")

    def test_content_length_list(self):
        self.reject(b"POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1, 1\r\n\r\na",
                    400, "dup_content_length")

    def test_te_and_cl(self):
        self.reject(b"POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\nabc", 400, "te_and_content_length")

    def test_chunked_411(self):
        self.reject(b"POST /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
                    b"\r\n3\r\nabc\r\n0\r\n\r\n", 411, "length_required")

    def test_unknown_te_501(self):
        self.reject(b"POST /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n",
                    501, "te_unsupported")

    def test_huge_header_431(self):
        # Default max_header_bytes is 16384: one 17000-byte header line.
        self.reject(H + b"X-Big: " + b"a" * 17000 + b"\r\n\r\n", 431, "head_too_large")

    def test_huge_header_in_small_pieces_431(self):
        self.reject(H + b"X-Big: " + b"a" * 17000 + b"\r\n\r\n", 431, "head_too_large",
                    chunks=1000)

    def test_too_many_headers_431(self):
        self.reject(H + b"".join(b"X-%d: v\r\n" % i for i in range(70)) + b"\r\n",
                    431, "too_many_headers")

    def test_long_request_line_414(self):
        self.reject(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",
                    414, "line_too_long")

    def test_body_too_large_413(self):
        self.reject(b"POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 65\r\n\r\n"
                    + b"b" * 65, 413, "body_too_large")

    def test_body_at_limit_accepted(self):
        s = self.d.tls_stream()
        s.send(ct.request_bytes(method="POST", body=b"b" * 64) + ct.request_bytes())
        self.assertEqual(s.read_response().status, 405)
        self.assertEqual(s.read_response().status, 200)
        s.close()

    def test_bad_method_token(self):
        self.reject(b"G(T /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "bad_method")

    def test_bad_version(self):
        self.reject(b"GET /healthz HTTP/2.0\r\nHost: localhost\r\n\r\n", 505,
                    "version_unsupported")

    def test_no_host(self):
        self.reject(b"GET /healthz HTTP/1.1\r\n\r\n", 400, "no_host")

    def test_bad_content_length(self):
        self.reject(b"POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n",
                    400, "bad_content_length")

    def test_unsupported_expect_417(self):
        self.reject(H + b"Expect: something\r\n\r\n", 417, "expectation_failed")

    def test_error_after_good_request_in_pipeline(self):
        # The good request is answered, then the bad one, then close.
        s = self.d.tls_stream()
        s.send(ct.request_bytes() + b"GET /healthz HTTP/1.1\nHost: x\n\n" + ct.request_bytes())
        self.assertEqual(s.read_response().status, 200)
        r = s.read_response()
        self.assertEqual((r.status, r.json()["error"]), (400, "bare_lf"))
        self.assertTrue(s.closed_by_peer())
        s.close()

    def test_unknown_path_404_keeps_connection(self):
        s = self.d.tls_stream()
        s.send(ct.request_bytes(path="/no/such/thing"))
        r = s.read_response()
        self.assertEqual(r.status, 404)
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(r.json(), {"error": "not_found", "detail": "no such resource"})
        s.send(ct.request_bytes())
        self.assertEqual(s.read_response().status, 200)
        s.close()

    def test_wrong_method_405_with_allow(self):
        s = self.d.tls_stream()
        s.send(ct.request_bytes(method="DELETE"))
        r = s.read_response()
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("allow"), "GET, HEAD")
        self.assertEqual(r.json()["error"], "method_not_allowed")
        s.send(ct.request_bytes())
        self.assertEqual(s.read_response().status, 200)
        s.close()

    def test_unknown_method_501(self):
        s = self.d.tls_stream()
        s.send(ct.request_bytes(method="BREW"))
        r = s.read_response()
        self.assertEqual(r.status, 501)
        self.assertEqual(r.json()["error"], "not_implemented")
        s.close()

    def test_metrics_count_bad_requests(self):
        before = self.d.metrics()["columba_http_bad_requests_total"]
        self.reject(b"GET /healthz HTTP/1.1\nHost: localhost\n\n", 400, "bare_lf")
        self.assertEqual(self.d.metrics()["columba_http_bad_requests_total"], before + 1)


if __name__ == "__main__":
    ct.main()
