#include "dpdk_test.h"

#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>

#include "dataplane/dpdk/eal.h"

#include <rte_eal.h>

#define HUGE_NR "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
#define HUGE_SURPLUS "/sys/kernel/mm/hugepages/hugepages-2048kB/surplus_hugepages"
#define HUGE_PAGES 256L /* 512 MB: EAL -m 256 plus what the drivers take */

static bool huge;
static long huge_orig = -1;

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -errno;
	rc = fprintf(f, "%ld\n", v) < 0 ? -EIO : 0;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

static void give_back(void)
{
	if (huge_orig < 0)
		return;
	/* Pages the EAL still maps become surplus pages and go back to the
	 * kernel when the process exits, so only the write is checked. */
	int rc = write_long(HUGE_NR, huge_orig);

	if (rc < 0)
		fprintf(stderr, "dpdk-test: could not restore %s to %ld: %s\n", HUGE_NR,
			huge_orig, strerror(-rc));
	huge_orig = -1;
}

const char *dt_mode(void)
{
	return huge ? "hugepages" : "no-huge";
}

int dt_start(int argc, char **argv, const char *vdevs)
{
	char args[1024];
	/* --no-huge implies --legacy-mem and no shared config; 22.11 refuses
	 * it together with --in-memory. */
	const char *mem = "--no-huge --no-shconf -m 512";

	if (argc != 2 || (strcmp(argv[1], "huge") && strcmp(argv[1], "nohuge"))) {
		fprintf(stderr, "usage: %s huge|nohuge\n", argv[0]);
		exit(2);
	}
	huge = !strcmp(argv[1], "huge");
	if (geteuid() != 0) {
		printf("SKIP: DPDK port tests need root (tap devices, AF_PACKET, hugepages)\n");
		return DT_SKIP;
	}
	if (huge) {
		long have;

		/* nr_hugepages counts surplus pages too: pages a process that
		 * just exited still held. The reservation to restore is the
		 * persistent part. */
		huge_orig = read_long(HUGE_NR);
		if (huge_orig >= 0 && read_long(HUGE_SURPLUS) > 0)
			huge_orig -= read_long(HUGE_SURPLUS);
		if (huge_orig < 0) {
			printf("SKIP: no 2 MB hugepage support (%s unreadable)\n", HUGE_NR);
			return DT_SKIP;
		}
		if (write_long(HUGE_NR, huge_orig + HUGE_PAGES) < 0 ||
		    (have = read_long(HUGE_NR)) < huge_orig + HUGE_PAGES) {
			have = read_long(HUGE_NR);
			give_back();
			printf("SKIP: could not reserve %ld 2 MB hugepages (have %ld); the no-huge run covers the port\n",
			       HUGE_PAGES, have);
			return DT_SKIP;
		}
		atexit(give_back);
		/* --in-memory: hugepage files are never created, nothing to clean. */
		mem = "--in-memory -m 256";
	}
	snprintf(args, sizeof(args), "-l 0 --no-pci --no-telemetry %s %s", mem, vdevs);
	int rc = dpdk_eal_init(args);

	if (rc < 0) {
		fprintf(stderr, "dpdk-test: dpdk_eal_init(\"%s\") = %d\n", args, rc);
		exit(1);
	}
	if (huge != (rte_eal_has_hugepages() != 0)) {
		fprintf(stderr, "dpdk-test: EAL hugepages=%d in %s mode\n", rte_eal_has_hugepages(),
			dt_mode());
		exit(1);
	}
	printf("dpdk-test: running with %s (EAL \"%s\")\n", dt_mode(), args);
	return 0;
}

void dt_stop(void)
{
	dpdk_eal_fini();
	give_back();
}

void dt_frame(uint8_t *buf, size_t len, const uint8_t dst[6], const uint8_t src[6], uint32_t seq)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = DT_ETHERTYPE >> 8;
	buf[13] = DT_ETHERTYPE & 0xff;
	buf[14] = (uint8_t)(seq >> 24);
	buf[15] = (uint8_t)(seq >> 16);
	buf[16] = (uint8_t)(seq >> 8);
	buf[17] = (uint8_t)seq;
	for (size_t i = 18; i < len; i++)
		buf[i] = (uint8_t)(seq * 31u + i * 7u);
}

void dt_sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0) {
		fprintf(stderr, "dpdk-test: \"%s\" failed (%d)\n", cmd, rc);
		exit(1);
	}
}

int dt_ifindex(const char *ifname)
{
	unsigned idx = if_nametoindex(ifname);

	if (!idx) {
		fprintf(stderr, "dpdk-test: no interface %s\n", ifname);
		exit(1);
	}
	return (int)idx;
}

int dt_packet_socket(const char *ifname, uint16_t proto, int rcvbuf)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(proto),
				   .sll_ifindex = dt_ifindex(ifname) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(proto));

	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0) {
		perror("dpdk-test: AF_PACKET socket");
		exit(1);
	}
	return fd;
}

void dt_ifmac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("dpdk-test: SIOCGIFHWADDR");
		exit(1);
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
}

unsigned dt_kernel_drops(int fd)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0) {
		perror("dpdk-test: PACKET_STATISTICS");
		exit(1);
	}
	return st.tp_drops;
}
