/* The messages API routes and their counters (gateway/msgapi.c). */
#ifndef COLUMBA_GATEWAY_MSGAPI_H
#define COLUMBA_GATEWAY_MSGAPI_H

#include "gateway/gw.h"

/* gw_msgapi_routes - add the /v1 routes to srv->api. Returns 0 or -errno. */
int gw_msgapi_routes(struct gw_server *srv);

#endif
