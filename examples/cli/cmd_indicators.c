/* cryptota indicators [--json]: the indicator table (names, inputs, options, outputs). */
#include <cjson/cJSON.h>
#include <stdio.h>

#include "cli.h"

static void print_json(void)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "indicators");
    for (int32_t i = 0; i < ct_indicator_count(); i++) {
        const ct_indicator_info *ind = ct_indicator_at(i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", ct_indicator_name(ind));
        cJSON_AddStringToObject(o, "full_name", ct_indicator_full_name(ind));
        cJSON_AddStringToObject(o, "group", ct_indicator_group(ind));
        cJSON *ins = cJSON_AddArrayToObject(o, "inputs");
        for (int32_t k = 0; k < ct_indicator_n_inputs(ind); k++)
            cJSON_AddItemToArray(ins, cJSON_CreateString(ct_indicator_input_name(ind, k)));
        cJSON *opts = cJSON_AddArrayToObject(o, "options");
        for (int32_t k = 0; k < ct_indicator_n_options(ind); k++) {
            cJSON *op = cJSON_CreateObject();
            cJSON_AddStringToObject(op, "name", ct_indicator_option_name(ind, k));
            cJSON_AddNumberToObject(op, "default", ct_indicator_option_default(ind, k));
            cJSON_AddNumberToObject(op, "min", ct_indicator_option_min(ind, k));
            cJSON_AddNumberToObject(op, "max", ct_indicator_option_max(ind, k));
            cJSON_AddNumberToObject(op, "step", ct_indicator_option_step(ind, k));
            cJSON_AddBoolToObject(op, "integer", ct_indicator_option_is_integer(ind, k));
            cJSON_AddItemToArray(opts, op);
        }
        cJSON *outs = cJSON_AddArrayToObject(o, "outputs");
        for (int32_t k = 0; k < ct_indicator_n_outputs(ind); k++)
            cJSON_AddItemToArray(outs, cJSON_CreateString(ct_indicator_output_name(ind, k)));
        cJSON_AddNumberToObject(o, "lookback", ct_indicator_lookback(ind, NULL));
        cJSON_AddItemToArray(arr, o);
    }
    char *txt = cJSON_PrintUnformatted(root);
    printf("%s\n", txt);
    cJSON_free(txt);
    cJSON_Delete(root);
}

static void print_table(void)
{
    printf("%-11s %-10s %-22s %-36s %-28s %s\n", "name", "group", "inputs", "options (default)", "outputs", "lookback");
    for (int32_t i = 0; i < ct_indicator_count(); i++) {
        const ct_indicator_info *ind = ct_indicator_at(i);
        char ins[64] = "", opts[128] = "", outs[96] = "";
        size_t a = 0, b = 0, c = 0;
        for (int32_t k = 0; k < ct_indicator_n_inputs(ind); k++)
            a += (size_t)snprintf(ins + a, a < sizeof ins ? sizeof ins - a : 0, "%s%s", k ? "," : "",
                                  ct_indicator_input_name(ind, k));
        for (int32_t k = 0; k < ct_indicator_n_options(ind); k++)
            b += (size_t)snprintf(opts + b, b < sizeof opts ? sizeof opts - b : 0, "%s%s=%g", k ? " " : "",
                                  ct_indicator_option_name(ind, k), ct_indicator_option_default(ind, k));
        for (int32_t k = 0; k < ct_indicator_n_outputs(ind); k++)
            c += (size_t)snprintf(outs + c, c < sizeof outs ? sizeof outs - c : 0, "%s%s", k ? "," : "",
                                  ct_indicator_output_name(ind, k));
        printf("%-11s %-10s %-22s %-36s %-28s %d\n", ct_indicator_name(ind), ct_indicator_group(ind), ins,
               opts[0] ? opts : "-", outs, (int)ct_indicator_lookback(ind, NULL));
    }
    printf("\n%d indicators. Full names and option ranges: cryptota indicators --json\n", (int)ct_indicator_count());
}

int cmd_indicators(int argc, char **argv)
{
    static const char *const valued[] = {NULL};
    char *pos[1];
    if (cli_flag(argc, argv, "help") || cli_positionals(argc, argv, valued, pos, 1) != 0)
        return cli_usage("indicators", "[--json]");
    if (cli_flag(argc, argv, "json"))
        print_json();
    else
        print_table();
    return 0;
}
