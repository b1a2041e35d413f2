#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/version.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "dataplane/tls/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/compiler.h"
#include "columba_config.h"

struct tls_ctx {
	WOLFSSL_CTX *ctx;
	char alpn[32];
};

int tls_global_init(void)
{
	return wolfSSL_Init() == WOLFSSL_SUCCESS ? 0 : -EIO;
}

void tls_global_fini(void)
{
	wolfSSL_Cleanup();
}

void tls_thread_fini(void)
{
#ifdef FP_ECC
	/* Builds with the fixed-point ECC cache (Debian's stock package) keep
	 * one per thread; it is freed only by the thread itself. */
	wc_ecc_fp_free();
#endif
}

const char *tls_library_version(void)
{
	return "wolfSSL " LIBWOLFSSL_VERSION_STRING;
}

bool tls_library_asm(void)
{
	return COLUMBA_WOLFSSL_ASM;
}

/* wolfSSL I/O callbacks: ciphertext from the chunk being fed, out via dp_send. */

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tls_conn *t = arg;
	size_t n;

	(void)ssl;
	if (t->in_len == 0)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	n = (size_t)sz < t->in_len ? (size_t)sz : t->in_len;
	memcpy(buf, t->in, n);
	t->in += n;
	t->in_len -= n;
	return (int)n;
}

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tls_conn *t = arg;
	int err;

	(void)ssl;
	err = dp_send(t->dc, buf, (size_t)sz);
	if (err == 0)
		return sz;
	if (err == -EAGAIN)
		return WOLFSSL_CBIO_ERR_WANT_WRITE;
	return WOLFSSL_CBIO_ERR_CONN_CLOSE;
}

/*
 * Self-test: one TLS 1.3 handshake in memory between this context and a
 * throw-away client. The client checks the server's CertificateVerify with
 * the certificate's public key, so a private key that does not belong to the
 * certificate fails here — which wolfSSL_CTX_check_private_key() does not
 * catch in every build (Debian's stock 5.5.4 accepts a mismatched ECDSA key).
 */
struct mem_pipe {
	uint8_t buf[32768];
	size_t len;
};

struct mem_end {
	struct mem_pipe *in, *out;
};

static int mem_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct mem_end *e = arg;
	size_t n = (size_t)sz < e->in->len ? (size_t)sz : e->in->len;

	(void)ssl;
	if (n == 0)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	memcpy(buf, e->in->buf, n);
	memmove(e->in->buf, e->in->buf + n, e->in->len - n);
	e->in->len -= n;
	return (int)n;
}

static int mem_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct mem_end *e = arg;

	(void)ssl;
	if ((size_t)sz > sizeof(e->out->buf) - e->out->len)
		return WOLFSSL_CBIO_ERR_WANT_WRITE;
	memcpy(e->out->buf + e->out->len, buf, (size_t)sz);
	e->out->len += (size_t)sz;
	return sz;
}

static bool handshake_selftest(WOLFSSL_CTX *sctx)
{
	struct mem_pipe *c2s = calloc(1, sizeof(*c2s)), *s2c = calloc(1, sizeof(*s2c));
	struct mem_end ce = { s2c, c2s }, se = { c2s, s2c };
	WOLFSSL_CTX *cctx = NULL;
	WOLFSSL *cli = NULL, *srv = NULL;
	bool ok = false;

	if (!c2s || !s2c)
		goto out;
	cctx = wolfSSL_CTX_new(wolfTLSv1_3_client_method());
	if (!cctx)
		goto out;
	wolfSSL_CTX_set_verify(cctx, WOLFSSL_VERIFY_NONE, NULL); /* chain: not our business here */
	wolfSSL_SetIORecv(cctx, mem_recv);
	wolfSSL_SetIOSend(cctx, mem_send);
	cli = wolfSSL_new(cctx);
	srv = wolfSSL_new(sctx);
	if (!cli || !srv)
		goto out;
	/* The server context's own callbacks are the connection ones: point
	 * this SSL at the memory pipe instead. */
	wolfSSL_SSLSetIORecv(srv, mem_recv);
	wolfSSL_SSLSetIOSend(srv, mem_send);
	wolfSSL_SetIOReadCtx(cli, &ce);
	wolfSSL_SetIOWriteCtx(cli, &ce);
	wolfSSL_SetIOReadCtx(srv, &se);
	wolfSSL_SetIOWriteCtx(srv, &se);
	for (int i = 0; i < 16 && !ok; i++) {
		int rc = wolfSSL_connect(cli), rs = wolfSSL_accept(srv);

		if (rc == WOLFSSL_SUCCESS && rs == WOLFSSL_SUCCESS)
			ok = true;
		else if ((rc != WOLFSSL_SUCCESS &&
			  wolfSSL_get_error(cli, rc) != WOLFSSL_ERROR_WANT_READ) ||
			 (rs != WOLFSSL_SUCCESS &&
			  wolfSSL_get_error(srv, rs) != WOLFSSL_ERROR_WANT_READ))
			break;
	}
out:
	if (cli)
		wolfSSL_free(cli);
	if (srv)
		wolfSSL_free(srv);
	if (cctx)
		wolfSSL_CTX_free(cctx);
	free(c2s);
	free(s2c);
	return ok;
}

