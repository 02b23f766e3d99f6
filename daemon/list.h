/*
 * A circular doubly-linked intrusive list, the kernel's shape: an empty list points at itself,
 * so insertion and removal never branch, and a removed node is re-initialised so that removing
 * it twice is harmless.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct list_head {
        struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name)     \
        {                        \
                &(name), &(name) \
        }

static inline void list_init(struct list_head *h)
{
        h->next = h;
        h->prev = h;
}

static inline bool list_empty(const struct list_head *h)
{
        return h->next == h;
}

static inline void list_add_tail(struct list_head *node, struct list_head *h)
{
        node->prev = h->prev;
        node->next = h;
        h->prev->next = node;
        h->prev = node;
}

static inline void list_del(struct list_head *node)
{
        node->prev->next = node->next;
        node->next->prev = node->prev;
        list_init(node);
}

#define list_entry(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Iterate safely against removal of the current node. */
#define list_for_each_safe(pos, tmp, head) \
        for (pos = (head)->next, tmp = pos->next; pos != (head); pos = tmp, tmp = pos->next)
