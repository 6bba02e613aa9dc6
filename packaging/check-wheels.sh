#!/usr/bin/env bash
# check-wheels.sh WHEEL...: each wheel of `make python-dist` holds exactly one
# library, the one its platform tag promises (file format and machine checked
# with `file`), and for a Linux tag auditwheel confirms that the library keeps
# to the tag's policy (symbol versions of glibc 2.17 at most, or musl; no
# library outside the policy's list). Fails on the first wheel that does not.
set -euo pipefail

python=${PYTHON:-python3}
[ "$#" -gt 0 ] || { echo "usage: check-wheels.sh WHEEL..." >&2; exit 2; }
for tool in auditwheel file; do
    command -v "$tool" >/dev/null || { echo "check-wheels: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for wheel in "$@"; do
    name=$(basename "$wheel")
    tag=${name##*-py3-none-}
    tag=${tag%.whl}
    case "$tag" in
        manylinux_2_17_x86_64 | musllinux_1_2_x86_64) library=libcoveo_ua.so format='ELF 64-bit LSB shared object, x86-64' ;;
        manylinux_2_17_aarch64) library=libcoveo_ua.so format='ELF 64-bit LSB shared object, ARM aarch64' ;;
        win_amd64) library=coveo_ua.dll format='PE32+ executable (DLL) (console) x86-64' ;;
        *) echo "check-wheels: $name has an unexpected platform tag '$tag'" >&2; exit 1 ;;
    esac
    rm -rf "${tmp:?}"/*
    "$python" -m zipfile -e "$wheel" "$tmp"
    found=$(cd "$tmp" && find coveo_ua/_lib -type f ! -name '*.py' ! -name README.md | sort)
    [ "$found" = "coveo_ua/_lib/$library" ] || { echo "check-wheels: $name should hold coveo_ua/_lib/$library alone, holds: $found" >&2; exit 1; }
    described=$(file -b "$tmp/coveo_ua/_lib/$library")
    case "$described" in
        "$format"*) ;;
        *) echo "check-wheels: $name: $library is '$described', expected '$format'" >&2; exit 1 ;;
    esac
    case "$tag" in
        manylinux* | musllinux*)
            # auditwheel names the most widely usable tag the library fits;
            # it must be the wheel's own (or one below it, e.g. 2_17 for 2_5).
            # A musl wheel's libc is looked up among musl's, not this
            # machine's glibc files.
            ldpaths=()
            case "$tag" in musllinux*) ldpaths=(--ldpaths /lib/x86_64-linux-musl) ;; esac
            report=$(auditwheel show "${ldpaths[@]}" "$wheel" 2>&1) || { echo "$report" >&2; exit 1; }
            if ! tr -s ' \n' ' ' <<<"$report" | grep -q "consistent with the following platform tag: \"$tag\""; then
                echo "$report" >&2
                echo "check-wheels: auditwheel does not find $name consistent with $tag" >&2
                exit 1
            fi
            echo "check-wheels: $name: $described; auditwheel: consistent with $tag" ;;
        *)
            echo "check-wheels: $name: $described" ;;
    esac
done
