/*
 * columbad: the gateway daemon and its admin subcommands.
 *
 *   columbad [options]                 run the gateway
 *   columbad keygen [options]          create the storage master key
 *   columbad --check-config [options]  check the configuration, exit 0 or 2
 *   columbad --version                 versions (wolfSSL, its assembly)
 *   columbad --help-config             every setting, with range and default
 *
 * Exit codes: 0 after a clean stop, 1 on a run-time failure, 2 for a bad
 * configuration or command line.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "columba_config.h"
#include "dataplane/tls/tls.h"
#include "dataplane/uring/uring.h"
#ifdef COLUMBA_DPDK
#include "dataplane/dpdk/backend.h"
#endif
#include "gateway/admin.h"
#include "gateway/gw.h"
#include "gateway/sipconn.h"

#define EXIT_CONFIG 2

static void usage(FILE *out)
{
	fprintf(out,
		"usage: columbad [-c FILE] [--set section.key=value]... [--state-dir DIR]\n"
		"                [--workers N] [--log-level LEVEL] [--check-config]\n"
		"       columbad keygen [options]   create the master key ([keys] master_key)\n"
		"       columbad user add|passwd|del NAME [options]   (password on stdin or a prompt)\n"
		"       columbad user list [options]\n"
		"       columbad token issue NAME [options]  print a new device token for NAME\n"
		"       columbad --version | --help | --help-config\n"
		"\n"
		"  -c, --config FILE      INI configuration file (default: none, built-in defaults)\n"
		"  -s, --set S.K=V        override one setting, e.g. --set http.listen=*:9443\n"
		"  -d, --state-dir DIR    same as --set server.state_dir=DIR\n"
		"  -w, --workers N        same as --set server.workers=N\n"
		"  -l, --log-level LEVEL  same as --set server.log_level=LEVEL\n"
		"      --check-config     check the configuration and the TLS files, then exit\n"
		"      --print-config     print the effective configuration, then exit\n"
		"      --help-config      list every setting with its range and default\n"
		"      --version          print versions and exit\n"
		"\n"
		"Signals: SIGTERM/SIGINT stop gracefully (exit 0); SIGHUP reloads the certificate.\n");
}

static void print_version(void)
{
	printf("columbad %s\n%s (assembly %s)\n", COLUMBA_VERSION, tls_library_version(),
	       tls_library_asm() ? "on: AES-NI, Intel and SP x86_64 paths" :
				   "off: stock build, see docs/build.md");
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Create the development certificate on first start; log its fingerprint. */
static int ensure_dev_cert(const struct gw_config *cfg)
{
	char dir[PATH_MAX + 8], fp[128], err[256];
	int r;

	snprintf(dir, sizeof(dir), "%s/tls", cfg->state_dir);
	r = mkdir_p(dir, 0700);
	if (r) {
		log_error("main", "state_dir_unusable path=%s err=\"%s\"", dir, strerror(-r));
		return r;
	}
	if (access(cfg->cert_file, F_OK) == 0 && access(cfg->key_file, F_OK) == 0) {
		if (tls_cert_fingerprint(cfg->cert_file, fp, sizeof(fp)) == 0)
			log_info("tls", "dev_certificate path=%s sha256=%s", cfg->cert_file, fp);
		return 0;
	}
	r = tls_make_dev_cert(cfg->cert_file, cfg->key_file, fp, sizeof(fp), err, sizeof(err));
	if (r) {
		log_error("tls", "dev_certificate_failed err=\"%s\"", err);
		return r;
	}
	log_warn("tls", "dev_certificate_created path=%s sha256=%s note=\"self-signed, for "
			"development only: set [tls] certificate and private_key in production\"",
		 cfg->cert_file, fp);
	return 0;
}

static struct tls_ctx *make_tls(const struct gw_config *cfg, char *err, size_t errlen)
{
	struct tls_config tc = {
		.cert_file = cfg->cert_file,
		.key_file = cfg->key_file,
		.alpn = "http/1.1",
		.session_tickets = cfg->session_tickets,
	};

	return tls_ctx_new(&tc, err, errlen);
}

