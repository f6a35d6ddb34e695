/*
 * config.h: the <Plugin p2pool> block.
 *
 * Every option is validated while collectd reads its configuration, and an
 * invalid one makes the callback fail, which stops collectd with a message
 * naming the option and its value. No network or file access happens here
 * (NixOS validates configurations in a sandbox).
 */
#ifndef P2POOL_CONFIG_H
#define P2POOL_CONFIG_H

#include "collectd.h"

#include "liboconfig/oconfig.h"

/* The complex config callback of plugin "p2pool". */
int p2pool_config(oconfig_item_t *ci);

/* Reads the block's single string argument (its name) into *name, checking
 * that it fits collectd's name fields and is not taken by another source,
 * since names become plugin instances. kind names the block in messages. */
int p2pool_config_get_name(const oconfig_item_t *ci, const char *kind,
                           char **name);

/* Reads a time option and checks min <= value <= max (in seconds). */
int p2pool_config_get_seconds(const oconfig_item_t *ci, double min, double max,
                              cdtime_t *value);

/* Reads a URL option whose scheme is one of schemes (e.g. "http", "https").
 * Trailing slashes are removed. */
int p2pool_config_get_url(const oconfig_item_t *ci, const char *const *schemes,
                          char **url);

/* Frees everything the configuration allocated. */
void p2pool_config_free(void);

#endif /* P2POOL_CONFIG_H */
