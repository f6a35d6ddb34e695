/*
 * node.h: <Node> blocks, each reading a local P2Pool node's data API
 * (the --data-api directory, or a URL that serves it).
 */
#ifndef P2POOL_NODE_H
#define P2POOL_NODE_H

#include "context.h"

/* Parses one <Node "name"> block into p2pool_g.nodes. */
int p2pool_node_config(oconfig_item_t *ci);

/* Starts each node's worker thread and registers its read callback. */
int p2pool_node_init(void);

/* Stops and joins every node's worker thread. */
void p2pool_node_stop(void);

/* Stops the worker threads that still run, and frees every node. Called
 * after collectd stopped the read threads. */
void p2pool_node_shutdown(void);

#endif /* P2POOL_NODE_H */
