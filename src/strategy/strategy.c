/*
 * Strategy classes and strategies: the registry (built-ins plus registered classes, guarded by
 * a mutex), the R6 vtable size rule, plugins (dlopen + ct_plugin_init), parameter values
 * checked against the schema (typed setters and JSON) and their canonical JSON.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "cryptota/version.h"
#include "engine/engine_internal.h"

static pthread_mutex_t g_reg_mu = PTHREAD_MUTEX_INITIALIZER;
static ct_strategy_class **g_reg;
static int32_t g_reg_n;
static int32_t g_reg_cap;

static int valid_name(const char *s)
{
    size_t n = 0;
    if (!s || !*s)
        return 0;
    for (; s[n]; n++) {
        char ch = s[n];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return 0;
    }
    return n <= 63;
}

static const ct_strategy_class *find_locked(const char *name)
{
    for (int32_t i = 0; i < ct__n_builtin_classes; i++)
        if (strcmp(ct__builtin_classes[i]->name, name) == 0)
            return ct__builtin_classes[i];
    for (int32_t i = 0; i < g_reg_n; i++)
        if (strcmp(g_reg[i]->name, name) == 0)
            return g_reg[i];
    return NULL;
}

static void class_free(ct_strategy_class *c)
{
    if (!c)
        return;
    if (c->params)
        for (int32_t i = 0; i < c->vt.n_params; i++) {
            ct__free((void *)(uintptr_t)c->params[i].name);
            ct__free((void *)(uintptr_t)c->params[i].description);
        }
    ct__free(c->params);
    ct__free(c->name);
    ct__free(c->description);
    ct__free(c);
}

/* No version of a table grows past this: a larger struct_size is a wrong one (an unset field,
 * another struct's size), whose "tail" is not the caller's memory and is not read. */
#define STRUCT_SIZE_MAX 4096u

/* The R6 rule: smaller than v1 refused; larger accepted only with an all-zero unknown tail. */
static ct_status check_struct_size(const void *p, uint32_t size, size_t v1, size_t known, const char *what)
{
    if (size > STRUCT_SIZE_MAX)
        return ct__fail(NULL, CT_E_INVALID_ARG, "%s struct_size %u is not a size of it (above %u bytes)", what,
                        (unsigned)size, STRUCT_SIZE_MAX);
    if (size < v1)
        return ct__fail(NULL, CT_E_UNSUPPORTED, "%s struct_size %u is smaller than version 1 (%zu bytes)", what,
                        (unsigned)size, v1);
    if (size > known) {
        const unsigned char *b = p;
        for (size_t i = known; i < size; i++)
            if (b[i] != 0)
                return ct__fail(NULL, CT_E_UNSUPPORTED,
                                "plugin needs libcryptota > %s: its %s has %u bytes with non-zero fields "
                                "beyond the %zu this version knows",
                                CT_VERSION_STRING, what, (unsigned)size, known);
    }
    return CT_OK;
}