struct tls_ctx *tls_ctx_new(const struct tls_config *cfg, char *err, size_t errlen)
{
	struct tls_ctx *t;
	int groups[] = { WOLFSSL_ECC_X25519, WOLFSSL_ECC_SECP256R1 };
	int r;

	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->ctx = wolfSSL_CTX_new(wolfSSLv23_server_method());
	if (!t->ctx) {
		snprintf(err, errlen, "wolfSSL_CTX_new failed");
		goto fail;
	}
	if (wolfSSL_CTX_SetMinVersion(t->ctx, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS) {
		snprintf(err, errlen, "cannot set the minimum TLS version to 1.2");
		goto fail;
	}
	r = wolfSSL_CTX_use_certificate_chain_file(t->ctx, cfg->cert_file);
	if (r != WOLFSSL_SUCCESS) {
		snprintf(err, errlen, "certificate %s: cannot load a PEM certificate chain (%s)",
			 cfg->cert_file, access(cfg->cert_file, R_OK) ? strerror(errno) :
			 wolfSSL_ERR_reason_error_string((unsigned long)r));
		goto fail;
	}
	r = wolfSSL_CTX_use_PrivateKey_file(t->ctx, cfg->key_file, WOLFSSL_FILETYPE_PEM);
	if (r != WOLFSSL_SUCCESS) {
		snprintf(err, errlen, "private key %s: cannot load a PEM private key (%s)",
			 cfg->key_file, access(cfg->key_file, R_OK) ? strerror(errno) :
			 wolfSSL_ERR_reason_error_string((unsigned long)r));
		goto fail;
	}
	if (wolfSSL_CTX_check_private_key(t->ctx) != WOLFSSL_SUCCESS) {
		snprintf(err, errlen, "private key %s does not match certificate %s",
			 cfg->key_file, cfg->cert_file);
		goto fail;
	}
	if (wolfSSL_CTX_set_groups(t->ctx, groups, (int)ARRAY_SIZE(groups)) != WOLFSSL_SUCCESS) {
		snprintf(err, errlen, "cannot enable the X25519 and P-256 groups");
		goto fail;
	}
	wolfSSL_SetIORecv(t->ctx, io_recv);
	wolfSSL_SetIOSend(t->ctx, io_send);
	if (!handshake_selftest(t->ctx)) {
		snprintf(err, errlen, "private key %s does not match certificate %s "
				      "(a test handshake failed)", cfg->key_file, cfg->cert_file);
		goto fail;
	}
	if (!cfg->session_tickets) {
		wolfSSL_CTX_NoTicketTLSv12(t->ctx);
		wolfSSL_CTX_no_ticket_TLSv13(t->ctx);
	}
	/* Resumption is by ticket only: no server-side session cache to
	 * grow with the number of clients. */
	wolfSSL_CTX_set_session_cache_mode(t->ctx, WOLFSSL_SESS_CACHE_OFF);
	if (cfg->alpn)
		snprintf(t->alpn, sizeof(t->alpn), "%s", cfg->alpn);
	return t;
fail:
	if (t->ctx)
		wolfSSL_CTX_free(t->ctx);
	free(t);
	return NULL;
}

void tls_ctx_put(struct tls_ctx *t)
{
	if (!t)
		return;
	wolfSSL_CTX_free(t->ctx); /* live WOLFSSL objects hold their own reference */
	free(t);
}

int tls_conn_init(struct tls_conn *t, struct tls_ctx *ctx, struct dp_conn *dc)
{
	memset(t, 0, sizeof(*t));
	t->dc = dc;
	t->ssl = wolfSSL_new(ctx->ctx);
	if (!t->ssl)
		return TLS_E_NOMEM;
	wolfSSL_SetIOReadCtx(t->ssl, t);
	wolfSSL_SetIOWriteCtx(t->ssl, t);
	if (ctx->alpn[0])
		wolfSSL_UseALPN(t->ssl, ctx->alpn, (unsigned)strlen(ctx->alpn),
				WOLFSSL_ALPN_CONTINUE_ON_MISMATCH);
	return 0;
}

int tls_conn_feed(struct tls_conn *t, const uint8_t *data, size_t len, uint8_t *scratch,
		  size_t scratch_len, tls_deliver_fn deliver, void *arg)
{
	int r, e;

	if (t->failed)
		return TLS_E_PROTOCOL;
	t->in = data;
	t->in_len = len;
	if (!t->handshake_done) {
		r = wolfSSL_accept(t->ssl);
		if (r != WOLFSSL_SUCCESS) {
			e = wolfSSL_get_error(t->ssl, r);
			if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE) {
				t->in_len = 0;
				return 0;
			}
			t->failed = true;
			log_debug("tls", "handshake_failed err=%d", e);
			return TLS_E_HANDSHAKE;
		}
		t->handshake_done = true;
	}
	for (;;) {
		r = wolfSSL_read(t->ssl, scratch, (int)scratch_len);
		if (r > 0) {
			deliver(arg, scratch, (size_t)r);
			if (t->failed || !t->ssl)
				return TLS_E_PROTOCOL;
			continue;
		}
		e = wolfSSL_get_error(t->ssl, r);
		if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE)
			break;
		if (e == WOLFSSL_ERROR_ZERO_RETURN)
			return TLS_E_CLOSED;
		t->failed = true;
		log_debug("tls", "read_failed err=%d", e);
		return TLS_E_PROTOCOL;
	}
	t->in_len = 0;
	return 0;
}

