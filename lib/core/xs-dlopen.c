/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dlopen() of libxenstore by the soname the build found (XC_XENSTORE_SONAME,
 * from meson), on the first xenstore read. The package relations
 * (debian/control Depends, the RPM's Requires) and the ELF note below name
 * the same soname; tests/abi/test-dlopen-note.py checks that they agree.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

#include "../xc-private.h"
#include "config.h"
#include "elf-note.h"
#include "xs-dlopen.h"

XC_ELF_NOTE_DLOPEN(xc_dlopen_note_xenstore,
                   "[{\"feature\":\"xenstore\","
                   "\"description\":\"Read each channel's name from xenstore\","
                   "\"priority\":\"required\","
                   "\"soname\":[\"" XC_XENSTORE_SONAME "\"]}]");

static struct xc_xs_lib lib;
static bool loaded;

static bool resolve(void *dl, void *slot, const char *symbol)
{
        void *p = dlsym(dl, symbol);

        /* POSIX: a void * from dlsym() converts to a function pointer. */
        *(void **)slot = p;
        return p != NULL;
}

const struct xc_xs_lib *xc_xs_lib(struct xen_channel_ctx *ctx, int devid)
{
        void *dl;

        if (loaded)
                return &lib;
        dl = dlopen(XC_XENSTORE_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                const char *why = dlerror();

                xc_fail(ctx, -ENOPKG, XC_OBJ_XENSTORE, devid, XC_XENSTORE_SONAME,
                        "cannot load %s (package libxenstore): %s", XC_XENSTORE_SONAME,
                        why ? why : "unknown error");
                return NULL;
        }
        if (!resolve(dl, &lib.open, "xs_open") || !resolve(dl, &lib.close, "xs_close") ||
            !resolve(dl, &lib.read, "xs_read") || !resolve(dl, &lib.write, "xs_write") ||
            !resolve(dl, &lib.directory, "xs_directory") ||
            !resolve(dl, &lib.destroy_postfork, "xs_daemon_destroy_postfork") ||
            !resolve(dl, &lib.watch, "xs_watch") || !resolve(dl, &lib.fileno, "xs_fileno") ||
            !resolve(dl, &lib.check_watch, "xs_check_watch")) {
                const char *why = dlerror();

                xc_fail(ctx, -ENOPKG, XC_OBJ_XENSTORE, devid, XC_XENSTORE_SONAME,
                        "%s lacks a function xen-channel needs: %s", XC_XENSTORE_SONAME,
                        why ? why : "unknown error");
                dlclose(dl);
                return NULL;
        }
        /* Never closed: the process keeps using it until it exits. */
        loaded = true;
        return &lib;
}