static ct_status copy_params(ct_strategy_class *c, const ct_strategy_vtable *vt)
{
    if (vt->n_params < 0 || vt->n_params > 64)
        return ct__fail(NULL, CT_E_INVALID_ARG, "strategy '%s': n_params %d out of range 0..64", c->name,
                        (int)vt->n_params);
    if (vt->n_params == 0)
        return CT_OK;
    if (!vt->params)
        return ct__fail(NULL, CT_E_INVALID_ARG, "strategy '%s': params is NULL with n_params %d", c->name,
                        (int)vt->n_params);
    uint32_t stride = vt->params[0].struct_size;
    ct_status st = check_struct_size(vt->params, stride, CT_PARAM_DEF_SIZE_V1, sizeof(ct_param_def), "ct_param_def");
    if (st != CT_OK)
        return st;
    /* the entries are an array of one struct: its size is a multiple of its alignment, or
     * entry 1 and later would be read misaligned (undefined behaviour) */
    if (stride % _Alignof(ct_param_def) != 0)
        return ct__fail(NULL, CT_E_INVALID_ARG,
                        "strategy '%s': ct_param_def struct_size %u is not a multiple of its alignment (%zu)", c->name,
                        (unsigned)stride, (size_t)_Alignof(ct_param_def));
    c->params = ct__calloc((size_t)vt->n_params, sizeof(ct_param_def));
    if (!c->params)
        return ct__fail(NULL, CT_E_NOMEM, "out of memory copying the schema of '%s'", c->name);
    for (int32_t i = 0; i < vt->n_params; i++) {
        const ct_param_def *src = (const ct_param_def *)(const void *)((const char *)vt->params + (size_t)i * stride);
        ct_param_def *d = &c->params[i];
        if (src->struct_size != stride)
            return ct__fail(NULL, CT_E_INVALID_ARG, "strategy '%s': parameter %d struct_size differs from the first",
                            c->name, (int)i);
        if (stride > sizeof(ct_param_def) &&
            (st = check_struct_size(src, stride, CT_PARAM_DEF_SIZE_V1, sizeof(ct_param_def), "ct_param_def")) != CT_OK)
            return st;
        if (!valid_name(src->name))
            return ct__fail(NULL, CT_E_INVALID_ARG, "strategy '%s': parameter %d has an invalid name", c->name, (int)i);
        for (int32_t j = 0; j < i; j++)
            if (strcmp(c->params[j].name, src->name) == 0)
                return ct__fail(NULL, CT_E_INVALID_ARG, "strategy '%s': parameter '%s' is declared twice", c->name,
                                src->name);
        if (src->kind < CT_PARAM_INT || src->kind > CT_PARAM_BOOL)
            return ct__fail(NULL, CT_E_INVALID_ARG, "strategy '%s': parameter '%s' has unknown kind %d", c->name,
                            src->name, (int)src->kind);
        if (!isfinite(src->def) || !isfinite(src->min) || !isfinite(src->max) || !(src->min <= src->def) ||
            !(src->def <= src->max) || !isfinite(src->step) || !(src->step >= 0))
            return ct__fail(NULL, CT_E_INVALID_ARG,
                            "strategy '%s': parameter '%s' needs finite min <= default <= max and step >= 0", c->name,
                            src->name);
        /* the default must be a value ct_strategy_set_f64 accepts, and the bounds of a kind's
         * values: otherwise validation refuses the defaults and the JSON echo changes them */
        if (src->kind == CT_PARAM_INT && (src->def != floor(src->def) || src->min != floor(src->min) ||
                                          src->max != floor(src->max) || src->step != floor(src->step)))
            return ct__fail(NULL, CT_E_INVALID_ARG,
                            "strategy '%s': int parameter '%s' needs integral default, min, max and step "
                            "(got %.17g, %.17g, %.17g, %.17g)",
                            c->name, src->name, src->def, src->min, src->max, src->step);
        if (src->kind == CT_PARAM_BOOL && ((src->def != 0.0 && src->def != 1.0) ||
                                           (src->min != 0.0 && src->min != 1.0) || (src->max != 0.0 && src->max != 1.0)))
            return ct__fail(NULL, CT_E_INVALID_ARG,
                            "strategy '%s': bool parameter '%s' needs default, min and max of 0 or 1 (got %.17g, "
                            "%.17g, %.17g)",
                            c->name, src->name, src->def, src->min, src->max);
        d->struct_size = sizeof(ct_param_def);
        d->kind = src->kind;
        d->def = src->def;
        d->min = src->min;
        d->max = src->max;
        d->step = src->step;
        d->name = ct__strdup(src->name);
        d->description = ct__strdup(src->description ? src->description : "");
        if (!d->name || !d->description)
            return ct__fail(NULL, CT_E_NOMEM, "out of memory copying the schema of '%s'", c->name);
    }
    return CT_OK;
}

