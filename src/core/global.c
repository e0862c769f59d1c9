/*
 * Process-wide set-up of libcurl. curl_global_init is not thread-safe, so every call into it
 * and curl_global_cleanup is serialized by one mutex. The state is a flag rather than a
 * pthread_once, so that after ct_global_cleanup a later ct_global_init (or the implicit set-up
 * of ct_fetcher_create) initialises libcurl again, as curl allows curl_global_init after
 * curl_global_cleanup.
 *
 * Only an explicit ct_global_init arms ct_global_cleanup: the implicit set-up belongs to the
 * library and lasts until the process exits, so a host that never called ct_global_init cannot
 * pull libcurl from under fetchers it did not know needed it.
 */
#include <curl/curl.h>
#include <pthread.h>

#include "internal/ct_internal.h"

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_curl_ok;   /* curl_global_init succeeded and no cleanup followed */
static int g_explicit;  /* ct_global_init was called since the last cleanup */

static ct_status init_locked(void)
{
    if (!g_curl_ok && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
        g_curl_ok = 1;
    return g_curl_ok ? CT_OK : CT_E_INTERNAL;
}

ct_status ct__global_init_once(void)
{
    pthread_mutex_lock(&g_mu);
    ct_status s = init_locked();
    pthread_mutex_unlock(&g_mu);
    if (s != CT_OK)
        return ct__fail(NULL, s, "curl_global_init failed");
    return CT_OK;
}

ct_status ct_global_init(void)
{
    pthread_mutex_lock(&g_mu);
    ct_status s = init_locked();
    if (s == CT_OK)
        g_explicit = 1;
    pthread_mutex_unlock(&g_mu);
    if (s != CT_OK)
        return ct__fail(NULL, s, "curl_global_init failed");
    return CT_OK;
}

void ct_global_cleanup(void)
{
    pthread_mutex_lock(&g_mu);
    if (g_explicit && g_curl_ok) {
        curl_global_cleanup();
        g_curl_ok = 0;
        g_explicit = 0;
    }
    pthread_mutex_unlock(&g_mu);
}
