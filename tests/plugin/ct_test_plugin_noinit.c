/* A shared object without ct_plugin_init: ct_plugin_load must refuse it clearly. */
int ct_test_plugin_something(void);
int ct_test_plugin_something(void) { return 42; }
