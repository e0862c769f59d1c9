/*
 * Start, drive and stop the Binance mock (binance_mock.py) from C tests and benchmarks.
 *
 * The mock runs as a child process of /usr/bin/python3 bound to 127.0.0.1 on a free port; it
 * gets PR_SET_PDEATHSIG so it dies with the process that started it, even when a test crashes.
 * Control calls (faults, config, request log) go over HTTP with libcurl.
 */
#ifndef CT_MOCK_SERVER_H
#define CT_MOCK_SERVER_H

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct ct_mock {
    pid_t pid;
    int port;
    char url[64];
} ct_mock;

/* The script sits next to this header. */
static inline void ct_mock_script(char *buf, size_t cap)
{
    const char *here = __FILE__;
    const char *slash = strrchr(here, '/');
    size_t n = slash ? (size_t)(slash - here) : 0;
    if (getenv("CT_SOURCE_DIR"))
        snprintf(buf, cap, "%s/tests/mock/binance_mock.py", getenv("CT_SOURCE_DIR"));
    else
        snprintf(buf, cap, "%.*s/binance_mock.py", (int)n, n ? here : ".");
}

/* Start the mock serving data_dir. Returns 0 on success. */
static inline int ct_mock_start(ct_mock *m, const char *data_dir)
{
    char script[4096];
    int fds[2];
    ct_mock_script(script, sizeof(script));
    memset(m, 0, sizeof(*m));
    if (pipe(fds) != 0)
        return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl("/usr/bin/python3", "python3", script, "--data", data_dir, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    m->pid = pid;
    char line[64];
    size_t n = 0;
    struct pollfd p = {fds[0], POLLIN, 0};
    while (n + 1 < sizeof(line)) {
        if (poll(&p, 1, 20000) <= 0)
            break;
        ssize_t r = read(fds[0], line + n, 1);
        if (r <= 0)
            break;
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    close(fds[0]);
    if (sscanf(line, "PORT %d", &m->port) != 1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        m->pid = 0;
        return -1;
    }
    snprintf(m->url, sizeof(m->url), "http://127.0.0.1:%d", m->port);
    return 0;
}

static inline void ct_mock_stop(ct_mock *m)
{
    if (m->pid > 0) {
        kill(m->pid, SIGKILL);
        waitpid(m->pid, NULL, 0);
    }
    m->pid = 0;
}

typedef struct {
    char *p;
    size_t n;
} ct_mock_buf;

static inline size_t ct_mock_write(char *d, size_t s, size_t k, void *u)
{
    ct_mock_buf *b = u;
    char *q = realloc(b->p, b->n + s * k + 1);
    if (!q)
        return 0;
    memcpy(q + b->n, d, s * k);
    b->n += s * k;
    q[b->n] = '\0';
    b->p = q;
    return s * k;
}

/* POST json to path (or GET when json is NULL); returns the body (free()) or NULL. */
static inline char *ct_mock_call(const ct_mock *m, const char *path, const char *json)
{
    char url[1024];
    ct_mock_buf b = {NULL, 0};
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    snprintf(url, sizeof(url), "%s%s", m->url, path);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, ct_mock_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (json)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, json);
    CURLcode rc = curl_easy_perform(e);
    curl_easy_cleanup(e);
    if (rc != CURLE_OK) {
        free(b.p);
        return NULL;
    }
    if (!b.p)
        b.p = calloc(1, 1);
    return b.p;
}

static inline int ct_mock_post(const ct_mock *m, const char *path, const char *json)
{
    char *r = ct_mock_call(m, path, json);
    int ok = r != NULL;
    free(r);
    return ok ? 0 : -1;
}

/* Number of logged requests whose path ends with `suffix` (e.g. "/klines") and, unless agent is
 * NULL, whose User-Agent is `agent`; -1 on error. When queries is not NULL, their query strings
 * are appended to it, one per line. */
static inline int ct_mock_count_agent(const ct_mock *m, const char *suffix, const char *agent, char *queries,
                                      size_t qcap)
{
    char *body = ct_mock_call(m, "/__log", NULL);
    if (!body)
        return -1;
    cJSON *doc = cJSON_Parse(body);
    free(body);
    const cJSON *reqs = cJSON_GetObjectItem(doc, "requests"), *it;
    int n = 0;
    size_t used = queries ? strlen(queries) : 0;
    cJSON_ArrayForEach(it, reqs)
    {
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(it, "path"));
        const char *q = cJSON_GetStringValue(cJSON_GetObjectItem(it, "query"));
        const char *a = cJSON_GetStringValue(cJSON_GetObjectItem(it, "agent"));
        size_t lp = p ? strlen(p) : 0, ls = strlen(suffix);
        if (agent && (!a || strcmp(a, agent) != 0))
            continue;
        if (p && lp >= ls && strcmp(p + lp - ls, suffix) == 0) {
            n++;
            if (queries && q && used + strlen(q) + 2 < qcap)
                used += (size_t)snprintf(queries + used, qcap - used, "%s\n", q);
        }
    }
    cJSON_Delete(doc);
    return n;
}

/* ct_mock_count_agent for every User-Agent */
static inline int ct_mock_count(const ct_mock *m, const char *suffix, char *queries, size_t qcap)
{
    return ct_mock_count_agent(m, suffix, NULL, queries, qcap);
}

#endif
