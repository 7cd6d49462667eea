#!/bin/sh
# Regenerate the Debian symbols files from the linker version scripts:
#   lib/libxenchannel.sym           -> debian/libxenchannel0.symbols
#   lib-glib/libxenchannel-glib.sym -> debian/libxenchannel-glib0.symbols
# Each map has one version node; its symbols appeared in the upstream version
# given with it (libxenchannel's LIBXENCHANNEL_0.2 in 0.2.0, when the ABI was
# cut down to the agent API; libxenchannel-glib's in 0.1.0). When a release
# adds a node, edit the symbols files by hand instead (new symbols get the
# upstream version that introduced them). debian/rules runs
# dpkg-gensymbols -c4: any difference with the built library fails the build.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

gen() { # MAP SONAME PACKAGE DEV_PACKAGE SINCE
        node=$(sed -n 's/^\([A-Z0-9_.]*\) *{.*/\1/p' "$1" | head -n1)
        {
                echo "$2 $3 #MINVER#"
                echo "* Build-Depends-Package: $4"
                echo " $node@$node $5"
                sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);.*/\1/p' "$1" | sort -u |
                        sed "s/.*/ &@$node $5/"
        } >"$here/debian/$3.symbols"
}

gen "$here/../lib/libxenchannel.sym" libxenchannel.so.0 libxenchannel0 libxenchannel-dev 0.2.0
gen "$here/../lib-glib/libxenchannel-glib.sym" libxenchannel-glib.so.0 libxenchannel-glib0 libxenchannel-glib-dev 0.1.0
