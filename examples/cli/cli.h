/* Shared pieces of the cryptota command: subcommand table, option parsing, output helpers. */
#ifndef CT_CLI_H
#define CT_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "cryptota/cryptota.h"

/* A subcommand: returns the process exit code. argv[0] is the subcommand name. */
typedef int (*cli_cmd_fn)(int argc, char **argv);

/* Each cmd_<name>.c defines one of these. */
int cmd_info(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_indicators(int argc, char **argv);
int cmd_ta(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_strategies(int argc, char **argv);
int cmd_backtest(int argc, char **argv);
int cmd_optimize(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_walkforward(int argc, char **argv);
/* Helpers of the optimizer commands (cmd_optimize.c): read a file; JSON text or a file path;
 * write text to a path or "-" (stdout); the progress callback; the summary table; the shared
 * set-up of optimize and walkforward (returns an exit code, 0 on success). */
char *cli_read_text(const char *path);
char *cli_json_arg(const char *v);
int cli_write_text(const char *cmd, const char *path, const char *text);
int32_t cli_opt_progress(void *user, int64_t done, int64_t total, double best, double eta);
void cli_opt_print_table(FILE *out, const ct_optimizer *o, int64_t top);
int cli_opt_setup(const char *cmd, int argc, char **argv, const char *file, ct_feed **feed, ct_optimizer **out);

/* Print "cryptota <cmd>: <msg>" on stderr and return exit code 1 (or 2 for usage). */
int cli_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int cli_usage(const char *cmd, const char *usage);
/* Report a failed library call: status name plus the library's message. */
int cli_fail(const char *cmd, ct_status s, const char *what);
/* Load a candle file to run on (gaps kept); a file without rows is an error, since a run over no
 * bars would report the capital as its result. Returns 0, or prints the error and returns 1. */
int cli_load_candles(const char *cmd, const char *path, ct_feed **out);

/* The output files of a command, named by their options (names[i] for paths[i], NULL paths
 * skipped, "-" is stdout): none may be the input file, which writing would destroy, and no two
 * may be one file. Returns 0, or prints the error and returns 2. */
int cli_check_outputs(const char *cmd, const char *input, int n, const char *const *names,
                      const char *const *paths);

/* Option lookup over argv: "--name value" or "--name=value". Returns NULL if absent. */
const char *cli_opt(int argc, char **argv, const char *name);
/* Integer option "--name N": *out = N, or def when absent. Returns 0, or 2 after printing an
 * error naming the option when the text is not an integer. */
int cli_int_opt(const char *cmd, int argc, char **argv, const char *name, int64_t def, int64_t *out);
/* 1 if the flag "--name" is present. */
int cli_flag(int argc, char **argv, const char *name);
/* Positional arguments (not options and not option values); known_valued lists the options that
 * take a value, NULL-terminated. Returns the count and fills pos (up to cap). */
int cli_positionals(int argc, char **argv, const char *const *known_valued, char **pos, int cap);

/* Parse a time given as epoch ms or ISO-8601 YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z] (UTC): the whole
 * text, a real date. Returns 0 on success. */
int cli_parse_time(const char *s, int64_t *ms);
/* Format epoch ms as "YYYY-MM-DDTHH:MM:SSZ" into buf. */
const char *cli_fmt_time(int64_t ms, char *buf, size_t cap);

/* 1 when stderr is a terminal (progress bars go there). */
int cli_stderr_tty(void);
/* Draw a progress bar on stderr: done/total with a label; final=1 ends the line. */
void cli_progress(const char *label, int64_t done, int64_t total, int final);

#endif
