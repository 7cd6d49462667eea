/* xs-store: a flat list of nodes is plenty for tests; every node's parents
 * exist (writes create them), so a directory is just the nodes one level
 * below it. */
#define _GNU_SOURCE
#include "xs-store.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
        char *path;
        char *val;
        size_t len;
};

static struct node *nodes;
static size_t n_nodes, cap_nodes;

char *xs_path_resolve(const char *path)
{
        char *abs;
        size_t n;

        if (asprintf(&abs, path[0] == '/' ? "%s" : XS_HOME "/%s", path) < 0)
                return NULL;
        n = strlen(abs);
        /* Same rules as xenstored's is_valid_nodename(). */
        if (n > 3072 || strstr(abs, "//") || (n > 1 && abs[n - 1] == '/') ||
            strspn(abs, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789-/_@") != n) {
                free(abs);
                return NULL;
        }
        return abs;
}

int xs_path_under(const char *node, const char *dir)
{
        size_t n = strlen(dir);
        if (strcmp(dir, "/") == 0)
                return 1;
        return strncmp(node, dir, n) == 0 && (node[n] == '\0' || node[n] == '/');
}

static struct node *find(const char *path)
{
        for (size_t i = 0; i < n_nodes; i++)
                if (strcmp(nodes[i].path, path) == 0)
                        return &nodes[i];
        return NULL;
}

/* Find or create `path`, creating its parents first (with empty values). */
static struct node *get(const char *path)
{
        struct node *nd = find(path);
        char *parent, *slash;

        if (nd)
                return nd;
        if (strcmp(path, "/") != 0) {
                parent = strdup(path);
                if (!parent)
                        return NULL;
                slash = strrchr(parent, '/');
                slash[slash == parent ? 1 : 0] = '\0';
                nd = get(parent);
                free(parent);
                if (!nd)
                        return NULL;
        }
        if (n_nodes == cap_nodes) {
                size_t cap = cap_nodes ? 2 * cap_nodes : 64;
                nd = realloc(nodes, cap * sizeof(*nodes));
                if (!nd)
                        return NULL;
                nodes = nd;
                cap_nodes = cap;
        }
        nd = &nodes[n_nodes];
        *nd = (struct node){ strdup(path), strdup(""), 0 };
        if (!nd->path || !nd->val) {
                free(nd->path);
                free(nd->val);
                return NULL;
        }
        n_nodes++;
        return nd;
}

int xs_store_read(const char *path, const char **val, size_t *len)
{
        struct node *nd = find(path);
        if (!nd)
                return strcmp(path, "/") == 0 ? (*val = "", *len = 0, 0) : ENOENT;
        *val = nd->val;
        *len = nd->len;
        return 0;
}

int xs_store_write(const char *path, const char *val, size_t len)
{
        struct node *nd = get(path);
        char *copy = malloc(len + 1);

        if (!nd || !copy) {
                free(copy);
                return ENOMEM;
        }
        memcpy(copy, val, len);
        copy[len] = '\0';
        free(nd->val);
        nd->val = copy;
        nd->len = len;
        return 0;
}

int xs_store_mkdir(const char *path)
{
        return get(path) ? 0 : ENOMEM;
}

int xs_store_rm(const char *path)
{
        size_t i, kept = 0;
        char *parent;
        int found;

        if (strcmp(path, "/") == 0)
                return EINVAL;
        if (!find(path)) {
                /* Like xenstored: removing a missing node is fine if its parent
         * exists, an error otherwise. */
                parent = strdup(path);
                if (!parent)
                        return ENOMEM;
                *strrchr(parent, '/') = '\0';
                found = parent[0] == '\0' || find(parent);
                free(parent);
                return found ? 0 : ENOENT;
        }
        for (i = 0; i < n_nodes; i++) {
                if (xs_path_under(nodes[i].path, path)) {
                        free(nodes[i].path);
                        free(nodes[i].val);
                } else {
                        nodes[kept++] = nodes[i];
                }
        }
        n_nodes = kept;
        return 0;
}

int xs_store_dir(const char *path, char *buf, size_t size, size_t *len)
{
        size_t plen = strcmp(path, "/") == 0 ? 0 : strlen(path), n;
        const char *name;

        if (plen && !find(path))
                return ENOENT;
        *len = 0;
        for (size_t i = 0; i < n_nodes; i++) {
                /* Children only: below path, not path itself, one level down. */
                if (strlen(nodes[i].path) <= plen + 1 || !xs_path_under(nodes[i].path, path))
                        continue;
                name = nodes[i].path + plen + 1;
                if (strchr(name, '/'))
                        continue;
                n = strlen(name) + 1;
                if (*len + n > size)
                        return E2BIG;
                memcpy(buf + *len, name, n);
                *len += n;
        }
        return 0;
}

void xs_store_free(void)
{
        for (size_t i = 0; i < n_nodes; i++) {
                free(nodes[i].path);
                free(nodes[i].val);
        }
        free(nodes);
        nodes = NULL;
        n_nodes = cap_nodes = 0;
}