ct_status ct_strategy_register(const ct_strategy_vtable *vt)
{
    if (!vt)
        return ct__fail(NULL, CT_E_INVALID_ARG, "vtable is NULL");
    ct_status st = check_struct_size(vt, vt->struct_size, CT_STRATEGY_VTABLE_SIZE_V1, sizeof(ct_strategy_vtable),
                                     "ct_strategy_vtable");
    if (st != CT_OK)
        return st;
    ct_strategy_vtable v;
    memset(&v, 0, sizeof(v));
    memcpy(&v, vt, vt->struct_size < sizeof(v) ? vt->struct_size : sizeof(v));
    if (!valid_name(v.name))
        return ct__fail(NULL, CT_E_INVALID_ARG, "strategy name must be 1-63 characters of [a-z0-9_]");
    if (!v.on_bar)
        return ct__fail(NULL, CT_E_INVALID_ARG, "strategy '%s': on_bar is required", v.name);
    if (v.reserved != 0)
        return ct__fail(NULL, CT_E_INVALID_ARG, "strategy '%s': reserved must be 0", v.name);
    ct_strategy_class *c = ct__calloc(1, sizeof(*c));
    if (!c)
        return ct__fail(NULL, CT_E_NOMEM, "out of memory registering '%s'", v.name);
    c->name = ct__strdup(v.name);
    c->description = ct__strdup(v.description ? v.description : "");
    if (!c->name || !c->description) {
        class_free(c);
        return ct__fail(NULL, CT_E_NOMEM, "out of memory registering '%s'", v.name);
    }
    c->vt = v;
    c->vt.struct_size = sizeof(ct_strategy_vtable);
    st = copy_params(c, &v);
    if (st != CT_OK) {
        class_free(c);
        return st;
    }
    c->vt.name = c->name;
    c->vt.description = c->description;
    c->vt.params = c->params;
    pthread_mutex_lock(&g_reg_mu);
    if (find_locked(c->name)) {
        pthread_mutex_unlock(&g_reg_mu);
        st = ct__fail(NULL, CT_E_STATE, "a strategy class named '%s' is already registered", c->name);
        class_free(c);
        return st;
    }
    if (g_reg_n == g_reg_cap) {
        int32_t ncap = g_reg_cap ? g_reg_cap * 2 : 8;
        ct_strategy_class **nr = ct__realloc(g_reg, (size_t)ncap * sizeof(*nr));
        if (!nr) {
            pthread_mutex_unlock(&g_reg_mu);
            class_free(c);
            return ct__fail(NULL, CT_E_NOMEM, "out of memory registering a strategy class");
        }
        g_reg = nr;
        g_reg_cap = ncap;
    }
    g_reg[g_reg_n++] = c;
    pthread_mutex_unlock(&g_reg_mu);
    return CT_OK;
}

ct_status ct_strategy_unregister(const char *name)
{
    if (!name)
        return ct__fail(NULL, CT_E_INVALID_ARG, "name is NULL");
    pthread_mutex_lock(&g_reg_mu);
    for (int32_t i = 0; i < ct__n_builtin_classes; i++)
        if (strcmp(ct__builtin_classes[i]->name, name) == 0) {
            pthread_mutex_unlock(&g_reg_mu);
            return ct__fail(NULL, CT_E_STATE, "'%s' is a built-in class and cannot be unregistered", name);
        }
    for (int32_t i = 0; i < g_reg_n; i++)
        if (strcmp(g_reg[i]->name, name) == 0) {
            ct_strategy_class *c = g_reg[i];
            int32_t refs = c->refs; /* read under the lock: the class may be freed once it is released */
            if (refs > 0) {
                pthread_mutex_unlock(&g_reg_mu);
                return ct__fail(NULL, CT_E_STATE, "strategy class '%s' is still used by %d strategies or optimizers",
                                name, (int)refs);
            }
            memmove(&g_reg[i], &g_reg[i + 1], (size_t)(g_reg_n - i - 1) * sizeof(*g_reg));
            g_reg_n--;
            if (g_reg_n == 0) {
                ct__free(g_reg);
                g_reg = NULL;
                g_reg_cap = 0;
            }
            pthread_mutex_unlock(&g_reg_mu);
            class_free(c);
            return CT_OK;
        }
    pthread_mutex_unlock(&g_reg_mu);
    return ct__fail(NULL, CT_E_NOT_FOUND, "no strategy class named '%s'", name);
}