int tls_conn_write(struct tls_conn *t, const void *data, size_t len)
{
	int r, e;

	if (t->failed || !t->handshake_done)
		return -EPIPE;
	if (len == 0)
		return 0;
	r = wolfSSL_write(t->ssl, data, (int)len);
	if (r == (int)len)
		return 0;
	e = wolfSSL_get_error(t->ssl, r);
	t->failed = true; /* a partial record cannot be resumed with other bytes */
	if (e == WOLFSSL_ERROR_WANT_WRITE)
		return -EAGAIN;
	return TLS_E_PROTOCOL;
}

void tls_conn_close_notify(struct tls_conn *t)
{
	if (t->ssl && t->handshake_done && !t->failed)
		wolfSSL_shutdown(t->ssl);
}

void tls_conn_free(struct tls_conn *t)
{
	if (t->ssl)
		wolfSSL_free(t->ssl);
	t->ssl = NULL;
}

const char *tls_conn_version(const struct tls_conn *t)
{
	return t->ssl ? wolfSSL_get_version(t->ssl) : "none";
}

const char *tls_conn_group(const struct tls_conn *t)
{
	const char *g = t->ssl ? wolfSSL_get_curve_name(t->ssl) : NULL;

	return g ? g : "none";
}

/* ---- development certificate ---- */

static void hex_fingerprint(const uint8_t *der, int der_len, char *out, size_t out_len)
{
	uint8_t h[WC_SHA256_DIGEST_SIZE];
	size_t o = 0;

	wc_Sha256Hash(der, (word32)der_len, h);
	for (int i = 0; i < WC_SHA256_DIGEST_SIZE && o + 3 < out_len; i++)
		o += (size_t)snprintf(out + o, out_len - o, i ? ":%02X" : "%02X", h[i]);
}