/* SIGHUP: new contexts for every worker, handed over through tls_next. */
static void reload_certificates(struct gw_server *srv)
{
	struct tls_ctx *ctxs[256];
	char err[512];
	unsigned i;

	for (i = 0; i < srv->n_workers; i++) {
		ctxs[i] = make_tls(&srv->cfg, err, sizeof(err));
		if (!ctxs[i]) {
			log_error("tls", "reload_failed err=\"%s\" note=\"keeping the current certificate\"",
				  err);
			while (i-- > 0)
				tls_ctx_put(ctxs[i]);
			return;
		}
	}
	for (i = 0; i < srv->n_workers; i++) {
		struct tls_ctx *old = atomic_exchange(&srv->workers[i].tls_next, ctxs[i]);
		tls_ctx_put(old); /* a reload the worker had not picked up yet */
		uint64_t one = 1; /* wake it even if its bell is not armed */
		ssize_t wr = write(srv->workers[i].dw.bell.efd, &one, sizeof(one));
		(void)wr;
	}
	log_info("tls", "reload_requested workers=%u cert=%s", srv->n_workers, srv->cfg.cert_file);
}

static bool srv_backend_is_dpdk;

#ifdef COLUMBA_DPDK
/* backend = dpdk: the EAL and the port, before the workers (backend.h). */
static int start_dpdk(struct gw_server *srv)
{
	const struct gw_config *cfg = &srv->cfg;
	struct dpdk_be_cfg bc = {
		.port = {
			.eal_args = cfg->dpdk_eal_args,
			.port = cfg->dpdk_port,
			.workers = (uint16_t)srv->n_workers,
			.rx_ring = (uint16_t)cfg->dpdk_rx_ring,
			.tx_ring = (uint16_t)cfg->dpdk_tx_ring,
			.mbufs_per_worker = cfg->dpdk_mbufs_per_worker,
			.burst = (uint16_t)cfg->dpdk_burst,
			.tx_retries = (uint16_t)cfg->dpdk_tx_retries,
			.paired_queues = cfg->dpdk_paired_queues,
		},
		.ip = cfg->dpdk_ip,
		.netmask = cfg->dpdk_netmask,
		.gateway = cfg->dpdk_gateway,
		.link_wait_ms = cfg->dpdk_link_wait_ms,
		.max_conns = cfg->dpdk_max_connections,
		.rcvbuf_bytes = cfg->dpdk_rcvbuf_bytes,
		.idle_sleep_us = cfg->dpdk_idle_sleep_us,
	};
	int r;

	if (srv->n_workers > DPDK_QUEUES_MAX) {
		log_error("main", "dpdk_too_many_workers workers=%u max=%u", srv->n_workers,
			  DPDK_QUEUES_MAX);
		return -EINVAL;
	}
	r = dpdk_backend_start(&bc);
	if (r)
		return r;
	srv->backend = &dp_dpdk_ops;
	return 0;
}
#endif

/*
 * Is the address free for us? The listeners use SO_REUSEPORT (one socket
 * per worker), which would also let a second columbad bind the same port
 * and take part of its connections. A socket without it cannot bind a port
 * that a listening socket holds: probe with one. Returns 0 or -errno.
 */
