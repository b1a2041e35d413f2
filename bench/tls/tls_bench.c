/*
 * tls_bench — server-side cost of a full TLS 1.3 handshake, and AES-128-GCM throughput,
 * for whichever wolfSSL this file is compiled against (bench/tls/run builds it twice:
 * the optimized .deps/wolfssl and the stock libwolfssl-dev).
 *
 * A wolfSSL client and a wolfSSL server run in this one thread, connected by two in-memory
 * byte queues through custom I/O callbacks (as Columba's dataplane/tls drives wolfSSL over
 * its connection buffers). Every handshake is a full one (no resumption): new WOLFSSL
 * objects on both sides, ECDSA P-256 server certificate, the key exchange group forced on
 * the client (P-256, then X25519). Only the server's work is timed, with the thread CPU
 * clock around each server call (wolfSSL_new, wolfSSL_accept, wolfSSL_free), so the figure
 * is server handshakes per second per core. The server sends its session ticket, as
 * Columba's does; the client never uses it.
 *
 * Output: one line per figure, "<name> <value> <unit> <details>".
 *
 * Usage: tls_bench -c cert.pem -k key.pem [-t seconds-per-figure]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* clock_gettime, getopt, aligned_alloc under -std=c17 */
#endif

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TB_QUEUE_BYTES (64 * 1024)
#define TB_AES_BUF_BYTES (16 * 1024)
#define TB_MAX_STEPS 64 /* handshake rounds before we call it stuck */

/* One direction of the in-memory connection: bytes written by one side, read by the other. */
struct tb_queue {
	unsigned char data[TB_QUEUE_BYTES];
	size_t head; /* next byte to read */
	size_t tail; /* next free byte */
};

/* The two directions, and which one each side reads and writes. */
struct tb_pipe {
	struct tb_queue c2s;
	struct tb_queue s2c;
};

static double tb_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int tb_queue_read(struct tb_queue *q, char *buf, int sz)
{
	size_t avail = q->tail - q->head;
	size_t n = (size_t)sz < avail ? (size_t)sz : avail;

	if (n == 0)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	memcpy(buf, q->data + q->head, n);
	q->head += n;
	if (q->head == q->tail)
		q->head = q->tail = 0;
	return (int)n;
}

static int tb_queue_write(struct tb_queue *q, const char *buf, int sz)
{
	size_t room = sizeof(q->data) - q->tail;
	size_t n = (size_t)sz < room ? (size_t)sz : room;

	if (n == 0)
		return WOLFSSL_CBIO_ERR_WANT_WRITE;
	memcpy(q->data + q->tail, buf, n);
	q->tail += n;
	return (int)n;
}

static int tb_server_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	(void)ssl;
	return tb_queue_read(&((struct tb_pipe *)ctx)->c2s, buf, sz);
}

static int tb_server_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	(void)ssl;
	return tb_queue_write(&((struct tb_pipe *)ctx)->s2c, buf, sz);
}

static int tb_client_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	(void)ssl;
	return tb_queue_read(&((struct tb_pipe *)ctx)->s2c, buf, sz);
}

static int tb_client_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	(void)ssl;
	return tb_queue_write(&((struct tb_pipe *)ctx)->c2s, buf, sz);
}

/* 1: done, 0: wants more I/O, -1: failed (printed). */
static int tb_step(WOLFSSL *ssl, int ret, const char *who)
{
	char msg[WOLFSSL_MAX_ERROR_SZ];
	int err;

	if (ret == WOLFSSL_SUCCESS)
		return 1;
	err = wolfSSL_get_error(ssl, ret);
	if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE)
		return 0;
	wolfSSL_ERR_error_string_n((unsigned long)err, msg, sizeof(msg));
	fprintf(stderr, "tls_bench: %s handshake failed: %d %s\n", who, err, msg);
	return -1;
}

struct tb_ctx {
	WOLFSSL_CTX *server;
	WOLFSSL_CTX *client;
	struct tb_pipe *pipe;
};

/*
 * One full handshake. Adds the server's thread CPU seconds to *server_cpu.
 * On the first call (group_name != NULL) reports the negotiated group and suite.
 * Returns 0, or -1 on failure (printed).
 */