void ct__class_ref(const ct_strategy_class *c, int32_t delta)
{
    if (c->builtin)
        return;
    pthread_mutex_lock(&g_reg_mu);
    ((ct_strategy_class *)(uintptr_t)c)->refs += delta;
    pthread_mutex_unlock(&g_reg_mu);
}

/* Find a class and count a reference to it in one critical section, so that no
 * ct_strategy_unregister can free it between the two. NULL if none. */
static const ct_strategy_class *class_acquire(const char *name)
{
    pthread_mutex_lock(&g_reg_mu);
    const ct_strategy_class *c = find_locked(name);
    if (c && !c->builtin)
        ((ct_strategy_class *)(uintptr_t)c)->refs++;
    pthread_mutex_unlock(&g_reg_mu);
    return c;
}

const ct_strategy_class *ct_strategy_class_find(const char *name)
{
    if (!name) {
        ct__fail(NULL, CT_E_INVALID_ARG, "name is NULL");
        return NULL;
    }
    pthread_mutex_lock(&g_reg_mu);
    const ct_strategy_class *c = find_locked(name);
    pthread_mutex_unlock(&g_reg_mu);
    if (!c)
        ct__fail(NULL, CT_E_NOT_FOUND, "no strategy class named '%s'", name);
    return c;
}

int32_t ct_strategy_class_count(void)
{
    pthread_mutex_lock(&g_reg_mu);
    int32_t n = ct__n_builtin_classes + g_reg_n;
    pthread_mutex_unlock(&g_reg_mu);
    return n;
}

const ct_strategy_class *ct_strategy_class_at(int32_t i)
{
    const ct_strategy_class *c = NULL;
    if (i < 0)
        return NULL;
    if (i < ct__n_builtin_classes)
        return ct__builtin_classes[i];
    pthread_mutex_lock(&g_reg_mu);
    if (i - ct__n_builtin_classes < g_reg_n)
        c = g_reg[i - ct__n_builtin_classes];
    pthread_mutex_unlock(&g_reg_mu);
    return c;
}

const char *ct_strategy_class_name(const ct_strategy_class *c) { return c ? c->name : ""; }
const char *ct_strategy_class_description(const ct_strategy_class *c) { return c && c->description ? c->description : ""; }
uint32_t ct_strategy_class_flags(const ct_strategy_class *c) { return c ? c->vt.flags : 0; }
int32_t ct_strategy_class_is_builtin(const ct_strategy_class *c) { return c ? c->builtin : 0; }
int32_t ct_strategy_class_n_params(const ct_strategy_class *c) { return c ? c->vt.n_params : -1; }

int32_t ct_strategy_class_param_index(const ct_strategy_class *c, const char *name)
{
    if (!c || !name)
        return -1;
    for (int32_t i = 0; i < c->vt.n_params; i++)
        if (strcmp(c->params[i].name, name) == 0)
            return i;
    return -1;
}

