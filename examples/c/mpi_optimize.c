/*
 * mpi_optimize: a grid search spread over MPI ranks with the optimizer's shards.
 *
 * Rank k of n evaluates shard k of n (the combinations whose index i has i % n == k) on its own
 * threads and sends the shard's JSON table to rank 0, which merges the n documents with
 * ct_optimizer_merge_json into exactly the table one process gives, overfitting statistics
 * included, and writes it. Every rank reads the candle file itself (shared storage or a copy).
 *
 *   mpirun -np 4 mpi_optimize FILE --strategy NAME --grid JSON [--metric M] [--minimize]
 *          [--threads N] [--csv OUT.csv] [--json OUT.json] [--top K]
 *
 * --grid is the JSON search space of ct_optimizer_set_grid_json (e.g. '{"rsi_period":[7,14,21]}').
 * --metric defaults to sharpe_ratio, maximized unless --minimize; --threads (per rank) defaults
 * to 1 so that ranks placed on one machine do not oversubscribe it. Rank 0 prints the top K rows
 * (default 5).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include <cryptota/cryptota.h>

typedef struct {
    const char *file, *strategy, *grid, *metric, *csv, *json;
    int minimize, threads, top;
} options;

static const char *opt_value(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

static int parse_options(int argc, char **argv, options *op)
{
    memset(op, 0, sizeof(*op));
    op->file = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
    op->strategy = opt_value(argc, argv, "--strategy");
    op->grid = opt_value(argc, argv, "--grid");
    op->metric = opt_value(argc, argv, "--metric");
    op->csv = opt_value(argc, argv, "--csv");
    op->json = opt_value(argc, argv, "--json");
    const char *th = opt_value(argc, argv, "--threads"), *top = opt_value(argc, argv, "--top");
    op->threads = th ? atoi(th) : 1;
    op->top = top ? atoi(top) : 5;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--minimize") == 0)
            op->minimize = 1;
    if (!op->metric)
        op->metric = "sharpe_ratio";
    return op->file && op->strategy && op->grid ? 0 : -1;
}

/* This rank's shard as a JSON document (caller frees with ct_free), or NULL after printing why. */
static char *run_shard(const options *op, int rank, int size)
{
    ct_feed *feed = NULL;
    ct_optimizer *o = NULL;
    char *doc = NULL;
    const ct_strategy_class *cls = ct_strategy_class_find(op->strategy);
    ct_status s = ct_feed_load(op->file, CT_GAPS_KEEP, &feed);
    if (s == CT_OK && !cls)
        s = CT_E_NOT_FOUND;
    if (s == CT_OK)
        s = ct_optimizer_create(feed, cls, &o);
    if (s == CT_OK)
        s = ct_optimizer_set_objective(o, op->metric, !op->minimize);
    if (s == CT_OK)
        s = ct_optimizer_set_threads(o, op->threads);
    if (s == CT_OK)
        s = ct_optimizer_set_grid_json(o, op->grid);
    if (s == CT_OK)
        s = ct_optimizer_set_shard(o, rank, size);
    if (s == CT_OK)
        s = ct_optimizer_run(o);
    if (s == CT_OK)
        s = ct_optimizer_json(o, 0, &doc); /* a shard for merging needs every row */
    if (s != CT_OK)
        fprintf(stderr, "mpi_optimize: rank %d: %s: %s\n", rank, ct_status_name(s),
                o && *ct_optimizer_errmsg(o) ? ct_optimizer_errmsg(o) : ct_last_error());
    ct_optimizer_destroy(o);
    ct_feed_destroy(feed);
    return doc;
}

