/* The CSV time series; see eb_series.h. */
#include "bench/e2e/eb_series.h"

#include <errno.h>
#include <string.h>

#define NS_PER_S 1000000000LL

int eb_series_line(char *out, size_t cap, double t_s, double len_s, uint64_t subs, uint64_t rcvs,
		   uint64_t errors, const struct eb_hist *sub, const struct eb_hist *e2e)
{
	if (!(len_s > 0))
		len_s = 1;
	int n = snprintf(out, cap, "%.0f,%.1f,%.1f,%llu,%.3f,%.3f,%.3f,%.3f,%.3f", t_s,
			 (double)subs / len_s, (double)rcvs / len_s, (unsigned long long)errors,
			 eb_hist_quantile(sub, 0.5) / 1e6, eb_hist_quantile(sub, 0.99) / 1e6,
			 eb_hist_quantile(e2e, 0.5) / 1e6, eb_hist_quantile(e2e, 0.99) / 1e6, len_s);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

int eb_series_open(struct eb_series *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	eb_hist_init(&s->sub);
	eb_hist_init(&s->e2e);
	s->f = fopen(path, "w");
	if (s->f == NULL)
		return -errno;
	if (fprintf(s->f, "%s\n", EB_SERIES_HEADER) < 0)
		s->write_err = -EIO;
	return 0;
}

void eb_series_submit(struct eb_series *s, uint64_t lat_ns)
{
	if (s->f == NULL)
		return;
	s->subs++;
	eb_hist_record(&s->sub, lat_ns);
}

void eb_series_receipt(struct eb_series *s, uint64_t lat_ns)
{
	if (s->f == NULL)
		return;
	s->rcvs++;
	eb_hist_record(&s->e2e, lat_ns);
}

/* Writes the current second's line (@len_s long) and starts the next one. */
static void emit(struct eb_series *s, double len_s, uint64_t errors)
{
	char line[256];
	int n = eb_series_line(line, sizeof(line), (double)(s->sec_start / NS_PER_S), len_s, s->subs,
			       s->rcvs, errors - s->errors_before, &s->sub, &s->e2e);
	if (n < 0 || fprintf(s->f, "%s\n", line) < 0) {
		if (s->write_err == 0)
			s->write_err = n < 0 ? n : -EIO;
	}
	s->errors_before = errors;
	s->subs = s->rcvs = 0;
	eb_hist_init(&s->sub);
	eb_hist_init(&s->e2e);
	s->sec_start += NS_PER_S;
}

void eb_series_tick(struct eb_series *s, int64_t now_ns, uint64_t errors)
{
	if (s->f == NULL)
		return;
	while (now_ns >= s->sec_start + NS_PER_S)
		emit(s, 1.0, errors);
}

int eb_series_close(struct eb_series *s, int64_t now_ns, uint64_t errors)
{
	if (s->f == NULL)
		return 0;
	eb_series_tick(s, now_ns, errors);
	double len_s = (double)(now_ns - s->sec_start) / NS_PER_S;
	if (s->subs + s->rcvs > 0 || errors > s->errors_before)
		emit(s, len_s, errors);
	if (fclose(s->f) != 0 && s->write_err == 0)
		s->write_err = -errno;
	s->f = NULL;
	return s->write_err;
}
