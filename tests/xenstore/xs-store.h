/* xs-store: the in-memory tree behind xs-test-server.  Paths are absolute
 * and already validated (xs_path_resolve); functions return 0 or an errno. */
#ifndef XS_STORE_H
#define XS_STORE_H
#include <stddef.h>

/* The implicit directory of a socket client (see FACTS.md). */
#define XS_HOME "/local/domain/0"

/* Make `path` absolute (relative paths live under XS_HOME) and check it the
 * way xenstored does.  Returns a malloc'ed path, or NULL (invalid: EINVAL). */
char *xs_path_resolve(const char *path);

int xs_store_read(const char *path, const char **val, size_t *len);
int xs_store_write(const char *path, const char *val, size_t len);
int xs_store_mkdir(const char *path);
int xs_store_rm(const char *path);
/* Children names, each followed by a NUL, into buf (E2BIG if too long). */
int xs_store_dir(const char *path, char *buf, size_t size, size_t *len);
void xs_store_free(void);

/* 1 if `node` is `dir` or below it. */
int xs_path_under(const char *node, const char *dir);

#endif
