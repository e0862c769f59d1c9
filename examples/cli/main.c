/* cryptota: the command-line host of libcryptota (DESIGN.md section 13). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

typedef struct {
    const char *name;
    cli_cmd_fn fn;
    const char *summary;
    const char *options; /* the command's options, space-separated; "name=" takes a value */
} cli_command;

/* Subcommands, in the order `cryptota --help` lists them. */
static const cli_command k_commands[] = {
    {"info", cmd_info, "rows, first/last time, interval, gaps of a candle file", "json"},
    {"convert", cmd_convert, "convert between .csv, .csv.zst and .ctz; --interval resamples", "interval= gaps= partial"},
    {"metrics", cmd_metrics, "metrics of an equity curve (time_ms,equity) against a benchmark", "benchmark= periods-per-year= risk-free= json daily"},
    {"fetch", cmd_fetch, "download Binance candles (spot or USD-M futures) through a local cache", "interval= start= end= out= cache= base-url= parallel= futures json"},
    {"indicators", cmd_indicators, "the indicator table (names, inputs, options, outputs)", "json"},
    {"ta", cmd_ta, "run indicators over a candle file into a CSV", "out= indicators="},
    {"optimize", cmd_optimize, "grid or random parameter search on threads, shards, DSR and PBO", "strategy= grid= metric= threads= top= shard= json= csv= config= plugin= min-trades= random= seed= maximize minimize"},
    {"merge", cmd_merge, "merge optimize --shard outputs into the single-run table", "json= top="},
    {"walkforward", cmd_walkforward, "walk-forward analysis: optimize on train windows, run on test windows", "strategy= grid= metric= threads= train= test= purge= json= report= config= plugin= min-trades= random= seed= anchored maximize minimize"},
    {"strategies", cmd_strategies, "built-in and plugin strategy classes with their parameter schemas", "plugin= json"},
    {"backtest", cmd_backtest, "backtest one strategy over a candle file; JSON, CSV and HTML outputs", "strategy= params= config= plugin= json= report= trades= equity="},
    {"demo", cmd_demo, "the main job: fetch or load candles, backtest rsi, write a report", "data= symbol= interval= start= end= out= cache="},
};

/* 1 and *valued set when `name` (length n) is one of the command's options. */
static int find_option(const char *spec, const char *name, size_t n, int *valued)
{
    for (const char *p = spec; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        size_t base = len && p[len - 1] == '=' ? len - 1 : len;
        if (base == n && strncmp(p, name, n) == 0) {
            *valued = base != len;
            return 1;
        }
        p += len;
    }
    return 0;
}

/*
 * Every "--name" must be one of the command's options, given once, and an option that takes a
 * value must have one, so a misspelt, repeated or incomplete option is an error rather than
 * silently ignored (the commands read the first occurrence: "--capital 100 --capital 200" ran
 * with 100). Returns -1 when the arguments are fine, else the exit code (after printing why).
 */
static int check_options(const cli_command *c, int argc, char **argv)
{
    int seen[64], nseen = 0; /* the options so far (a command has fewer than 64) */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] != '-' || a[2] == '\0')
            continue;
        size_t n = strcspn(a + 2, "=");
        int valued = 0;
        if (n == 4 && strncmp(a + 2, "help", 4) == 0)
            continue;
        if (!find_option(c->options, a + 2, n, &valued)) {
            fprintf(stderr, "cryptota %s: unknown option '--%.*s' (options: %s; see --help)\n", c->name, (int)n, a + 2,
                    *c->options ? c->options : "none");
            return 2;
        }
        if (a[2 + n] == '=' && !valued) {
            fprintf(stderr, "cryptota %s: option '--%.*s' takes no value\n", c->name, (int)n, a + 2);
            return 2;
        }
        for (int j = 0; j < nseen; j++) {
            const char *b = argv[seen[j]];
            if (strncmp(b + 2, a + 2, n) == 0 && (b[2 + n] == '\0' || b[2 + n] == '=')) {
                fprintf(stderr, "cryptota %s: option '--%.*s' is given more than once\n", c->name, (int)n, a + 2);
                return 2;
            }
        }
        if (nseen < (int)(sizeof(seen) / sizeof(seen[0])))
            seen[nseen++] = i;
        if (valued && a[2 + n] != '=') {
            if (i + 1 >= argc) {
                fprintf(stderr, "cryptota %s: option '--%.*s' needs a value\n", c->name, (int)n, a + 2);
                return 2;
            }
            i++; /* its value, which may itself start with "--" only if given as --name=value */
        }
    }
    return -1;
}