static int write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	int fd, err = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	/* A leftover .tmp from a crash could have a wider mode: start afresh. */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd))
		err = errno ? -errno : -EIO;
	close(fd);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int tls_make_dev_cert(const char *cert_path, const char *key_path, char *fingerprint,
		      size_t fp_len, char *err, size_t errlen)
{
	/* GeneralNames: dNSName "localhost", iPAddress 127.0.0.1 and ::1. */
	static const uint8_t san[] = {
		0x30, 0x23,
		0x82, 0x09, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't',
		0x87, 0x04, 127, 0, 0, 1,
		0x87, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	};
	enum { DER_MAX = 4096, PEM_MAX = 8192 };
	uint8_t *der = NULL, *pem = NULL, *kder = NULL, *kpem = NULL;
	int der_len, pem_len, kder_len, kpem_len, r = -EIO;
	ecc_key key;
	WC_RNG rng;
	Cert *cert = NULL;
	bool have_rng = false, have_key = false;

	der = malloc(DER_MAX);
	pem = malloc(PEM_MAX);
	kder = malloc(DER_MAX);
	kpem = malloc(PEM_MAX);
	cert = malloc(sizeof(*cert));
	if (!der || !pem || !kder || !kpem || !cert) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	if (wc_InitRng(&rng)) {
		snprintf(err, errlen, "cannot initialise the random generator");
		goto out;
	}
	have_rng = true;
	if (wc_ecc_init(&key) || wc_ecc_make_key_ex(&rng, 32, &key, ECC_SECP256R1)) {
		snprintf(err, errlen, "cannot generate an ECDSA P-256 key");
		goto out;
	}
	have_key = true;
	wc_InitCert(cert);
	snprintf(cert->subject.commonName, sizeof(cert->subject.commonName), "localhost");
	snprintf(cert->subject.org, sizeof(cert->subject.org), "Columba development");
	cert->daysValid = 825;
	cert->sigType = CTC_SHA256wECDSA;
	cert->isCA = 0;
	memcpy(cert->altNames, san, sizeof(san));
	cert->altNamesSz = (int)sizeof(san);
	der_len = wc_MakeCert(cert, der, DER_MAX, NULL, &key, &rng);
	if (der_len > 0)
		der_len = wc_SignCert(cert->bodySz, cert->sigType, der, DER_MAX, NULL, &key, &rng);
	if (der_len <= 0) {
		snprintf(err, errlen, "cannot build the certificate (wolfCrypt error %d)", der_len);
		goto out;
	}
	pem_len = wc_DerToPem(der, (word32)der_len, pem, PEM_MAX, CERT_TYPE);
	kder_len = wc_EccKeyToDer(&key, kder, DER_MAX);
	kpem_len = kder_len > 0 ? wc_DerToPem(kder, (word32)kder_len, kpem, PEM_MAX,
					      ECC_PRIVATEKEY_TYPE) : -1;
	if (pem_len <= 0 || kpem_len <= 0) {
		snprintf(err, errlen, "cannot encode the certificate or key as PEM");
		goto out;
	}
	r = write_file(key_path, kpem, (size_t)kpem_len, 0600);
	if (r) {
		snprintf(err, errlen, "cannot write %s: %s", key_path, strerror(-r));
		goto out;
	}
	r = write_file(cert_path, pem, (size_t)pem_len, 0644);
	if (r) {
		snprintf(err, errlen, "cannot write %s: %s", cert_path, strerror(-r));
		goto out;
	}
	hex_fingerprint(der, der_len, fingerprint, fp_len);
	r = 0;
out:
	if (have_key)
		wc_ecc_free(&key);
	if (have_rng)
		wc_FreeRng(&rng);
	if (kder) {
		explicit_bzero(kder, DER_MAX);
		free(kder);
	}
	if (kpem) {
		explicit_bzero(kpem, PEM_MAX);
		free(kpem);
	}
	free(der);
	free(pem);
	free(cert);
	return r;
}

int tls_cert_fingerprint(const char *cert_path, char *fingerprint, size_t fp_len)
{
	enum { PEM_MAX = 65536 };
	uint8_t *pem = malloc(PEM_MAX), *der = malloc(PEM_MAX);
	int fd, der_len, r = -EIO;
	ssize_t n;

	if (!pem || !der) {
		r = -ENOMEM;
		goto out;
	}
	fd = open(cert_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	n = read(fd, pem, PEM_MAX);
	close(fd);
	if (n <= 0)
		goto out;
	der_len = wc_CertPemToDer(pem, (int)n, der, PEM_MAX, CERT_TYPE);
	if (der_len <= 0)
		goto out;
	hex_fingerprint(der, der_len, fingerprint, fp_len);
	r = 0;
out:
	free(pem);
	free(der);
	return r;
}