ct_status ct_strategy_class_param(const ct_strategy_class *c, int32_t i, const char **name, int32_t *kind,
                                  double *def, double *min, double *max, double *step, const char **description)
{
    if (!c)
        return ct__fail(NULL, CT_E_INVALID_ARG, "class is NULL");
    if (i < 0 || i >= c->vt.n_params)
        return ct__fail(NULL, CT_E_RANGE, "parameter index %d out of range 0..%d", (int)i, (int)c->vt.n_params - 1);
    const ct_param_def *p = &c->params[i];
    if (name)
        *name = p->name;
    if (kind)
        *kind = p->kind;
    if (def)
        *def = p->def;
    if (min)
        *min = p->min;
    if (max)
        *max = p->max;
    if (step)
        *step = p->step;
    if (description)
        *description = p->description ? p->description : "";
    return CT_OK;
}

const char *ct_param_kind_name(int32_t kind)
{
    switch (kind) {
    case CT_PARAM_INT: return "int";
    case CT_PARAM_REAL: return "real";
    case CT_PARAM_BOOL: return "bool";
    default: return "?";
    }
}

/* cJSON allocates through malloc; results handed to the caller are copied with ct__strdup. */
static char *json_to_ct(cJSON *j)
{
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;
    char *r = s ? ct__strdup(s) : NULL;
    cJSON_free(s);
    return r;
}

/* The registry is locked for the whole document: another thread may unregister (and free) a
 * class at any time otherwise. */
ct_status ct_strategy_classes_json(char **out)
{
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "out is NULL");
    *out = NULL;
    pthread_mutex_lock(&g_reg_mu);
    cJSON *arr = cJSON_CreateArray();
    int ok = arr != NULL;
    int32_t n = ct__n_builtin_classes + g_reg_n;
    for (int32_t i = 0; ok && i < n; i++) {
        const ct_strategy_class *c = i < ct__n_builtin_classes ? ct__builtin_classes[i] : g_reg[i - ct__n_builtin_classes];
        cJSON *o = cJSON_CreateObject();
        cJSON *ps = cJSON_CreateArray();
        ok = o && ps && cJSON_AddItemToArray(arr, o);
        if (!ok) {
            cJSON_Delete(o);
            cJSON_Delete(ps);
            break;
        }
        ok = cJSON_AddStringToObject(o, "name", c->name) && cJSON_AddStringToObject(o, "description", c->description) &&
             cJSON_AddBoolToObject(o, "builtin", c->builtin) && cJSON_AddNumberToObject(o, "flags", c->vt.flags) &&
             cJSON_AddItemToObject(o, "params", ps);
        if (!ok) {
            cJSON_Delete(ps);
            break;
        }
        for (int32_t k = 0; ok && k < c->vt.n_params; k++) {
            const ct_param_def *p = &c->params[k];
            cJSON *po = cJSON_CreateObject();
            ok = po && cJSON_AddItemToArray(ps, po);
            if (!ok) {
                cJSON_Delete(po);
                break;
            }
            ok = cJSON_AddStringToObject(po, "name", p->name) &&
                 cJSON_AddStringToObject(po, "kind", ct_param_kind_name(p->kind)) &&
                 cJSON_AddNumberToObject(po, "default", p->def) && cJSON_AddNumberToObject(po, "min", p->min) &&
                 cJSON_AddNumberToObject(po, "max", p->max) && cJSON_AddNumberToObject(po, "step", p->step) &&
                 cJSON_AddStringToObject(po, "description", p->description ? p->description : "");
        }
    }
    char *s = ok ? json_to_ct(arr) : NULL;
    cJSON_Delete(arr);
    pthread_mutex_unlock(&g_reg_mu);
    if (!s)
        return ct__fail(NULL, CT_E_NOMEM, "out of memory building the strategy list");
    *out = s;
    return CT_OK;
}

/* ---- plugins ---- */

