/*
 * ct_feed_load / ct_feed_save: pick the format by file extension (.csv, .csv.zst, .ctz),
 * take symbol and interval from CSV file names, and write atomically (temporary file in the
 * same directory, then rename).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feed/feed_internal.h"

enum { FMT_NONE, FMT_CSV, FMT_CSV_ZST, FMT_CTZ };

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n < m)
        return 0;
    for (size_t i = 0; i < m; i++) {
        char a = s[n - m + i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != suffix[i])
            return 0;
    }
    return 1;
}

static int format_of(const char *path)
{
    if (ends_with(path, ".csv.zst"))
        return FMT_CSV_ZST;
    if (ends_with(path, ".csv"))
        return FMT_CSV;
    if (ends_with(path, ".ctz"))
        return FMT_CTZ;
    return FMT_NONE;
}

/*
 * Symbol and interval from a name like binance_BTCUSDT_1h_2017-...csv.zst or BTCUSDT_1h.csv:
 * the first `_`/`-` separated token that is a Binance interval name, and the token before it
 * when it is upper-case letters and digits.
 */
static void name_meta(const char *path, char *sym, size_t symcap, int64_t *interval)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    sym[0] = '\0';
    *interval = 0;
    const char *prev = NULL;
    size_t prevlen = 0;
    const char *p = base;
    while (*p && *p != '.') {
        const char *q = p;
        while (*q && *q != '_' && *q != '-' && *q != '.')
            q++;
        size_t len = (size_t)(q - p);
        int64_t iv = len ? ct__interval_lookup(p, len) : 0;
        if (iv) {
            *interval = iv;
            int ok = prev && prevlen > 0 && prevlen < symcap;
            for (size_t i = 0; ok && i < prevlen; i++)
                ok = (prev[i] >= 'A' && prev[i] <= 'Z') || (prev[i] >= '0' && prev[i] <= '9');
            if (ok) {
                memcpy(sym, prev, prevlen);
                sym[prevlen] = '\0';
            }
            return;
        }
        prev = p;
        prevlen = len;
        p = *q && *q != '.' ? q + 1 : q;
    }
}

ct_status ct__feed_open_file(const char *path, FILE **fp, uint64_t *size)
{
    *size = 0;
    *fp = fopen(path, "rb");
    if (!*fp)
        return ct__fail(NULL, CT_E_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(*fp), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            fclose(*fp);
            *fp = NULL;
            return ct__fail(NULL, CT_E_IO, "cannot read '%s': it is a directory, not a candle file", path);
        }
        if (S_ISREG(st.st_mode) && st.st_size > 0)
            *size = (uint64_t)st.st_size;
    }
    return CT_OK;
}

