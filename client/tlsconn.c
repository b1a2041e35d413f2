#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "client/tlsconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

/* wolfSSL is initialised once per process and never cleaned up: a client
 * opens connections until it exits. */
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static bool tls_ready;

static void tls_init(void)
{
	tls_ready = wolfSSL_Init() == WOLFSSL_SUCCESS;
}

int cl_host_port_parse(const char *s, char *host, size_t cap, uint16_t *port)
{
	const char *colon, *h = s, *he;
	char *end;
	unsigned long p;

	if (!s || !*s)
		return -EINVAL;
	if (*s == '[') {
		he = strchr(s, ']');
		if (!he || he[1] != ':')
			return -EINVAL;
		h = s + 1;
		colon = he + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL;
		he = colon;
	}
	if (he == h || (size_t)(he - h) >= cap)
		return -EINVAL;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || colon[1] == '\0' || p == 0 || p > 65535)
		return -EINVAL;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	*port = (uint16_t)p;
	return 0;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int cl_pin_parse(const char *s, uint8_t pin[CL_PIN_LEN])
{
	size_t i = 0;

	while (i < CL_PIN_LEN) {
		int hi, lo;

		if (i > 0 && *s == ':')
			s++;
		hi = hexval((unsigned char)s[0]);
		lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		pin[i++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return *s ? -EINVAL : 0;
}

static int wait_fd(int fd, short events, uint64_t deadline_ms)
{
	for (;;) {
		uint64_t now = clock_mono_ms();
		struct pollfd p = { .fd = fd, .events = events };
		int r;

		if (now >= deadline_ms)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)(deadline_ms - now > 60000 ? 60000 : deadline_ms - now));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -EIO;
	}
}

/* TCP connect to one resolved address before the deadline. */
static int tcp_connect(const struct addrinfo *ai, uint64_t deadline_ms)
{
	int fd, one = 1, err = 0, r;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -EIO;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		close(fd);
		return -EHOSTUNREACH;
	}
	r = wait_fd(fd, POLLOUT, deadline_ms);
	if (r < 0) {
		close(fd);
		return r;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
		close(fd);
		return -EHOSTUNREACH;
	}
	return fd;
}

static bool is_ip_literal(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;
}

/*
 * The text wolfSSL matches an iPAddress subjectAltName against (with
 * WOLFSSL_IP_ALT_NAME or OPENSSL_ALL): dotted IPv4, or IPv6 as eight groups
 * of four upper-case hex digits ("::1" is "0000:...:0001"). Returns false if
 * @host is not a numeric address.
 */
static bool ip_san_text(const char *host, char out[40])
{
	uint8_t a[16];

	if (inet_pton(AF_INET, host, a) == 1)
		return inet_ntop(AF_INET, a, out, 40) != NULL;
	if (inet_pton(AF_INET6, host, a) != 1)
		return false;
	for (int i = 0; i < 8; i++)
		snprintf(out + 5 * i, 40 - 5 * (size_t)i, "%02X%02X%s", a[2 * i], a[2 * i + 1],
			 i < 7 ? ":" : "");
	return true;
}

/* With a pin, the server certificate against it (names and addresses were
 * checked during the handshake otherwise). */
static int check_peer(WOLFSSL *ssl, const struct cl_tls_cfg *tls)
{
	WOLFSSL_X509 *x = wolfSSL_get_peer_certificate(ssl);
	const unsigned char *der;
	uint8_t digest[WC_SHA256_DIGEST_SIZE];
	int der_len = 0, r = -EKEYREJECTED;

	if (!x)
		return -EKEYREJECTED;
	if (tls->has_pin) {
		der = wolfSSL_X509_get_der(x, &der_len);
		if (der && der_len > 0 && wc_Sha256Hash(der, (word32)der_len, digest) == 0 &&
		    memcmp(digest, tls->pin, CL_PIN_LEN) == 0)
			r = 0;
	} else {
		r = 0; /* the name or address was checked during the handshake */
	}
	wolfSSL_X509_free(x);
	return r;
}

static int ctx_setup(WOLFSSL_CTX *ctx, const struct cl_tls_cfg *tls)
{
	wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2);
	if (tls->has_pin) {
		wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
		return 0;
	}
	if (!tls->cafile)
		return -EINVAL;
	if (wolfSSL_CTX_load_verify_locations(ctx, tls->cafile, NULL) != WOLFSSL_SUCCESS)
		return -EKEYREJECTED;
	wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
	return 0;
}

