/* Process-wide set-up of libcurl, done once (curl_global_init is not thread-safe). */
#include <curl/curl.h>
#include <pthread.h>

#include "internal/ct_internal.h"

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_curl_ok;
static int g_explicit;

static void init_curl(void) { g_curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }

ct_status ct__global_init_once(void)
{
    pthread_once(&g_once, init_curl);
    if (!g_curl_ok)
        return ct__fail(NULL, CT_E_INTERNAL, "curl_global_init failed");
    return CT_OK;
}

ct_status ct_global_init(void)
{
    g_explicit = 1;
    return ct__global_init_once();
}

void ct_global_cleanup(void)
{
    if (g_explicit && g_curl_ok) {
        curl_global_cleanup();
        g_curl_ok = 0;
        g_explicit = 0;
    }
}