static int write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    if (!fp) {
        fprintf(stderr, "mpi_optimize: cannot write %s\n", path);
        return -1;
    }
    size_t n = strlen(text);
    fputs(text, fp);
    if (n == 0 || text[n - 1] != '\n')
        fputc('\n', fp); /* like the cryptota command's files */
    if (fclose(fp) != 0) {
        fprintf(stderr, "mpi_optimize: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

/* Rank 0: merge the shard documents, write the outputs and print the top rows. */
static int merge_and_write(const options *op, const char *const *docs, int n)
{
    ct_optimizer *m = NULL;
    ct_status s = ct_optimizer_merge_json(docs, n, &m);
    if (s != CT_OK) {
        fprintf(stderr, "mpi_optimize: merge: %s: %s\n", ct_status_name(s), ct_last_error());
        return 1;
    }
    int rc = 0;
    char *text = NULL;
    if (op->csv && ((s = ct_optimizer_csv(m, &text)) != CT_OK || write_file(op->csv, text) != 0))
        rc = 1;
    ct_free(text);
    text = NULL;
    if (rc == 0 && op->json && ((s = ct_optimizer_json(m, 0, &text)) != CT_OK || write_file(op->json, text) != 0))
        rc = 1;
    ct_free(text);
    int64_t total = 0, evaluated = 0, skipped = 0;
    ct_optimizer_counts(m, &total, &evaluated, &skipped);
    printf("%d ranks: %lld combinations, %lld evaluated, %lld skipped; objective %s (%s)\n", n, (long long)total,
           (long long)evaluated, (long long)skipped, ct_optimizer_objective(m),
           ct_optimizer_maximize(m) ? "maximize" : "minimize");
    for (int64_t r = 0; r < ct_optimizer_row_count(m) && r < op->top; r++) {
        int64_t index = 0;
        double objective = 0;
        char *params = NULL;
        if (ct_optimizer_row(m, r, &index, &objective) == CT_OK && ct_optimizer_row_params_json(m, r, &params) == CT_OK)
            printf("%3lld  #%-6lld %-14.6g %s\n", (long long)r + 1, (long long)index, objective, params);
        ct_free(params);
    }
    ct_optimizer_destroy(m);
    return rc;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    options op;
    if (parse_options(argc, argv, &op) != 0) {
        if (rank == 0)
            fprintf(stderr, "usage: mpirun -np N mpi_optimize FILE --strategy NAME --grid JSON [--metric M] "
                            "[--minimize] [--threads N] [--csv OUT] [--json OUT] [--top K]\n");
        MPI_Finalize();
        return 2;
    }

    char *doc = run_shard(&op, rank, size);
    size_t len = doc ? strlen(doc) + 1 : 0;
    /* Every rank learns whether all shards succeeded, so none waits for a message that never comes. */
    int ok = doc != NULL && len <= (size_t)INT_MAX, all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!all_ok) {
        ct_free(doc);
        MPI_Finalize();
        return 1;
    }

    /* Gather the documents' lengths, then the documents, on rank 0. */
    int my_len = (int)len;
    int *lens = NULL, *displs = NULL;
    char *all = NULL;
    int rc = 0;
    if (rank == 0) {
        lens = calloc((size_t)size, sizeof(int));
        displs = calloc((size_t)size, sizeof(int));
    }
    MPI_Gather(&my_len, 1, MPI_INT, lens, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        size_t total = 0;
        for (int i = 0; i < size; i++) {
            displs[i] = (int)total;
            total += (size_t)lens[i];
        }
        all = total <= (size_t)INT_MAX ? malloc(total) : NULL;
        if (!all || !lens || !displs) {
            fprintf(stderr, "mpi_optimize: out of memory gathering %zu bytes\n", total);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
    MPI_Gatherv(doc, my_len, MPI_CHAR, all, lens, displs, MPI_CHAR, 0, MPI_COMM_WORLD);
    ct_free(doc);

    if (rank == 0) {
        const char **docs = calloc((size_t)size, sizeof(char *));
        if (!docs) {
            fprintf(stderr, "mpi_optimize: out of memory\n");
            rc = 1;
        } else {
            for (int i = 0; i < size; i++)
                docs[i] = all + displs[i];
            rc = merge_and_write(&op, docs, size);
        }
        free(docs);
    }
    free(all);
    free(lens);
    free(displs);
    MPI_Finalize();
    return rc;
}