static int handshake(struct cl_conn *c, const char *host, const struct cl_tls_cfg *tls,
		     uint64_t deadline_ms)
{
	WOLFSSL *ssl = c->ssl;
	int r;

	wolfSSL_set_fd(ssl, c->fd);
	if (!is_ip_literal(host)) {
		wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, host, (unsigned short)strlen(host));
		if (!tls->has_pin && wolfSSL_check_domain_name(ssl, host) != WOLFSSL_SUCCESS)
			return -EIO;
	} else if (!tls->has_pin) {
		/* A server named by its address: an iPAddress subjectAltName must match. */
		char ip[40];

		if (!ip_san_text(host, ip) || wolfSSL_check_domain_name(ssl, ip) != WOLFSSL_SUCCESS)
			return -EIO;
	}
	for (;;) {
		int e;

		if (wolfSSL_connect(ssl) == WOLFSSL_SUCCESS)
			break;
		e = wolfSSL_get_error(ssl, 0);
		if (e == WOLFSSL_ERROR_WANT_READ)
			r = wait_fd(c->fd, POLLIN, deadline_ms);
		else if (e == WOLFSSL_ERROR_WANT_WRITE)
			r = wait_fd(c->fd, POLLOUT, deadline_ms);
		else if (e == ASN_NO_SIGNER_E || e == ASN_SIG_CONFIRM_E || e == DOMAIN_NAME_MISMATCH ||
			 e == IPADDR_MISMATCH || e == ASN_AFTER_DATE_E || e == ASN_BEFORE_DATE_E ||
			 e == VERIFY_CERT_ERROR || e == ASN_PARSE_E || e == ASN_SELF_SIGNED_E ||
			 e == ASN_PATHLEN_INV_E || e == ASN_PATHLEN_SIZE_E)
			return -EKEYREJECTED;
		else if (e == SOCKET_ERROR_E || e == SOCKET_PEER_CLOSED_E)
			return -ECONNRESET;
		else {
			log_info("client", "tls_handshake_failed err=%d", e);
			return -EPROTO;
		}
		if (r < 0)
			return r;
	}
	return check_peer(ssl, tls);
}

int cl_conn_open(struct cl_conn *c, const char *host, uint16_t port,
		 const struct cl_tls_cfg *tls, uint64_t deadline_ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai;
	char ports[8];
	int r = -EHOSTUNREACH;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!host || !tls || (!tls->has_pin && !tls->cafile))
		return -EINVAL;
	snprintf(ports, sizeof(ports), "%u", port);
	if (getaddrinfo(host, ports, &hints, &res) != 0)
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		r = tcp_connect(ai, deadline_ms);
		if (r >= 0 || r == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (r < 0)
		return r;
	c->fd = r;
	if (pthread_once(&tls_once, tls_init) != 0 || !tls_ready) {
		r = -EIO;
		goto fail;
	}
	c->ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
	if (!c->ctx) {
		r = -ENOMEM;
		goto fail;
	}
	r = ctx_setup(c->ctx, tls);
	if (r < 0)
		goto fail;
	c->ssl = wolfSSL_new(c->ctx);
	if (!c->ssl) {
		r = -ENOMEM;
		goto fail;
	}
	r = handshake(c, host, tls, deadline_ms);
	if (r < 0)
		goto fail;
	return 0;
fail:
	if (c->ssl)
		wolfSSL_free(c->ssl);
	if (c->ctx)
		wolfSSL_CTX_free(c->ctx);
	close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	return r;
}

int cl_conn_write_all(struct cl_conn *c, const void *buf, size_t n, uint64_t deadline_ms)
{
	const char *p = buf;

	if (!c->ssl)
		return -ECONNRESET;
	while (n > 0) {
		int chunk = n > 16384 ? 16384 : (int)n;
		int w = wolfSSL_write(c->ssl, p, chunk), e, r;

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		e = wolfSSL_get_error(c->ssl, w);
		if (e == WOLFSSL_ERROR_WANT_WRITE)
			r = wait_fd(c->fd, POLLOUT, deadline_ms);
		else if (e == WOLFSSL_ERROR_WANT_READ)
			r = wait_fd(c->fd, POLLIN, deadline_ms);
		else
			return -ECONNRESET;
		if (r < 0)
			return r;
	}
	return 0;
}

ssize_t cl_conn_read(struct cl_conn *c, void *buf, size_t cap, uint64_t deadline_ms)
{
	if (!c->ssl)
		return -ECONNRESET;
	for (;;) {
		int n = wolfSSL_read(c->ssl, buf, cap > 65536 ? 65536 : (int)cap), e, r;

		if (n > 0)
			return n;
		e = wolfSSL_get_error(c->ssl, n);
		if (e == WOLFSSL_ERROR_WANT_READ)
			r = wait_fd(c->fd, POLLIN, deadline_ms);
		else if (e == WOLFSSL_ERROR_WANT_WRITE)
			r = wait_fd(c->fd, POLLOUT, deadline_ms);
		else
			return -ECONNRESET;
		if (r < 0)
			return r;
	}
}

bool cl_conn_pending(const struct cl_conn *c)
{
	return c->ssl && wolfSSL_pending((WOLFSSL *)c->ssl) > 0;
}

bool cl_conn_is_open(const struct cl_conn *c)
{
	return c->ssl != NULL;
}

void cl_conn_close(struct cl_conn *c)
{
	if (!c->ssl)
		return;
	wolfSSL_shutdown(c->ssl);
	wolfSSL_free(c->ssl);
	wolfSSL_CTX_free(c->ctx);
	close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

const char *cl_conn_strerror(int err)
{
	switch (err) {
	case -EHOSTUNREACH:
		return "server unreachable (connection refused, no route or unknown name)";
	case -ETIMEDOUT:
		return "server unreachable (timed out)";
	case -EKEYREJECTED:
		return "certificate mismatch: the server's certificate does not verify against the "
		       "configured CA file or pin";
	case -EPROTO:
		return "TLS handshake failed";
	case -ECONNRESET:
		return "the server closed the connection";
	case -EINVAL:
		return "invalid connection settings (server address, CA file or pin)";
	case -ENOMEM:
		return "out of memory";
	default:
		return "local error";
	}
}