ct_status ct_plugin_load(const char *path)
{
    if (!path || !*path)
        return ct__fail(NULL, CT_E_INVALID_ARG, "plugin path is NULL or empty");
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        return ct__fail(NULL, CT_E_IO, "cannot load plugin '%s': %s", path, e ? e : "unknown error");
    }
    void *sym = dlsym(h, "ct_plugin_init");
    if (!sym) {
        dlclose(h);
        return ct__fail(NULL, CT_E_PLUGIN, "plugin '%s' does not export ct_plugin_init", path);
    }
    ct_status (*init)(void);
    memcpy(&init, &sym, sizeof(init));
    ct_clear_error();
    ct_status st = init();
    if (st != CT_OK) {
        const char *m = ct_last_error();
        char msg[CT__ERRMSG_SIZE];
        snprintf(msg, sizeof(msg), "%s", (m && *m) ? m : ct_status_str(st));
        /* Classes it registered before failing stay registered (their code stays loaded). */
        return ct__fail(NULL, CT_E_PLUGIN, "plugin '%s': ct_plugin_init failed with %s: %s", path,
                        ct_status_name(st), msg);
    }
    return CT_OK;
}

/* ---- strategies ---- */

/* A strategy of class c with the default values; the caller has counted the reference to c,
 * and drops it again if this fails. */
static ct_status strategy_new(const ct_strategy_class *c, ct_strategy **out)
{
    ct_strategy *s = ct__calloc(1, sizeof(*s));
    if (!s)
        return ct__fail(NULL, CT_E_NOMEM, "out of memory creating a strategy");
    int32_t np = c->vt.n_params;
    s->values = ct__calloc(np > 0 ? (size_t)np : 1, sizeof(double));
    if (!s->values) {
        ct__free(s);
        return ct__fail(NULL, CT_E_NOMEM, "out of memory creating a strategy");
    }
    for (int32_t i = 0; i < np; i++)
        s->values[i] = c->params[i].def;
    s->cls = c;
    *out = s;
    return CT_OK;
}

ct_status ct_strategy_create(const ct_strategy_class *c, ct_strategy **out)
{
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!c)
        return ct__fail(NULL, CT_E_INVALID_ARG, "strategy class is NULL");
    ct__class_ref(c, 1);
    ct_status st = strategy_new(c, out);
    if (st != CT_OK)
        ct__class_ref(c, -1);
    return st;
}

ct_status ct_strategy_create_by_name(const char *name, ct_strategy **out)
{
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!name)
        return ct__fail(NULL, CT_E_INVALID_ARG, "name is NULL");
    const ct_strategy_class *c = class_acquire(name);
    if (!c)
        return ct__fail(NULL, CT_E_NOT_FOUND, "no strategy class named '%s'", name);
    ct_status st = strategy_new(c, out);
    if (st != CT_OK)
        ct__class_ref(c, -1);
    return st;
}

void ct_strategy_destroy(ct_strategy *s)
{
    if (!s)
        return;
    ct__class_ref(s->cls, -1);
    ct__free(s->values);
    ct__free(s);
}

ct_status ct_strategy_clone(const ct_strategy *s, ct_strategy **out)
{
    if (out)
        *out = NULL;
    if (!s)
        return ct__fail(NULL, CT_E_INVALID_ARG, "strategy is NULL");
    ct_status st = ct_strategy_create(s->cls, out);
    if (st == CT_OK && s->cls->vt.n_params > 0)
        memcpy((*out)->values, s->values, (size_t)s->cls->vt.n_params * sizeof(double));
    return st;
}

const ct_strategy_class *ct_strategy_get_class(const ct_strategy *s) { return s ? s->cls : NULL; }
const char *ct_strategy_errmsg(const ct_strategy *s) { return s ? ct__errmsg(&s->err) : ""; }
const double *ct_strategy_values(const ct_strategy *s) { return s ? s->values : NULL; }

