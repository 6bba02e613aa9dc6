#!/usr/bin/env bash
# Installs coveo-ua's headers, libraries, pkg-config file and CMake package.
# Called by `make install`; reads its settings from the environment:
#   PREFIX (required), LIBDIR (default $PREFIX/lib), INCLUDEDIR (default
#   $PREFIX/include), DESTDIR (staging root, default none), VERSION (required),
#   LIB_SO, LIB_A (the built libraries), LIBS_PRIVATE (system libraries the
#   static library needs, as linker flags), RELOCATABLE (1: the pkg-config
#   file finds the prefix from its own place, ${pcfiledir}/../.., so the tree
#   can be moved or unpacked anywhere; needs the default LIBDIR and INCLUDEDIR;
#   used by `make dist`).
#
# Layout:
#   $INCLUDEDIR/coveo_ua.h, coveo_ua.hpp
#   $LIBDIR/libcoveo_ua.so.$VERSION   (SONAME libcoveo_ua.so.$SOVERSION)
#   $LIBDIR/libcoveo_ua.so.$SOVERSION -> libcoveo_ua.so.$VERSION  (what programs load)
#   $LIBDIR/libcoveo_ua.so -> libcoveo_ua.so.$SOVERSION            (what -lcoveo_ua finds)
#   $LIBDIR/libcoveo_ua.a
#   $LIBDIR/pkgconfig/coveo_ua.pc
#   $LIBDIR/cmake/coveo_ua/coveo_uaConfig.cmake, coveo_uaConfigVersion.cmake
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
: "${PREFIX:?set PREFIX}" "${VERSION:?set VERSION}"
LIBDIR=${LIBDIR:-$PREFIX/lib}
INCLUDEDIR=${INCLUDEDIR:-$PREFIX/include}
DESTDIR=${DESTDIR:-}
# The release build: $CARGO_TARGET_DIR (relative: to the repository) or target/.
target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in /*) ;; *) target_dir=$repo/$target_dir ;; esac
LIB_SO=${LIB_SO:-$target_dir/release/libcoveo_ua.so}
LIB_A=${LIB_A:-$target_dir/release/libcoveo_ua.a}
LIBS_PRIVATE=${LIBS_PRIVATE:-}
RELOCATABLE=${RELOCATABLE:-0}

# The C ABI contract's version: a new contract means a new SONAME.
SOVERSION=0
soname=libcoveo_ua.so.$SOVERSION
real=libcoveo_ua.so.$VERSION

for f in "$LIB_SO" "$LIB_A" "$repo/include/coveo_ua.h" "$repo/include/coveo_ua.hpp"; do
    [ -f "$f" ] || { echo "install: $f is missing (run 'make build')" >&2; exit 1; }
done
case "$PREFIX$LIBDIR$INCLUDEDIR" in
    *[!A-Za-z0-9/._+-]*) echo "install: paths with spaces or special characters are not supported" >&2; exit 1 ;;
esac
if [ "$RELOCATABLE" = 1 ] && { [ "$LIBDIR" != "$PREFIX/lib" ] || [ "$INCLUDEDIR" != "$PREFIX/include" ]; }; then
    echo "install: RELOCATABLE=1 needs LIBDIR=\$PREFIX/lib and INCLUDEDIR=\$PREFIX/include" >&2
    exit 1
fi

lib=$DESTDIR$LIBDIR
inc=$DESTDIR$INCLUDEDIR
install -d "$inc" "$lib/pkgconfig" "$lib/cmake/coveo_ua"
install -m 644 "$repo/include/coveo_ua.h" "$repo/include/coveo_ua.hpp" "$inc/"
install -m 755 "$LIB_SO" "$lib/$real"
install -m 644 "$LIB_A" "$lib/libcoveo_ua.a"
ln -sfn "$real" "$lib/$soname"
ln -sfn "$soname" "$lib/libcoveo_ua.so"

# The SONAME should come from the link (build.rs); patchelf is the fallback.
current=$(readelf -d "$lib/$real" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$current" != "$soname" ]; then
    if [ -n "$current" ]; then
        echo "install: $LIB_SO has SONAME $current, expected $soname" >&2
        exit 1
    fi
    if ! command -v patchelf >/dev/null; then
        echo "install: $LIB_SO has no SONAME and patchelf is missing;" \
             "link with -Wl,-soname,$soname or install patchelf" >&2
        exit 1
    fi
    patchelf --set-soname "$soname" "$lib/$real"
    echo "install: set SONAME $soname with patchelf (the build did not set it)"
fi

# CMake wants plain library names; pthread comes through Threads::Threads.
cmake_libs=
for flag in $LIBS_PRIVATE; do
    case "$flag" in
        -lpthread | -lc) ;;
        -l*) cmake_libs="$cmake_libs${cmake_libs:+;}${flag#-l}" ;;
    esac
done
includedir_from_libdir=$(realpath -m --relative-to="$LIBDIR" "$INCLUDEDIR")
sizeof_void_p=$(( $(getconf LONG_BIT) / 8 ))

substitute() {
    sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@LIBDIR@|$LIBDIR|g" -e "s|@INCLUDEDIR@|$INCLUDEDIR|g" \
        -e "s|@VERSION@|$VERSION|g" -e "s|@VERSION_MAJOR@|${VERSION%%.*}|g" \
        -e "s|@VERSION_MINOR@|$(echo "$VERSION" | cut -d. -f2)|g" \
        -e "s|@SOVERSION@|$SOVERSION|g" -e "s|@LIBS_PRIVATE@|$LIBS_PRIVATE|g" \
        -e "s|@CMAKE_LIBS_PRIVATE@|$cmake_libs|g" \
        -e "s|@INCLUDEDIR_FROM_LIBDIR@|$includedir_from_libdir|g" \
        -e "s|@SIZEOF_VOID_P@|$sizeof_void_p|g" "$1" >"$2"
    chmod 644 "$2"
}
substitute "$here/coveo_ua.pc.in" "$lib/pkgconfig/coveo_ua.pc"
if [ "$RELOCATABLE" = 1 ]; then
    # shellcheck disable=SC2016  # ${...} are pkg-config variables
    sed -i -e 's|^prefix=.*|prefix=${pcfiledir}/../..|' -e 's|^libdir=.*|libdir=${prefix}/lib|' \
        -e 's|^includedir=.*|includedir=${prefix}/include|' "$lib/pkgconfig/coveo_ua.pc"
fi
substitute "$here/cmake/coveo_uaConfig.cmake.in" "$lib/cmake/coveo_ua/coveo_uaConfig.cmake"
substitute "$here/cmake/coveo_uaConfigVersion.cmake.in" "$lib/cmake/coveo_ua/coveo_uaConfigVersion.cmake"

echo "install: coveo-ua $VERSION installed under ${DESTDIR}${PREFIX}"
