/*
 * events_index.c: sorted index of wallet addresses. See events_index.h.
 */
#include "events_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int compare_entries(const void *a, const void *b) {
  const p2pool_address_entry_t *left = a;
  const p2pool_address_entry_t *right = b;
  int order = strcmp(left->address, right->address);
  if (order != 0)
    return order;
  return (left->wallet > right->wallet) - (left->wallet < right->wallet);
}

int p2pool_address_index_build(p2pool_address_index_t *index,
                               const char *const *addresses, size_t num) {
  index->entries = NULL;
  index->num = 0;
  if (num == 0)
    return 0;

  index->entries = calloc(num, sizeof(*index->entries));
  if (index->entries == NULL)
    return -ENOMEM;

  for (size_t i = 0; i < num; i++) {
    if (addresses[i] == NULL)
      continue;
    index->entries[index->num].address = addresses[i];
    index->entries[index->num].wallet = i;
    index->num++;
  }

  qsort(index->entries, index->num, sizeof(*index->entries), compare_entries);
  return 0;
}

void p2pool_address_index_free(p2pool_address_index_t *index) {
  if (index == NULL)
    return;

  free(index->entries);
  index->entries = NULL;
  index->num = 0;
}

size_t p2pool_address_index_find(const p2pool_address_index_t *index,
                                 const char *address,
                                 const p2pool_address_entry_t **first) {
  *first = NULL;
  if (address == NULL || index->num == 0)
    return 0;

  /* Lower bound: the first entry not less than address. */
  size_t low = 0;
  size_t high = index->num;
  while (low < high) {
    size_t middle = low + (high - low) / 2;
    if (strcmp(index->entries[middle].address, address) < 0)
      low = middle + 1;
    else
      high = middle;
  }

  size_t end = low;
  while (end < index->num && strcmp(index->entries[end].address, address) == 0)
    end++;
  if (end == low)
    return 0;

  *first = &index->entries[low];
  return end - low;
}
