/*
 * svc_http.c - /metrics (Prometheus text), /healthz (alive) and /readyz
 * (partitions assigned, producer working) over libmicrohttpd, on its own
 * internal polling thread. The handlers read only atomics and the metrics
 * registry, never the service's processing state.
 */
#include "svc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef NR_HAVE_MHD
#include <microhttpd.h>

#if MHD_VERSION < 0x00097002
typedef int nr_mhd_result;
#else
typedef enum MHD_Result nr_mhd_result;
#endif

struct nr_http {
    struct MHD_Daemon *d;
    struct nr_metrics *m;
    nr_ready_fn ready;
    void *ud;
};

static nr_mhd_result reply(struct MHD_Connection *c, unsigned status, const char *type, char *body,
                           size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    nr_mhd_result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static nr_mhd_result handle(void *cls, struct MHD_Connection *c, const char *url,
                            const char *method, const char *version, const char *upload,
                            size_t *upload_size, void **con_cls)
{
    (void)version, (void)upload, (void)upload_size, (void)con_cls;
    struct nr_http *h = cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(c, 405, "text/plain", "method not allowed\n", 19, MHD_RESPMEM_PERSISTENT);
    if (strcmp(url, "/metrics") == 0) {
        size_t len = 0;
        char *text = nr_metrics_render(h->m, &len);
        if (!text)
            return reply(c, 500, "text/plain", "render failed\n", 14, MHD_RESPMEM_PERSISTENT);
        return reply(c, 200, "text/plain; version=0.0.4", text, len, MHD_RESPMEM_MUST_FREE);
    }
    if (strcmp(url, "/healthz") == 0)
        return reply(c, 200, "text/plain", "ok\n", 3, MHD_RESPMEM_PERSISTENT);
    if (strcmp(url, "/readyz") == 0) {
        char why[256] = "";
        bool ok = h->ready(h->ud, why, sizeof(why));
        char *body = nr_xmalloc(300);
        int n =
            snprintf(body, 300, "%s%s%s\n", ok ? "ready" : "not ready", why[0] ? ": " : "", why);
        return reply(c, ok ? 200 : 503, "text/plain", body, (size_t)n, MHD_RESPMEM_MUST_FREE);
    }
    return reply(c, 404, "text/plain", "not found\n", 10, MHD_RESPMEM_PERSISTENT);
}

struct nr_http *nr_http_start(const char *listen, unsigned port, struct nr_metrics *m,
                              nr_ready_fn ready, void *ud, struct nr_error *err)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, listen, &sa.sin_addr) != 1) {
        nr_error_set(err, "http.listen: '%s' is not an IPv4 address", listen);
        return NULL;
    }
    struct nr_http *h = nr_xcalloc(1, sizeof(*h));
    h->m = m;
    h->ready = ready;
    h->ud = ud;
    h->d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port, NULL,
                         NULL, handle, h, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_LIMIT,
                         64u, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!h->d) {
        nr_error_set(err, "http: cannot listen on %s:%u", listen, port);
        free(h);
        return NULL;
    }
    return h;
}

void nr_http_stop(struct nr_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    free(h);
}

#else /* !NR_HAVE_MHD */

struct nr_http *nr_http_start(const char *listen, unsigned port, struct nr_metrics *m,
                              nr_ready_fn ready, void *ud, struct nr_error *err)
{
    (void)listen, (void)port, (void)m, (void)ready, (void)ud;
    nr_error_set(err, "http: built without libmicrohttpd; set http.port: 0");
    return NULL;
}

void nr_http_stop(struct nr_http *h)
{
    (void)h;
}

#endif
