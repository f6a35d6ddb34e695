/*
 * node.c: placeholder until the data API reader lands.
 */
#include "collectd.h"

#include "node.h"

int p2pool_node_config(oconfig_item_t *ci) {
  ERROR("p2pool plugin: <Node \"%s\"> is not supported by this build.",
        ci->values_num > 0 && ci->values[0].type == OCONFIG_TYPE_STRING
            ? ci->values[0].value.string
            : "");
  return -ENOTSUP;
}

int p2pool_node_init(void) { return 0; }

void p2pool_node_shutdown(void) {}
