# shellcheck shell=bash
# packaging/lib.sh: what test-install.sh and test-dist.sh share, sourced by
# both after they set `check` (their name, for messages) and `repo` (the
# checkout). Counts checks in `passed` and `failed`; `summary` ends the run.

passed=0
failed=0

# needs_tools TOOL...: exits with a hint when one is not on PATH.
needs_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "$check: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
    done
}

# expect DESCRIPTION COMMAND...: runs COMMAND, counts it, says what failed.
expect() {
    local what=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "$check: FAIL: $what" >&2
    fi
}

# Outputs are captured first: `cmd | grep -q` would fail under pipefail when
# grep stops reading early and cmd dies of SIGPIPE.
links_to() { [ "$(readlink "$1")" = "$2" ]; }
dynamic_section() { readelf -d "$1" 2>/dev/null || true; }
has_soname() { grep -q "SONAME.*\[$2\]" <<<"$(dynamic_section "$1")"; }
needs() { grep -q "NEEDED.*\[$2\]" <<<"$(dynamic_section "$1")"; }
is_static() { [ -x "$1" ] && ! grep -q 'libcoveo_ua' <<<"$(dynamic_section "$1")"; }
no_checkout_path() { ! grep -qF "$repo" <<<"$(dynamic_section "$1")"; }
loads_from() { grep -qF "$2" <<<"$(ldd "$1")"; }

# configure SOURCE_DIR BUILD_DIR EXPECTED_LOG_LINE CMAKE_ARGS...: cmake's
# configure step, whose log must hold the line (shown on failure).
configure() {
    local src=$1 dir=$2 line=$3
    shift 3
    cmake -S "$src" -B "$dir" "$@" >"$dir.log" 2>&1 && grep -q "$line" "$dir.log" || { cat "$dir.log"; false; }
}

# build_cmake_example SOURCE_DIR BUILD_ROOT PREFIX: examples/cmake (at
# SOURCE_DIR) configured and built with the CMake package found under PREFIX
# (in BUILD_ROOT/build-cmake), then with pkg-config alone (BUILD_ROOT/build-pc;
# PKG_CONFIG_PATH is the caller's).
build_cmake_example() {
    local src=$1 root=$2 prefix=$3
    expect "configure with the CMake package" configure "$src" "$root/build-cmake" 'found by its CMake package' \
        -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
    expect "build with the CMake package" cmake --build "$root/build-cmake" -j 2
    expect "configure with pkg-config" configure "$src" "$root/build-pc" 'found by pkg-config' -DCOVEO_UA_USE_PKG_CONFIG=ON
    expect "build with pkg-config" cmake --build "$root/build-pc" -j 2
}

# summary: prints the counts; fails when a check failed (the caller's last command).
summary() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
