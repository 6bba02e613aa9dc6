#!/usr/bin/env bash
# `make dist`: the binary tarball OUT/NAME.tar.gz, one folder NAME/ holding the
# `make install` layout (relocatable pkg-config file, CMake package), the
# emulator as bin/ua-emulator and a short README.md. Reads from the
# environment: VERSION, NAME, PLATFORM, OUT, LIB_SO, LIB_A, EMULATOR_BIN,
# LIBS_PRIVATE (as for install.sh). Prints the tarball's path.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${VERSION:?}" "${NAME:?}" "${PLATFORM:?}" "${OUT:?}" "${LIB_SO:?}" "${LIB_A:?}" "${EMULATOR_BIN:?}"
[ -x "$EMULATOR_BIN" ] || { echo "dist: $EMULATOR_BIN is missing (run 'make build')" >&2; exit 1; }

stage=$OUT/$NAME
rm -rf "$stage" "$OUT/$NAME.tar.gz"
mkdir -p "$OUT"
PREFIX=$stage RELOCATABLE=1 VERSION=$VERSION LIB_SO=$LIB_SO LIB_A=$LIB_A LIBS_PRIVATE=${LIBS_PRIVATE:-} \
    "$here/install.sh" >/dev/null
install -d "$stage/bin"
install -m 755 "$EMULATOR_BIN" "$stage/bin/ua-emulator"
# The check markers (<!-- check: ... -->, for scripts/check-docs.py) stay out.
sed -e "s|@VERSION@|$VERSION|g" -e "s|@PLATFORM@|$PLATFORM|g" -e '/^<!-- check:/d' "$here/dist-README.md" >"$stage/README.md"
chmod 644 "$stage/README.md"

# Same bytes for the same inputs: sorted names, no owner, one date.
tar -C "$OUT" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime="@${SOURCE_DATE_EPOCH:-0}" -cf - "$NAME" | gzip -n >"$OUT/$NAME.tar.gz"
rm -rf "$stage"
echo "$OUT/$NAME.tar.gz"