/* Check a value against parameter p; the message names it. */
static ct_status check_value(ct__err *err, const ct_strategy_class *c, const ct_param_def *p, double v)
{
    if (isnan(v))
        return ct__fail(err, CT_E_INVALID_ARG, "strategy '%s': parameter '%s' is NaN", c->name, p->name);
    if (p->kind == CT_PARAM_INT && v != floor(v))
        return ct__fail(err, CT_E_INVALID_ARG, "strategy '%s': parameter '%s' must be an integer (got %.17g)", c->name,
                        p->name, v);
    if (p->kind == CT_PARAM_BOOL && v != 0.0 && v != 1.0)
        return ct__fail(err, CT_E_INVALID_ARG, "strategy '%s': parameter '%s' must be 0 or 1 (got %.17g)", c->name,
                        p->name, v);
    if (v < p->min || v > p->max)
        return ct__fail(err, CT_E_RANGE, "strategy '%s': parameter '%s' = %.17g is outside [%.17g, %.17g]", c->name,
                        p->name, v, p->min, p->max);
    return CT_OK;
}

ct_status ct_strategy_set_f64(ct_strategy *s, const char *name, double value)
{
    if (!s)
        return ct__fail(NULL, CT_E_INVALID_ARG, "strategy is NULL");
    if (!name)
        return ct__fail(&s->err, CT_E_INVALID_ARG, "parameter name is NULL");
    int32_t i = ct_strategy_class_param_index(s->cls, name);
    if (i < 0)
        return ct__fail(&s->err, CT_E_INVALID_ARG, "strategy '%s' has no parameter '%s'", s->cls->name, name);
    ct_status st = check_value(&s->err, s->cls, &s->cls->params[i], value);
    if (st == CT_OK)
        s->values[i] = value;
    return st;
}

ct_status ct_strategy_set_i64(ct_strategy *s, const char *name, int64_t value)
{
    return ct_strategy_set_f64(s, name, (double)value);
}

ct_status ct_strategy_reset(ct_strategy *s)
{
    if (!s)
        return ct__fail(NULL, CT_E_INVALID_ARG, "strategy is NULL");
    for (int32_t i = 0; i < s->cls->vt.n_params; i++)
        s->values[i] = s->cls->params[i].def;
    return CT_OK;
}

ct_status ct_strategy_get_f64(const ct_strategy *s, const char *name, double *value)
{
    if (!s || !name || !value)
        return ct__fail(NULL, CT_E_INVALID_ARG, "strategy, name or value is NULL");
    int32_t i = ct_strategy_class_param_index(s->cls, name);
    if (i < 0)
        return ct__fail(NULL, CT_E_INVALID_ARG, "strategy '%s' has no parameter '%s'", s->cls->name, name);
    *value = s->values[i];
    return CT_OK;
}

ct_status ct_strategy_set_json(ct_strategy *s, const char *json)
{
    if (!s)
        return ct__fail(NULL, CT_E_INVALID_ARG, "strategy is NULL");
    if (!json)
        return ct__fail(&s->err, CT_E_INVALID_ARG, "params JSON is NULL");
    cJSON *root = cJSON_Parse(json);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return ct__fail(&s->err, CT_E_FORMAT, "params must be a JSON object");
    }
    int32_t np = s->cls->vt.n_params;
    double tmp[64];
    if (np > 0)
        memcpy(tmp, s->values, (size_t)np * sizeof(double));
    ct_status st = CT_OK;
    unsigned char seen[64];
    memset(seen, 0, sizeof(seen));
    for (cJSON *it = root->child; it && st == CT_OK; it = it->next) {
        int32_t i = ct_strategy_class_param_index(s->cls, it->string);
        double v;
        if (i < 0) {
            st = ct__fail(&s->err, CT_E_INVALID_ARG, "strategy '%s' has no parameter '%s'", s->cls->name,
                          it->string ? it->string : "");
            break;
        }
        if (seen[i]++) {
            st = ct__fail(&s->err, CT_E_INVALID_ARG, "strategy '%s': parameter '%s' is given twice", s->cls->name,
                          it->string);
            break;
        }
        if (cJSON_IsBool(it))
            v = cJSON_IsTrue(it) ? 1.0 : 0.0;
        else if (cJSON_IsNumber(it))
            v = it->valuedouble;
        else {
            st = ct__fail(&s->err, CT_E_INVALID_ARG, "strategy '%s': parameter '%s' must be a number%s", s->cls->name,
                          it->string, s->cls->params[i].kind == CT_PARAM_BOOL ? " or a boolean" : "");
            break;
        }
        st = check_value(&s->err, s->cls, &s->cls->params[i], v);
        if (st == CT_OK)
            tmp[i] = v;
    }
    cJSON_Delete(root);
    if (st == CT_OK && np > 0)
        memcpy(s->values, tmp, (size_t)np * sizeof(double));
    return st;
}

