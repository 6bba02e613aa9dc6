/*
 * bcryptprimitives.c: ProcessPrng for Wine 8 (Debian 12), which lacks
 * bcryptprimitives.dll. Rust's standard library (1.78 and later) takes its
 * random bytes from ProcessPrng, which every supported Windows has; without
 * it no Rust program starts under that Wine. This stand-in asks bcrypt.dll's
 * system generator, which Wine 8 has. Test environment only: never shipped.
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
