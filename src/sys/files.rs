//! Files of the spool: created readable by their owner only (events may hold
//! user data), locked with a lock that dies with its process, and checked for
//! being replaced or removed from outside.
//!
//! Every file std opens is closed on `exec` already (`O_CLOEXEC` on Unix,
//! not inheritable on Windows).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `dir` and its missing parents, readable by the owner only.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    imp::dir_builder().recursive(true).create(dir)
}

/// Creates `dir` (its parent must exist), readable by the owner only; fails
/// if it exists.
pub(crate) fn create_private_dir_new(dir: &Path) -> io::Result<()> {
    imp::dir_builder().create(dir)
}

/// Opens `path` for appending, created (owner-only) if missing.
pub(crate) fn open_append(path: &Path) -> io::Result<File> {
    imp::private(OpenOptions::new().append(true).create(true)).open(path)
}

/// Opens `path` for reading and appending, created (owner-only) if missing.
pub(crate) fn open_read_append(path: &Path) -> io::Result<File> {
    imp::private(OpenOptions::new().read(true).append(true).create(true)).open(path)
}

/// Opens `path` for reading and writing, created (owner-only) if missing.
pub(crate) fn open_read_write(path: &Path) -> io::Result<File> {
    imp::private(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
    .open(path)
}

/// An exclusive lock on an open file, held until `unlock` or the process
/// ends (whatever way it ends).
///
/// `Ok(false)` when another open file (in this process or another) holds it.
pub(crate) fn try_lock(file: &File) -> io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Releases a lock taken with `try_lock`, for every descriptor of its open
/// file (a forked child's inherited copy included).
pub(crate) fn unlock(file: &File) -> io::Result<()> {
    file.unlock()
}

/// Reads from `offset` without moving the file's position (one call; fewer
/// bytes than asked only at the end or on a signal).
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    imp::read_at(file, buf, offset)
}

/// Whether `path` still names the file open as `file` (not removed, not
/// replaced by another file of that name).
pub(crate) fn still_named(file: &File, path: &Path) -> bool {
    imp::still_named(file, path)
}

#[cfg(unix)]
mod imp {
    use std::fs::{DirBuilder, File, OpenOptions};
    use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt};
    use std::path::Path;

    pub(super) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        file.read_at(buf, offset)
    }

    pub(super) fn dir_builder() -> DirBuilder {
        let mut b = DirBuilder::new();
        b.mode(0o700);
        b
    }

    pub(super) fn private(o: &mut OpenOptions) -> &mut OpenOptions {
        o.mode(0o600)
    }

    pub(super) fn still_named(file: &File, path: &Path) -> bool {
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
            _ => false,
        }
    }
}

#[cfg(windows)]
mod imp {
    //! Files a process creates in a directory it made inherit that
    //! directory's access list; the spool's lives under the user's profile or
    //! a path the host chose for its service account.
    use std::fs::{DirBuilder, File, OpenOptions};
    use std::os::windows::fs::FileExt;
    use std::path::Path;

    pub(super) fn dir_builder() -> DirBuilder {
        DirBuilder::new()
    }

    /// `seek_read` moves the handle's position; nothing here reads or writes
    /// at that position (segments are appended, which Windows does at the end
    /// whatever the position).
    pub(super) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        file.seek_read(buf, offset)
    }

    pub(super) fn private(o: &mut OpenOptions) -> &mut OpenOptions {
        o
    }

    /// Same volume and same file index: the same file.
    pub(super) fn still_named(file: &File, path: &Path) -> bool {
        match (
            identity(file),
            File::open(path).ok().and_then(|f| identity(&f)),
        ) {
            (Some(open), Some(named)) => open == named,
            _ => false,
        }
    }

    fn identity(file: &File) -> Option<(u32, u32, u32)> {
        use std::os::windows::io::AsRawHandle;
        use windows_sys::Win32::Storage::FileSystem::{
            GetFileInformationByHandle, BY_HANDLE_FILE_INFORMATION,
        };
        // SAFETY: a zeroed plain struct the call fills, for a live handle.
        unsafe {
            let mut info: BY_HANDLE_FILE_INFORMATION = std::mem::zeroed();
            let ok = GetFileInformationByHandle(file.as_raw_handle() as _, &mut info) != 0;
            ok.then_some((
                info.dwVolumeSerialNumber,
                info.nFileIndexHigh,
                info.nFileIndexLow,
            ))
        }
    }
}
