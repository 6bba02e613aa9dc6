#!/usr/bin/env bash
# `make dist-windows-x86_64`: OUT/NAME.zip, one folder NAME/ with what a
# Windows C or C++ program needs: bin/coveo_ua.dll, lib/libcoveo_ua.dll.a
# (the import library for mingw-w64 and clang), lib/libcoveo_ua.a (static;
# link it with the system libraries in README.md), include/coveo_ua.h and
# coveo_ua.hpp. Reads VERSION, NAME, OUT and DIR (cargo's release folder of
# x86_64-pc-windows-gnu) from the environment. Same bytes for the same inputs.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
: "${VERSION:?}" "${NAME:?}" "${OUT:?}" "${DIR:?}"
for f in "$DIR/coveo_ua.dll" "$DIR/libcoveo_ua.dll.a" "$DIR/libcoveo_ua.a"; do
    [ -f "$f" ] || { echo "dist-windows: $f is missing (run 'make build-windows')" >&2; exit 1; }
done
stage=$OUT/$NAME
rm -rf "$stage" "$OUT/$NAME.zip"
install -d "$stage/bin" "$stage/lib" "$stage/include"
install -m 644 "$DIR/coveo_ua.dll" "$stage/bin/"
install -m 644 "$DIR/libcoveo_ua.dll.a" "$DIR/libcoveo_ua.a" "$stage/lib/"
install -m 644 "$repo/include/coveo_ua.h" "$repo/include/coveo_ua.hpp" "$stage/include/"
cat >"$stage/README.md" <<MD
# coveo-ua $VERSION (windows-x86_64)

| path | what it is |
| --- | --- |
| \`include/coveo_ua.h\`, \`include/coveo_ua.hpp\` | the C header and the C++17 wrapper |
| \`bin/coveo_ua.dll\` | the library; put it beside your program or on \`PATH\` |
| \`lib/libcoveo_ua.dll.a\` | its import library (mingw-w64, clang) |
| \`lib/libcoveo_ua.a\` | the static library |

\`\`\`sh
x86_64-w64-mingw32-gcc -std=c99 app.c -Iinclude -Llib -lcoveo_ua -o app.exe        # then ship bin/coveo_ua.dll beside app.exe
x86_64-w64-mingw32-gcc -std=c99 app.c -Iinclude lib/libcoveo_ua.a -lws2_32 -lntdll -luserenv -lbcrypt -lcrypt32 -lsecur32 -lncrypt -ladvapi32 -lole32 -loleaut32 -o app.exe   # static
\`\`\`

TLS trusts the Windows certificate store. Test against \`ua-emulator\`
(a Linux and macOS program: run it on WSL, a Linux machine or in a container).
MD
find "$stage" -exec touch -d "@${SOURCE_DATE_EPOCH:-0}" {} +
(cd "$OUT" && find "$NAME" | LC_ALL=C sort | TZ=UTC zip -X -q -@ "$NAME.zip")
rm -rf "$stage"
echo "$OUT/$NAME.zip"