static int probe_listen(const struct dp_addr *a)
{
	if (srv_backend_is_dpdk)
		return 0; /* the stack's ports are not the kernel's */
	struct sockaddr_storage ss;
	socklen_t slen;
	int one = 1, fd, r = 0;

	for (int pass = 0; pass < 2; pass++) {
		int family = pass == 0 ? AF_INET : AF_INET6;

		if (a->family != AF_UNSPEC && a->family != family)
			continue;
		slen = dp_addr_to_sockaddr(a, family, &ss);
		fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue; /* no IPv6 here: the listener will say so */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, slen) && errno == EADDRINUSE)
			r = -EADDRINUSE;
		close(fd);
	}
	return r;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "workers", required_argument, NULL, 'w' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "print-config", no_argument, NULL, 'P' },
		{ "help-config", no_argument, NULL, 'H' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct gw_server srv;
	struct gw_listener api_l, admin_l;
	struct gw_config *cfg = &srv.cfg;
	const char *config_file = NULL;
	char err[1024];
	bool check_only = false, print_only = false;
	int opt, r, status = 0;
	sigset_t sigs;
	/* Static: the overrides and the -d/-w/-l strings live as long as the
	 * process (every return path), reachable rather than leaked. */
	static char **overrides;
	int n_over = 0;

	overrides = calloc((size_t)argc + 1, sizeof(*overrides));
	if (!overrides)
		return 1;
	/* "columbad keygen [options] [args]": the subcommand comes first. */
	const char *subcmd = NULL;
	if (argc > 1 && argv[1][0] != '-') {
		subcmd = argv[1];
		argc--;
		argv++;
	}
	gw_config_defaults(cfg);
	while ((opt = getopt_long(argc, argv, "c:s:d:w:l:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_file = optarg; break;
		case 's': overrides[n_over++] = optarg; break;
		case 'd':
		case 'w':
		case 'l': {
			const char *key = opt == 'd' ? "server.state_dir" :
					  opt == 'w' ? "server.workers" : "server.log_level";
			size_t need = strlen(key) + strlen(optarg) + 2;
			char *a = malloc(need);
			if (!a)
				return 1;
			snprintf(a, need, "%s=%s", key, optarg);
			overrides[n_over++] = a;
			break;
		}
		case 'C': check_only = true; break;
		case 'P': print_only = true; break;
		case 'H': gw_config_describe(stdout); return 0;
		case 'V': print_version(); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_CONFIG;
		}
	}
	if (!subcmd && optind < argc) {
		fprintf(stderr, "columbad: unexpected argument \"%s\" (see --help)\n", argv[optind]);
		return EXIT_CONFIG;
	}
	/* The file first, then the command line over it. */
	if (config_file && gw_config_load(cfg, config_file, err, sizeof(err))) {
		fprintf(stderr, "columbad: config: %s\n", err);
		return EXIT_CONFIG;
	}
	for (int i = 0; i < n_over; i++) {
		if (gw_config_set(cfg, overrides[i], err, sizeof(err))) {
			fprintf(stderr, "columbad: config: %s\n", err);
			return EXIT_CONFIG;
		}
	}
	if (gw_config_finish(cfg, err, sizeof(err))) {
		fprintf(stderr, "columbad: config: %s\n", err);
		return EXIT_CONFIG;
	}
	log_set_level(cfg->log_level);
	if (subcmd) {
		if (tls_global_init()) {
			fprintf(stderr, "columbad: cannot initialise wolfSSL\n");
			return 1;
		}
		r = gw_admin_main(subcmd, argc - optind, argv + optind, cfg);
		tls_global_fini();
		return r;
	}
	if (print_only) {
		gw_config_dump(cfg, stdout);
		return 0;
	}
	if (tls_global_init()) {
		fprintf(stderr, "columbad: cannot initialise wolfSSL\n");
		return 1;
	}
	if (check_only) {
		struct tls_ctx *t;

		if (cfg->dev_cert) {
			printf("columbad: configuration OK (development certificate in %s/tls)\n",
			       cfg->state_dir);
			return 0;
		}
		t = make_tls(cfg, err, sizeof(err));
		if (!t) {
			fprintf(stderr, "columbad: config: [tls] %s\n", err);
			return EXIT_CONFIG;
		}
		tls_ctx_put(t);
		printf("columbad: configuration OK\n");
		return 0;
	}

	r = mkdir_p(cfg->state_dir, 0700);
	if (r) {
		fprintf(stderr, "columbad: config: [server] state_dir %s: %s\n", cfg->state_dir,
			strerror(-r));
		return EXIT_CONFIG;
	}

	/* Signals are taken synchronously by the main thread only. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
#ifdef COLUMBA_DPDK
	if (strcmp(cfg->backend, "dpdk") == 0) {
		/* Before any thread starts: only the dpdk workers take net_tap's
		 * receive signal (dataplane/dpdk/backend.h); elsewhere it would
		 * interrupt system calls. */
		sigset_t io;

		dpdk_be_signals(&io);
		pthread_sigmask(SIG_BLOCK, &io, NULL);
	}
#endif
	signal(SIGPIPE, SIG_IGN);

	if (gw_api_routes(&srv)) {
		log_error("main", "routes_failed");
		return 1;
	}
	srv.started_ms = clock_mono_ms();
	srv.n_workers = cfg->workers;
	r = gw_store_open(cfg, srv.n_workers, &srv.store, err, sizeof(err));
	if (r) {
		fprintf(stderr, "columbad: %s%s\n", r == -ENOENT || r == -EPERM || r == -EINVAL ?
			"config: " : "", err);
		return r == -ENOENT || r == -EPERM || r == -EINVAL ? EXIT_CONFIG : 1;
	}
	if (cfg->dev_cert && ensure_dev_cert(cfg))
		return 1;
	/* The certificate and key before the data plane: a broken pair is a
	 * configuration error (exit 2, one line on stderr), found before the
	 * dpdk backend brings up the EAL and its port for nothing. The context
	 * is worker 0's (static: like srv, still reachable on an early exit). */
	static struct tls_ctx *tls0;
	tls0 = make_tls(cfg, err, sizeof(err));
	if (!tls0) {
		fprintf(stderr, "columbad: config: [tls] %s\n", err);
		return EXIT_CONFIG;
	}
	srv.workers = calloc(srv.n_workers, sizeof(*srv.workers));
	if (!srv.workers)
		return 1;
#ifdef COLUMBA_DPDK
	if (strcmp(cfg->backend, "dpdk") == 0) {
		srv_backend_is_dpdk = true;
		r = start_dpdk(&srv);
		if (r) {
			log_error("main", "dpdk_start_failed err=%d (%s)", r, strerror(-r));
			return 1;
		}
	}
#endif
	/* The stack serves only its own address: a loopback admin listener
	 * has nowhere to be with backend = dpdk. */
	bool admin_on = cfg->admin_enabled;
	if (admin_on && srv_backend_is_dpdk && cfg->admin_listen.family == AF_INET &&
	    (ntohl(cfg->admin_listen.v4.s_addr) >> 24) == 127) {
		log_warn("main", "admin_off reason=\"backend dpdk has no loopback: set [http] "
				 "admin_listen to *:port (firewall it) to serve /metrics\"");
		admin_on = false;
	}
	/* A columbad killed a moment ago leaves its listening sockets to the
	 * kernel's io_uring teardown for a few tens of ms: give a supervisor's
	 * immediate restart up to 2 s before calling the port taken. */
	for (int tries = 0; (r = probe_listen(&cfg->http_listen)) == -EADDRINUSE && tries < 20;
	     tries++)
		usleep(100 * 1000);
	if (r) {
		char a[64];
		fprintf(stderr, "columbad: config: [http] listen %s: %s\n",
			dp_addr_format(&cfg->http_listen, a, sizeof(a)), strerror(-r));
		return EXIT_CONFIG;
	}
	for (int tries = 0; (r = probe_listen(&cfg->sip_listen)) == -EADDRINUSE && tries < 20;
	     tries++)
		usleep(100 * 1000);
	if (r) {
		char a[64];
		fprintf(stderr, "columbad: config: [sip] listen %s: %s\n",
			dp_addr_format(&cfg->sip_listen, a, sizeof(a)), strerror(-r));
		return EXIT_CONFIG;
	}
	api_l = (struct gw_listener){ &srv, &srv.api, true };
	admin_l = (struct gw_listener){ &srv, &srv.admin, false };
	for (unsigned i = 0; i < srv.n_workers; i++) {
		struct tls_ctx *t = i == 0 ? tls0 : make_tls(cfg, err, sizeof(err));

		if (!t) {
			fprintf(stderr, "columbad: config: [tls] %s\n", err);
			return EXIT_CONFIG;
		}
		if (gw_worker_init(&srv.workers[i], &srv, i, t, err, sizeof(err))) {
			log_error("main", "worker_init_failed worker=%u err=\"%s\"", i, err);
			return 1;
		}
		srv.workers[i].chan = st_store_chan(srv.store, i, &srv.workers[i].dw.bell);
		if (!srv.workers[i].chan) {
			log_error("main", "store_channel_failed worker=%u", i);
			return 1;
		}
		r = dp_worker_listen(&srv.workers[i].dw, &cfg->http_listen, &gw_conn_handler, &api_l);
		if (r) {
			char a[64];
			fprintf(stderr, "columbad: config: [http] listen %s: %s\n",
				dp_addr_format(&cfg->http_listen, a, sizeof(a)), strerror(-r));
			return EXIT_CONFIG;
		}
		/* SIP over TLS, one listener per worker like HTTPS (the TLS
		 * context's ALPN "http/1.1" is offered only to clients that ask
		 * for ALPN; SIP user agents do not, and a mismatch continues). */
		r = dp_worker_listen(&srv.workers[i].dw, &cfg->sip_listen, &gw_sip_handler, &srv);
		if (r) {
			char a[64];
			fprintf(stderr, "columbad: config: [sip] listen %s: %s\n",
				dp_addr_format(&cfg->sip_listen, a, sizeof(a)), strerror(-r));
			return EXIT_CONFIG;
		}
		/* The admin listener lives on worker 0 only: it is not a hot path. */
		if (i == 0 && admin_on) {
			r = dp_worker_listen(&srv.workers[i].dw, &cfg->admin_listen, &gw_conn_handler,
					     &admin_l);
			if (r) {
				char a[64];
				fprintf(stderr, "columbad: config: [http] admin_listen %s: %s\n",
					dp_addr_format(&cfg->admin_listen, a, sizeof(a)), strerror(-r));
				return EXIT_CONFIG;
			}
		}
	}
	{
		/* The password thread, and the hash that unknown users are
		 * checked against so a login costs the same either way. */
		struct ring_bell *bells[256];
		struct gw_authd_cfg acfg = { 0 };
		char rnd[GW_TOKEN_LEN + 1];

		if (gw_token_generate(rnd) ||
		    gw_auth_hash_password(NULL, rnd, strlen(rnd), srv.dummy_phc)) {
			log_error("main", "auth_init_failed");
			return 1;
		}
		explicit_bzero(rnd, sizeof(rnd));
		for (unsigned i = 0; i < srv.n_workers; i++)
			bells[i] = &srv.workers[i].dw.bell;
		r = gw_authd_start(&srv.authd, srv.n_workers, bells, &acfg);
		if (r) {
			log_error("main", "authd_start_failed err=%d", r);
			return 1;
		}
		for (unsigned i = 0; i < srv.n_workers; i++)
			srv.workers[i].authd = gw_authd_chan(srv.authd, i);
	}
	r = st_store_start(srv.store);
	if (r) {
		log_error("main", "store_start_failed err=%d", r);
		return 1;
	}
	for (unsigned i = 0; i < srv.n_workers; i++) {
		r = dp_worker_start(&srv.workers[i].dw);
		if (r) {
			log_error("main", "worker_start_failed worker=%u err=%d", i, r);
			return 1;
		}
	}
	{
		char a[64], b[64];
		char sa[64];
		log_info("main", "started version=%s backend=%s workers=%u https=%s sip=%s admin=%s "
				 "state_dir=%s tls=\"%s asm=%s\"",
			 COLUMBA_VERSION, cfg->backend, srv.n_workers,
			 cfg->http_listen.family == AF_UNSPEC ?
				 (snprintf(a, sizeof(a), "*:%u", cfg->http_listen.port), a) :
				 dp_addr_format(&cfg->http_listen, a, sizeof(a)),
			 cfg->sip_listen.family == AF_UNSPEC ?
				 (snprintf(sa, sizeof(sa), "*:%u", cfg->sip_listen.port), sa) :
				 dp_addr_format(&cfg->sip_listen, sa, sizeof(sa)),
			 admin_on ? dp_addr_format(&cfg->admin_listen, b, sizeof(b)) : "off",
			 cfg->state_dir, tls_library_version(), tls_library_asm() ? "on" : "off");
	}

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&sigs, &si);

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (sig == SIGHUP) {
			reload_certificates(&srv);
			continue;
		}
		log_info("main", "stopping signal=%s", sig == SIGTERM ? "TERM" : "INT");
		break;
	}
	for (unsigned i = 0; i < srv.n_workers; i++)
		dp_worker_request_stop(&srv.workers[i].dw);
	for (unsigned i = 0; i < srv.n_workers; i++)
		if (dp_worker_join(&srv.workers[i].dw))
			status = 1;
	/* Workers are gone, so nothing new reaches the store: let it answer
	 * what it holds, checkpoint and close. */
	gw_authd_free(srv.authd);
	st_store_close(srv.store);
	for (unsigned i = 0; i < srv.n_workers; i++)
		gw_worker_fini(&srv.workers[i]);
	free(srv.workers);
#ifdef COLUMBA_DPDK
	if (srv_backend_is_dpdk)
		dpdk_backend_stop();
#endif
	http_router_free(&srv.api);
	http_router_free(&srv.admin);
	tls_thread_fini();
	tls_global_fini();
	log_info("main", "stopped status=%d", status);
	return status;
}