static int tb_handshake(struct tb_ctx *t, int group, double *server_cpu, char *group_name,
			size_t group_name_len, char *suite, size_t suite_len)
{
	const clockid_t cpu = CLOCK_THREAD_CPUTIME_ID;
	WOLFSSL *c = NULL, *s = NULL;
	int c_done = 0, s_done = 0, steps, r;
	double t0;
	int rc = -1;

	t->pipe->c2s.head = t->pipe->c2s.tail = 0;
	t->pipe->s2c.head = t->pipe->s2c.tail = 0;

	c = wolfSSL_new(t->client);
	if (c == NULL)
		goto fail;
	wolfSSL_SetIOReadCtx(c, t->pipe);
	wolfSSL_SetIOWriteCtx(c, t->pipe);
	if (wolfSSL_set_groups(c, &group, 1) != WOLFSSL_SUCCESS ||
	    wolfSSL_UseKeyShare(c, (word16)group) != WOLFSSL_SUCCESS) {
		fprintf(stderr, "tls_bench: cannot offer group %d\n", group);
		goto fail;
	}

	t0 = tb_now(cpu);
	s = wolfSSL_new(t->server);
	*server_cpu += tb_now(cpu) - t0;
	if (s == NULL)
		goto fail;
	wolfSSL_SetIOReadCtx(s, t->pipe);
	wolfSSL_SetIOWriteCtx(s, t->pipe);

	for (steps = 0; !(c_done && s_done); steps++) {
		if (steps == TB_MAX_STEPS) {
			fprintf(stderr, "tls_bench: handshake stuck\n");
			goto fail;
		}
		if (!c_done) {
			c_done = tb_step(c, wolfSSL_connect(c), "client");
			if (c_done < 0)
				goto fail;
		}
		if (!s_done) {
			t0 = tb_now(cpu);
			r = wolfSSL_accept(s);
			*server_cpu += tb_now(cpu) - t0;
			s_done = tb_step(s, r, "server");
			if (s_done < 0)
				goto fail;
		}
	}
	if (group_name != NULL) {
		const char *g = wolfSSL_get_curve_name(s);
		const char *cs = wolfSSL_get_cipher_name(s);

		snprintf(group_name, group_name_len, "%s", g != NULL ? g : "?");
		snprintf(suite, suite_len, "%s %s", wolfSSL_get_version(s), cs != NULL ? cs : "?");
	}
	rc = 0;
fail:
	wolfSSL_free(c);
	if (s != NULL) {
		t0 = tb_now(cpu);
		wolfSSL_free(s);
		*server_cpu += tb_now(cpu) - t0;
	}
	return rc;
}

/* Runs handshakes with one group for about `seconds` of wall time; prints one line. */
static int tb_bench_handshakes(struct tb_ctx *t, const char *name, int group, double seconds)
{
	const clockid_t wall = CLOCK_MONOTONIC;
	char group_name[64] = "", suite[96] = "";
	double server_cpu = 0.0, warm = 0.0, end;
	long n = 0;

	/* one untimed handshake: checks the set-up, warms caches, names the group */
	if (tb_handshake(t, group, &warm, group_name, sizeof(group_name), suite, sizeof(suite)) != 0)
		return -1;
	end = tb_now(wall) + seconds;
	while (tb_now(wall) < end) {
		if (tb_handshake(t, group, &server_cpu, NULL, 0, NULL, 0) != 0)
			return -1;
		n++;
	}
	printf("%s %.0f handshakes/s/core (server CPU only; %ld full handshakes in %.3f s CPU; %s, group %s, ECDSA P-256 cert)\n",
	       name, (double)n / server_cpu, n, server_cpu, suite, group_name);
	return 0;
}

/* AES-128-GCM encryption of 16 KiB buffers (a full TLS record) for about `seconds`. */
static int tb_bench_aes_gcm(double seconds)
{
	const clockid_t cpu = CLOCK_THREAD_CPUTIME_ID;
	static const unsigned char key[16] = "columba-bench-k";
	unsigned char iv[12] = {0}, tag[16];
	unsigned char *in = NULL, *out = NULL;
	double t0, used;
	long n = 0;
	Aes aes;
	int rc = -1;

	in = aligned_alloc(64, TB_AES_BUF_BYTES);
	out = aligned_alloc(64, TB_AES_BUF_BYTES);
	if (in == NULL || out == NULL)
		goto fail_alloc;
	memset(in, 0xa5, TB_AES_BUF_BYTES);
	if (wc_AesInit(&aes, NULL, INVALID_DEVID) != 0)
		goto fail_alloc;
	if (wc_AesGcmSetKey(&aes, key, sizeof(key)) != 0)
		goto fail;

	t0 = tb_now(cpu);
	do {
		for (int i = 0; i < 64; i++, n++) {
			memcpy(iv, &n, sizeof(n)); /* a fresh nonce per record, as TLS does */
			if (wc_AesGcmEncrypt(&aes, out, in, TB_AES_BUF_BYTES, iv, sizeof(iv), tag,
					     sizeof(tag), NULL, 0) != 0)
				goto fail;
		}
		used = tb_now(cpu) - t0;
	} while (used < seconds);
	printf("aes128gcm_16k %.2f GB/s (%ld x 16 KiB encrypted in %.3f s CPU)\n",
	       (double)n * TB_AES_BUF_BYTES / used / 1e9, n, used);
	rc = 0;
fail:
	wc_AesFree(&aes);
fail_alloc:
	if (rc != 0)
		fprintf(stderr, "tls_bench: AES-GCM failed\n");
	free(in);
	free(out);
	return rc;
}

