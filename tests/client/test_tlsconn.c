/* client/tlsconn.c: address and pin parsing, and the transport errors a
 * client must tell apart (refused port, and a deadline). */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "client/tlsconn.h"

static void test_host_port(void **state)
{
	char host[64];
	uint16_t port;

	(void)state;
	assert_int_equal(cl_host_port_parse("localhost:8443", host, sizeof(host), &port), 0);
	assert_string_equal(host, "localhost");
	assert_int_equal(port, 8443);
	assert_int_equal(cl_host_port_parse("[::1]:5061", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 5061);
	assert_int_equal(cl_host_port_parse("::1:5061", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cl_host_port_parse("host", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cl_host_port_parse("host:", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cl_host_port_parse("host:0", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cl_host_port_parse("host:65536", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cl_host_port_parse(":80", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cl_host_port_parse("[::1]5061", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(cl_host_port_parse("averyveryverylonghostname:1", host, 8, &port), -EINVAL);
}

static void test_pin(void **state)
{
	uint8_t pin[CL_PIN_LEN];

	(void)state;
	assert_int_equal(cl_pin_parse("204390ae7afb1553f7c6f95eef7d89b8b1b35d058f351ea4aa37217503aedb16",
				      pin), 0);
	assert_int_equal(pin[0], 0x20);
	assert_int_equal(pin[31], 0x16);
	assert_int_equal(cl_pin_parse("20:43:90:AE:7A:FB:15:53:F7:C6:F9:5E:EF:7D:89:B8:B1:B3:5D:05:8F:"
				      "35:1E:A4:AA:37:21:75:03:AE:DB:16", pin), 0);
	assert_int_equal(pin[3], 0xae);
	assert_int_equal(cl_pin_parse("204390", pin), -EINVAL);
	assert_int_equal(cl_pin_parse("204390ae7afb1553f7c6f95eef7d89b8b1b35d058f351ea4aa37217503aedb1600",
				      pin), -EINVAL);
	assert_int_equal(cl_pin_parse("g04390ae7afb1553f7c6f95eef7d89b8b1b35d058f351ea4aa37217503aedb16",
				      pin), -EINVAL);
}

static void test_refused_and_deadline(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	struct cl_tls_cfg tls = { .has_pin = true };
	struct cl_conn c;
	int fd;

	(void)state;
	/* a port bound but not listening refuses */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(cl_conn_open(&c, "127.0.0.1", ntohs(sa.sin_port), &tls,
				      clock_mono_ms() + 2000), -EHOSTUNREACH);
	assert_false(cl_conn_is_open(&c));
	/* a listener that never answers the handshake: the deadline */
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(cl_conn_open(&c, "127.0.0.1", ntohs(sa.sin_port), &tls,
				      clock_mono_ms() + 300), -ETIMEDOUT);
	close(fd);
	/* no trust settings at all */
	tls.has_pin = false;
	assert_int_equal(cl_conn_open(&c, "127.0.0.1", 1, &tls, clock_mono_ms() + 300), -EINVAL);
	assert_non_null(strstr(cl_conn_strerror(-EKEYREJECTED), "certificate mismatch"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_port),
		cmocka_unit_test(test_pin),
		cmocka_unit_test(test_refused_and_deadline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