ct_status ct__strategy_instantiate(ct_strategy *s, ct__err *err, void **instance)
{
    *instance = NULL;
    const ct_strategy_vtable *vt = &s->cls->vt;
    if (!vt->create) {
        *instance = vt->class_user;
        return CT_OK;
    }
    char msg[CT__ERRMSG_SIZE];
    msg[0] = '\0';
    ct_status st = vt->create(vt->class_user, s->values, vt->n_params, instance, msg, (int32_t)sizeof(msg));
    msg[sizeof(msg) - 1] = '\0';
    if (st != CT_OK) {
        *instance = NULL;
        if (st == CT_E_NOMEM)
            return ct__fail(err, CT_E_NOMEM, "strategy '%s': out of memory creating the instance", s->cls->name);
        return ct__fail(err, st == CT_E_RANGE || st == CT_E_INVALID_ARG ? st : CT_E_PLUGIN, "strategy '%s': %s",
                        s->cls->name, msg[0] ? msg : "create refused the parameters");
    }
    return CT_OK;
}

ct_status ct_strategy_validate(ct_strategy *s)
{
    if (!s)
        return ct__fail(NULL, CT_E_INVALID_ARG, "strategy is NULL");
    for (int32_t i = 0; i < s->cls->vt.n_params; i++) {
        ct_status st = check_value(&s->err, s->cls, &s->cls->params[i], s->values[i]);
        if (st != CT_OK)
            return st;
    }
    void *inst;
    ct_status st = ct__strategy_instantiate(s, &s->err, &inst);
    if (st == CT_OK && s->cls->vt.create && s->cls->vt.destroy)
        s->cls->vt.destroy(inst);
    return st;
}

/* Append a number in canonical form: integers without fraction, else 17 significant digits.
 * -0 is written as 0: both are the same setting, and the cache key hashes this text. */
static size_t fmt_num(char *b, size_t cap, double v, int32_t kind)
{
    if (kind == CT_PARAM_BOOL)
        return (size_t)snprintf(b, cap, "%s", v != 0.0 ? "true" : "false");
    if (v == 0.0)
        v = 0.0; /* -0.0 compares equal to 0.0: this stores +0.0 */
    if (v == floor(v) && fabs(v) < 1e15)
        return (size_t)snprintf(b, cap, "%.0f", v);
    return (size_t)snprintf(b, cap, "%.17g", v);
}

ct_status ct_strategy_params_json(const ct_strategy *s, char **out)
{
    if (!s || !out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "strategy or out is NULL");
    *out = NULL;
    int32_t np = s->cls->vt.n_params;
    size_t cap = 3 + (size_t)np * (64 + 40 + 4);
    char *b = ct__malloc(cap);
    if (!b)
        return ct__fail(NULL, CT_E_NOMEM, "out of memory formatting parameters");
    size_t k = 0;
    b[k++] = '{';
    for (int32_t i = 0; i < np; i++) {
        k += (size_t)snprintf(b + k, cap - k, "%s\"%s\":", i ? "," : "", s->cls->params[i].name);
        k += fmt_num(b + k, cap - k, s->values[i], s->cls->params[i].kind);
    }
    b[k++] = '}';
    b[k] = '\0';
    *out = b;
    return CT_OK;
}
