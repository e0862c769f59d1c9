/* cryptota strategies [--json] [--plugin LIB.so]: the strategy classes and their parameter schemas. */
#include <stdio.h>

#include "cli.h"

int cmd_strategies(int argc, char **argv)
{
    static const char *const valued[] = {"plugin", NULL};
    char *pos[1];
    if (cli_flag(argc, argv, "help") || cli_positionals(argc, argv, valued, pos, 1) != 0)
        return cli_usage("strategies", "[--json] [--plugin LIB.so]");
    const char *plugin = cli_opt(argc, argv, "plugin");
    if (plugin) {
        ct_status s = ct_plugin_load(plugin);
        if (s != CT_OK)
            return cli_fail("strategies", s, plugin);
    }
    if (cli_flag(argc, argv, "json")) {
        char *js = NULL;
        ct_status s = ct_strategy_classes_json(&js);
        if (s != CT_OK)
            return cli_fail("strategies", s, NULL);
        printf("%s\n", js);
        ct_free(js);
        return 0;
    }
    int32_t n = ct_strategy_class_count();
    for (int32_t i = 0; i < n; i++) {
        const ct_strategy_class *c = ct_strategy_class_at(i);
        if (!c)
            break;
        printf("%s%s\n  %s\n", ct_strategy_class_name(c), ct_strategy_class_is_builtin(c) ? "" : " (plugin)",
               ct_strategy_class_description(c));
        printf("  %-14s %-5s %10s %10s %10s %8s  %s\n", "parameter", "kind", "default", "min", "max", "step",
               "description");
        for (int32_t k = 0; k < ct_strategy_class_n_params(c); k++) {
            const char *name, *desc;
            int32_t kind;
            double def, mn, mx, step;
            ct_strategy_class_param(c, k, &name, &kind, &def, &mn, &mx, &step, &desc);
            printf("  %-14s %-5s %10g %10g %10g %8g  %s\n", name, ct_param_kind_name(kind), def, mn, mx, step, desc);
        }
        printf("\n");
    }
    return 0;
}