/* Read a whole file into memory (ct__malloc'd). */
static ct_status read_all(const char *path, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    FILE *fp;
    uint64_t sz;
    ct_status s = ct__feed_open_file(path, &fp, &sz);
    if (s != CT_OK)
        return s;
    size_t cap = 1 << 16, n = 0;
    if (sz > 0 && sz < SIZE_MAX)
        cap = (size_t)sz + 1;
    uint8_t *buf = ct__malloc(cap);
    if (!buf) {
        fclose(fp);
        return ct__fail(NULL, CT_E_NOMEM, "out of memory reading '%s'", path);
    }
    for (;;) {
        if (n == cap) {
            uint8_t *p = cap > SIZE_MAX / 2 ? NULL : ct__realloc(buf, cap * 2);
            if (!p) {
                ct__free(buf);
                fclose(fp);
                return ct__fail(NULL, CT_E_NOMEM, "out of memory reading '%s'", path);
            }
            buf = p;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(fp);
    fclose(fp);
    if (err) {
        ct__free(buf);
        return ct__fail(NULL, CT_E_IO, "read error on '%s'", path);
    }
    *out = buf;
    *len = n;
    return CT_OK;
}

ct_status ct_feed_load(const char *path, int32_t gap_policy, ct_feed **out)
{
    if (!out)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_load: out must not be NULL");
    *out = NULL;
    if (!path)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_load: path must not be NULL");
    if (gap_policy < CT_GAPS_KEEP || gap_policy > CT_GAPS_ERROR)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_load: gap_policy %d is not a CT_GAPS_* value", (int)gap_policy);
    int fmt = format_of(path);
    if (fmt == FMT_NONE)
        return ct__fail(NULL, CT_E_INVALID_ARG, "'%s': unknown file type (expected .csv, .csv.zst or .ctz)", path);
    if (fmt == FMT_CTZ) {
        /* read, not mmap: a file truncated by another process while mapped would be SIGBUS */
        uint8_t *buf;
        size_t len;
        ct_status s = read_all(path, &buf, &len);
        if (s != CT_OK)
            return s;
        ct_feed *f;
        s = ct_feed_parse_ctz(buf, len, &f);
        ct__free(buf);
        if (s != CT_OK) {
            char why[CT__ERRMSG_SIZE];
            snprintf(why, sizeof(why), "%s", ct_last_error());
            return ct__fail(NULL, s, "%s: %s", path, why);
        }
        if ((s = ct__feed_apply_gap_policy(f, gap_policy)) != CT_OK) {
            char why[CT__ERRMSG_SIZE];
            snprintf(why, sizeof(why), "%s", f->err.msg);
            ct_feed_destroy(f);
            return ct__fail(NULL, s, "%s: %s", path, why);
        }
        *out = f;
        return CT_OK;
    }
    char sym[64];
    int64_t iv;
    name_meta(path, sym, sizeof(sym), &iv);
    /* The name's interval is only a hint: rows closer together than it mean the name is wrong
     * (gaps would be missed), so the data wins. Checked before the gap policy runs. */
    if (iv > 0) {
        ct_feed *f;
        ct_status s = ct__csv_load_file(path, fmt == FMT_CSV_ZST, sym, iv, CT_GAPS_KEEP, &f);
        if (s != CT_OK)
            return s;
        int64_t step = ct__feed_infer_interval(f->time, f->n);
        if (step > 0 && step < iv) {
            ct__log(CT_LOG_WARN, "feed", "%s: rows are %lld ms apart but the file name says %lld ms; using %lld", path,
                    (long long)step, (long long)iv, (long long)step);
            f->interval_ms = step;
        }
        if ((s = ct__feed_apply_gap_policy(f, gap_policy)) != CT_OK) {
            char why[CT__ERRMSG_SIZE];
            snprintf(why, sizeof(why), "%s", f->err.msg);
            ct_feed_destroy(f);
            return ct__fail(NULL, s, "%s: %s", path, why);
        }
        *out = f;
        return CT_OK;
    }
    return ct__csv_load_file(path, fmt == FMT_CSV_ZST, sym, iv, gap_policy, out);
}

ct_status ct_feed_save(const ct_feed *f, const char *path)
{
    if (!f || !path)
        return ct__fail(NULL, CT_E_INVALID_ARG, "ct_feed_save: feed and path must not be NULL");
    /* f is only read (several threads may save one feed at once): failures go to the calling
     * thread's ct_last_error only, never to f's message buffer */
    int fmt = format_of(path);
    if (fmt == FMT_NONE)
        return ct__fail(NULL, CT_E_INVALID_ARG, "'%s': unknown file type (expected .csv, .csv.zst or .ctz)", path);
    size_t plen = strlen(path);
    char *tmp = ct__malloc(plen + 16);
    if (!tmp)
        return ct__fail(NULL, CT_E_NOMEM, "ct_feed_save: out of memory");
    /* same directory, so rename() is atomic */
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        ct_status s = ct__fail(NULL, CT_E_IO, "cannot create a temporary file next to '%s': %s", path, strerror(errno));
        ct__free(tmp);
        return s;
    }
    (void)fchmod(fd, 0644); /* mkstemp creates 0600; candle files are not secret */
    FILE *fp = fdopen(fd, "wb");
    if (!fp) {
        close(fd);
        unlink(tmp);
        ct__free(tmp);
        return ct__fail(NULL, CT_E_IO, "cannot open '%s': %s", path, strerror(errno));
    }
    ct_status s = CT_OK;
    if (fmt == FMT_CTZ) {
        uint8_t *img;
        size_t len;
        if ((s = ct__ctz_encode(f, &img, &len)) == CT_OK) {
            if (fwrite(img, 1, len, fp) != len)
                s = ct__fail(NULL, CT_E_IO, "write error on '%s': %s", path, strerror(errno));
            ct__free(img);
        }
    } else {
        s = ct__csv_write(f, fp, fmt == FMT_CSV_ZST);
    }
    if (fflush(fp) != 0 && s == CT_OK)
        s = ct__fail(NULL, CT_E_IO, "write error on '%s': %s", path, strerror(errno));
    if (fclose(fp) != 0 && s == CT_OK)
        s = ct__fail(NULL, CT_E_IO, "write error on '%s': %s", path, strerror(errno));
    if (s == CT_OK && rename(tmp, path) != 0)
        s = ct__fail(NULL, CT_E_IO, "cannot rename the temporary file to '%s': %s", path, strerror(errno));
    if (s != CT_OK)
        unlink(tmp);
    ct__free(tmp);
    return s;
}
