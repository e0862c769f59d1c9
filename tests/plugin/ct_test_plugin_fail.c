/* A plugin whose ct_plugin_init fails: ct_plugin_load reports CT_E_PLUGIN with its status. */
#include <cryptota/cryptota.h>

CT_PLUGIN_API ct_status ct_plugin_init(void);
CT_PLUGIN_API ct_status ct_plugin_init(void) { return CT_E_UNSUPPORTED; }
