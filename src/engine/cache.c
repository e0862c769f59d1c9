/*
 * ct_indicator_cache: indicators declared by strategies, computed once per (feed content hash,
 * length, indicator, options) and kept until the cache is destroyed. Entries are immutable
 * once published, so any number of engines on any threads read them; the mutex guards the
 * list (and the computation of a missing entry, so it happens once).
 */
#include <string.h>

#include "engine/engine_internal.h"

ct_status ct_indicator_cache_create(ct_indicator_cache **out)
{
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "out is NULL");
    *out = NULL;
    ct_indicator_cache *c = ct__calloc(1, sizeof(*c));
    if (!c)
        return ct__fail(NULL, CT_E_NOMEM, "out of memory creating an indicator cache");
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        ct__free(c);
        return ct__fail(NULL, CT_E_INTERNAL, "pthread_mutex_init failed");
    }
    *out = c;
    return CT_OK;
}

static void entry_free(ct__ind_entry *e)
{
    for (int32_t k = 0; k < 8; k++)
        ct__free(e->out[k]);
    ct__free(e);
}

void ct_indicator_cache_destroy(ct_indicator_cache *c)
{
    if (!c)
        return;
    ct__ind_entry *e = c->head;
    while (e) {
        ct__ind_entry *nx = e->next;
        entry_free(e);
        e = nx;
    }
    pthread_mutex_destroy(&c->mu);
    ct__free(c);
}

int64_t ct_indicator_cache_size(const ct_indicator_cache *c)
{
    if (!c)
        return 0;
    pthread_mutex_lock((pthread_mutex_t *)(uintptr_t)&c->mu);
    int64_t n = c->count;
    pthread_mutex_unlock((pthread_mutex_t *)(uintptr_t)&c->mu);
    return n;
}

ct_status ct__cache_get(ct_indicator_cache *c, ct__err *err, uint64_t feed_hash, int64_t n, const double *const *cols,
                        const ct_indicator_info *ind, const double *options, const ct__ind_entry **out)
{
    int32_t no = ct_indicator_n_options(ind);
    int32_t nout = ct_indicator_n_outputs(ind);
    *out = NULL;
    pthread_mutex_lock(&c->mu);
    for (ct__ind_entry *e = c->head; e; e = e->next)
        if (e->feed_hash == feed_hash && e->n == n && e->ind == ind &&
            memcmp(e->options, options, (size_t)no * sizeof(double)) == 0) {
            *out = e;
            pthread_mutex_unlock(&c->mu);
            return CT_OK;
        }
    ct__ind_entry *e = ct__calloc(1, sizeof(*e));
    ct_status st = e ? CT_OK : CT_E_NOMEM;
    for (int32_t k = 0; k < nout && st == CT_OK; k++)
        if (!(e->out[k] = ct__big_array(n, sizeof(double))))
            st = CT_E_NOMEM;
    if (st == CT_OK) {
        e->feed_hash = feed_hash;
        e->n = n;
        e->ind = ind;
        e->n_options = no;
        e->n_outputs = nout;
        memcpy(e->options, options, (size_t)no * sizeof(double));
        st = ct_indicator_run(ind, n, cols, options, e->out);
    }
    if (st != CT_OK) {
        if (e)
            entry_free(e);
        pthread_mutex_unlock(&c->mu);
        if (st == CT_E_NOMEM)
            return ct__fail(err, CT_E_NOMEM, "out of memory computing indicator '%s'", ct_indicator_name(ind));
        return ct__propagate(err, st);
    }
    e->next = c->head;
    c->head = e;
    c->count++;
    *out = e;
    pthread_mutex_unlock(&c->mu);
    return CT_OK;
}