static void print_help(FILE *out)
{
    fprintf(out, "usage: cryptota <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(k_commands) / sizeof(k_commands[0]); i++)
        fprintf(out, "  %-12s %s\n", k_commands[i].name, k_commands[i].summary);
    fprintf(out, "\nRun 'cryptota <command> --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("cryptota %s (ABI %d)\n", ct_version_string(), (int)ct_abi_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof(k_commands) / sizeof(k_commands[0]); i++)
        if (strcmp(argv[1], k_commands[i].name) == 0) {
            int rc = check_options(&k_commands[i], argc - 1, argv + 1);
            return rc >= 0 ? rc : k_commands[i].fn(argc - 1, argv + 1);
        }
    fprintf(stderr, "cryptota: unknown command '%s'\n", argv[1]);
    print_help(stderr);
    return 2;
}

int cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "cryptota %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_usage(const char *cmd, const char *usage)
{
    fprintf(stderr, "usage: cryptota %s %s\n", cmd, usage);
    return 2;
}

/* 1 when a and b name one existing file (links included), or are the same text. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (strcmp(a, b) == 0)
        return 1;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int cli_check_outputs(const char *cmd, const char *input, int n, const char *const *names,
                      const char *const *paths)
{
    for (int i = 0; i < n; i++) {
        if (!paths[i] || strcmp(paths[i], "-") == 0)
            continue;
        if (input && same_file(paths[i], input)) {
            fprintf(stderr, "cryptota %s: --%s %s is the input file (writing it would destroy the candles)\n", cmd,
                    names[i], paths[i]);
            return 2;
        }
        for (int j = 0; j < i; j++)
            if (paths[j] && strcmp(paths[j], "-") != 0 && same_file(paths[i], paths[j])) {
                fprintf(stderr, "cryptota %s: --%s and --%s name the same file %s\n", cmd, names[j], names[i],
                        paths[i]);
                return 2;
            }
    }
    return 0;
}

int cli_load_candles(const char *cmd, const char *path, ct_feed **out)
{
    ct_status s = ct_feed_load(path, CT_GAPS_KEEP, out);
    if (s != CT_OK)
        return cli_fail(cmd, s, path);
    if (ct_feed_len(*out) == 0) {
        ct_feed_destroy(*out);
        *out = NULL;
        return cli_error(cmd, "%s has no candles", path);
    }
    return 0;
}

int cli_fail(const char *cmd, ct_status s, const char *what)
{
    const char *msg = ct_last_error();
    fprintf(stderr, "cryptota %s: %s%s%s (%s)\n", cmd, what ? what : "", what ? ": " : "",
            (msg && *msg) ? msg : ct_status_str(s), ct_status_name(s));
    return 1;
}

static int opt_match(const char *arg, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (arg[0] != '-' || arg[1] != '-' || strncmp(arg + 2, name, n) != 0)
        return 0;
    if (arg[2 + n] == '\0') {
        *value = NULL;
        return 1;
    }
    if (arg[2 + n] == '=') {
        *value = arg + 3 + n;
        return 1;
    }
    return 0;
}

const char *cli_opt(int argc, char **argv, const char *name)
{
    const char *v;
    for (int i = 1; i < argc; i++)
        if (opt_match(argv[i], name, &v))
            return v ? v : (i + 1 < argc ? argv[i + 1] : NULL);
    return NULL;
}

int cli_int_opt(const char *cmd, int argc, char **argv, const char *name, int64_t def, int64_t *out)
{
    const char *v = cli_opt(argc, argv, name);
    *out = def;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end != '\0' || errno == ERANGE) {
        fprintf(stderr, "cryptota %s: --%s '%s' is not an integer\n", cmd, name, v);
        return 2;
    }
    *out = (int64_t)x;
    return 0;
}

int cli_flag(int argc, char **argv, const char *name)
{
    const char *v;
    for (int i = 1; i < argc; i++)
        if (opt_match(argv[i], name, &v))
            return 1;
    return 0;
}

int cli_positionals(int argc, char **argv, const char *const *known_valued, char **pos, int cap)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-' && a[2]) {
            if (strchr(a, '='))
                continue;
            for (const char *const *k = known_valued; k && *k; k++)
                if (strcmp(a + 2, *k) == 0) {
                    i++;
                    break;
                }
            continue;
        }
        if (n < cap)
            pos[n] = argv[i];
        n++;
    }
    return n;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at p into *v; 1 on success. */
static int digits(const char *p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        x = x * 10 + (p[i] - '0');
    }
    *v = x;
    return 1;
}

/* Epoch ms (digits only), or YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z] in UTC: the whole text, a real
 * calendar date and time, nothing after it. */
int cli_parse_time(const char *s, int64_t *ms)
{
    if (!s || !*s)
        return -1;
    if (strspn(s, "0123456789") == strlen(s)) {
        errno = 0;
        long long v = strtoll(s, NULL, 10);
        if (errno == ERANGE)
            return -1;
        *ms = v;
        return 0;
    }
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
        mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
        return -1;
    const char *p = s + 10;
    if (*p == 'T' || *p == ' ') {
        if (!digits(p + 1, 2, &h) || p[3] != ':' || !digits(p + 4, 2, &mi) || h > 23 || mi > 59)
            return -1;
        p += 6;
        if (*p == ':') {
            if (!digits(p + 1, 2, &sec) || sec > 59)
                return -1;
            p += 3;
            if (*p == '.') {
                int nd = 0;
                for (p++; *p >= '0' && *p <= '9'; p++, nd++)
                    if (nd < 3)
                        frac = frac * 10 + (*p - '0');
                if (nd == 0)
                    return -1;
                for (; nd < 3; nd++)
                    frac *= 10;
            }
        }
    }
    if (*p == 'Z')
        p++;
    if (*p)
        return -1;
    *ms = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 60 + mi) * 60000 + (int64_t)sec * 1000 + frac;
    return 0;
}

const char *cli_fmt_time(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

int cli_stderr_tty(void) { return isatty(2); }

void cli_progress(const char *label, int64_t done, int64_t total, int final)
{
    if (!cli_stderr_tty())
        return;
    double f = total > 0 ? (double)done / (double)total : 0.0;
    if (f > 1)
        f = 1;
    int w = 30, filled = (int)(f * w);
    fprintf(stderr, "\r%-12s [", label);
    for (int i = 0; i < w; i++)
        fputc(i < filled ? '#' : '.', stderr);
    fprintf(stderr, "] %5.1f%% %lld/%lld", f * 100.0, (long long)done, (long long)total);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}
