/*
 * cryptota merge SHARD.json... [--json OUT] [--top K]
 *
 * Merges the JSON outputs of `cryptota optimize --shard K/N` into exactly the table a single run
 * gives, overfitting statistics included (DESIGN.md section 9). OUT "-" is stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_merge(int argc, char **argv)
{
    static const char *const valued[] = {"json", "top", NULL};
    int n = cli_positionals(argc, argv, valued, NULL, 0);
    if (cli_flag(argc, argv, "help") || n < 1)
        return cli_usage("merge", "SHARD.json... [--json OUT] [--top K]");
    char **paths = calloc((size_t)n, sizeof(char *));
    char **docs = calloc((size_t)n, sizeof(char *));
    int rc = 0;
    if (!paths || !docs) {
        free(paths);
        free(docs);
        return cli_error("merge", "out of memory");
    }
    cli_positionals(argc, argv, valued, paths, n);
    for (int i = 0; i < n && rc == 0; i++)
        if (!(docs[i] = cli_read_text(paths[i])))
            rc = cli_error("merge", "cannot read %s", paths[i]);
    ct_optimizer *o = NULL;
    if (rc == 0) {
        ct_status s = ct_optimizer_merge_json((const char *const *)docs, n, &o);
        if (s != CT_OK)
            rc = cli_fail("merge", s, NULL);
    }
    const char *json = cli_opt(argc, argv, "json");
    int64_t ntop = 10;
    if (rc == 0 && cli_int_opt("merge", argc, argv, "top", 10, &ntop))
        rc = 2;
    if (rc == 0 && json) {
        char *txt;
        ct_status s = ct_optimizer_json(o, 0, &txt);
        if (s != CT_OK)
            rc = cli_fail("merge", s, "json");
        else {
            rc = cli_write_text("merge", json, txt);
            ct_free(txt);
        }
    }
    if (rc == 0 && !(json && strcmp(json, "-") == 0))
        cli_opt_print_table(stdout, o, ntop);
    ct_optimizer_destroy(o);
    for (int i = 0; i < n; i++)
        free(docs[i]);
    free(docs);
    free(paths);
    return rc;
}