static WOLFSSL_CTX *tb_server_ctx(const char *cert, const char *key)
{
	WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfTLSv1_3_server_method());

	if (ctx == NULL)
		return NULL;
	wolfSSL_CTX_SetIORecv(ctx, tb_server_recv);
	wolfSSL_CTX_SetIOSend(ctx, tb_server_send);
	if (wolfSSL_CTX_use_certificate_file(ctx, cert, WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_use_PrivateKey_file(ctx, key, WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS) {
		fprintf(stderr, "tls_bench: cannot load %s / %s\n", cert, key);
		wolfSSL_CTX_free(ctx);
		return NULL;
	}
	/* no resumption: every handshake is a full one */
	wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
	return ctx;
}

static WOLFSSL_CTX *tb_client_ctx(const char *cert)
{
	WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfTLSv1_3_client_method());

	if (ctx == NULL)
		return NULL;
	wolfSSL_CTX_SetIORecv(ctx, tb_client_recv);
	wolfSSL_CTX_SetIOSend(ctx, tb_client_send);
	/* the client really verifies the self-signed server certificate */
	if (wolfSSL_CTX_load_verify_locations(ctx, cert, NULL) != WOLFSSL_SUCCESS) {
		fprintf(stderr, "tls_bench: cannot load %s as trust anchor\n", cert);
		wolfSSL_CTX_free(ctx);
		return NULL;
	}
	wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
	wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
	return ctx;
}

static void tb_usage(void)
{
	fprintf(stderr, "usage: tls_bench -c cert.pem -k key.pem [-t seconds-per-figure]\n");
}

int main(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL;
	struct tb_ctx t = {0};
	double seconds = 3.0;
	int opt, rc = 1;

	while ((opt = getopt(argc, argv, "c:k:t:")) != -1) {
		switch (opt) {
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		default:
			tb_usage();
			return 2;
		}
	}
	if (cert == NULL || key == NULL || !(seconds > 0.0 && seconds <= 60.0)) {
		tb_usage();
		return 2;
	}

	printf("wolfssl %s aesni=%s intel_asm=%s sp_x86_64_asm=%s\n", LIBWOLFSSL_VERSION_STRING,
#ifdef WOLFSSL_AESNI
	       "yes",
#else
	       "no",
#endif
#ifdef USE_INTEL_SPEEDUP
	       "yes",
#else
	       "no",
#endif
#ifdef WOLFSSL_SP_X86_64_ASM
	       "yes"
#else
	       "no"
#endif
	);
	fflush(stdout);

	if (wolfSSL_Init() != WOLFSSL_SUCCESS)
		return 1;
	t.pipe = calloc(1, sizeof(*t.pipe));
	if (t.pipe == NULL)
		goto fail;
	t.server = tb_server_ctx(cert, key);
	t.client = tb_client_ctx(cert);
	if (t.server == NULL || t.client == NULL)
		goto fail;

	if (tb_bench_handshakes(&t, "handshake_p256", WOLFSSL_ECC_SECP256R1, seconds) != 0)
		goto fail;
	fflush(stdout);
	if (tb_bench_handshakes(&t, "handshake_x25519", WOLFSSL_ECC_X25519, seconds) != 0)
		goto fail;
	fflush(stdout);
	if (tb_bench_aes_gcm(seconds) != 0)
		goto fail;
	rc = 0;
fail:
	wolfSSL_CTX_free(t.server);
	wolfSSL_CTX_free(t.client);
	free(t.pipe);
	wolfSSL_Cleanup();
	return rc;
}
