//! Reading the operator's files: regular files only, and no more than a limit. A FIFO named
//! `*.sql` would otherwise block the read forever, and a link to `/dev/zero` would fill the
//! memory.

use std::ffi::OsStr;
use std::fs::{File, FileType, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The configuration key that sets the limit.
pub const MAX_SIZE_KEY: &str = "max_file_size";
/// Generous: the largest migration seen in practice is a few megabytes.
pub const DEFAULT_MAX_SIZE: u64 = 64 * 1024 * 1024;
/// A migration's statements keep their offsets in `u32`.
pub const LARGEST_MAX_SIZE: u64 = u32::MAX as u64;

/// Set once from the configuration, before any migration is read; the plan, the console's
/// re-reads and the linter all honour it without carrying it around.
static MAX_SIZE: AtomicU64 = AtomicU64::new(DEFAULT_MAX_SIZE);

pub fn set_max_size(bytes: u64) {
    MAX_SIZE.store(bytes.min(LARGEST_MAX_SIZE), Ordering::Relaxed);
}

pub fn max_size() -> u64 {
    MAX_SIZE.load(Ordering::Relaxed)
}

/// Why a file was not read. It never names the file: the caller's message does.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("not a regular file but {0}: only regular files are read")]
    NotRegular(&'static str),
    #[error(
        "the file is {size} bytes, over the limit of {limit} bytes: raise `{MAX_SIZE_KEY}` in the configuration if it is meant to be this big"
    )]
    TooLarge { size: u64, limit: u64 },
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl FileError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, FileError::Io(e) if e.kind() == io::ErrorKind::NotFound)
    }
}

fn check(meta: &Metadata, limit: u64) -> Result<(), FileError> {
    let t = meta.file_type();
    if !t.is_file() {
        return Err(FileError::NotRegular(kind(&t)));
    }
    if meta.len() > limit {
        return Err(FileError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    Ok(())
}

#[cfg(unix)]
fn kind(t: &FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn kind(t: &FileType) -> &'static str {
    if t.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

#[cfg(unix)]
fn open(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// A directory held open while its files are read, so each of them is opened by its name
/// alone: the kernel then looks up one name per file instead of every directory of the
/// path again, for each of the thousands of files a `status` reads. Files elsewhere (in
/// folders below it) are opened by their path.
pub struct Folder {
    path: PathBuf,
    handle: Option<File>,
}

impl Folder {
    /// Never fails: a directory that cannot be held has its files opened by their paths,
    /// and their own errors are the ones reported.
    pub fn open(path: &Path) -> Folder {
        Folder {
            path: path.to_path_buf(),
            handle: File::open(path).ok(),
        }
    }

    /// [`read`], of a file of this directory by its name.
    pub fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
        let file = match (&self.handle, path.parent(), path.file_name()) {
            (Some(dir), Some(parent), Some(name)) if parent == self.path => {
                open_in(dir, name, path)?
            }
            _ => open(path)?,
        };
        read_open(file, limit)
    }
}

#[cfg(unix)]
fn open_in(dir: &File, name: &OsStr, _path: &Path) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    Ok(File::from(rustix::fs::openat(
        dir,
        name,
        flags,
        Mode::empty(),
    )?))
}

#[cfg(not(unix))]
fn open_in(_dir: &File, _name: &OsStr, path: &Path) -> io::Result<File> {
    open(path)
}

/// The bytes of the regular file at `path` (links followed), at most `limit` of them.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    read_open(open(path)?, limit)
}

fn read_open(file: File, limit: u64) -> Result<Vec<u8>, FileError> {
    // Opened non-blocking, so opening a FIFO cannot hang; the opened file's own metadata
    // then decides, so nothing but a regular file is ever read, even one swapped in
    // meanwhile.
    let meta = file.metadata()?;
    check(&meta, limit)?;
    let size = meta.len();
    // Plans of thousands of files are read on every `status`: the size the open file
    // reports is read whole, with no further read to see the end. Files that report no
    // size (some pseudo-filesystems do) are read to their end, within the limit.
    let want = if size > 0 {
        size
    } else {
        limit.saturating_add(1)
    };
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(want).read_to_end(&mut bytes)?;
    let size = bytes.len() as u64;
    if size > limit {
        return Err(FileError::TooLarge { size, limit });
    }
    Ok(bytes)
}

/// [`read`] as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<String, FileError> {
    String::from_utf8(read(path, limit)?)
        .map_err(|e| FileError::Io(io::Error::new(io::ErrorKind::InvalidData, e.utf8_error())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_limit_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.sql");
        std::fs::write(&file, "12345").unwrap();
        assert_eq!(read(&file, 5).unwrap(), b"12345");
        let e = read(&file, 4).unwrap_err();
        assert!(
            matches!(e, FileError::TooLarge { size: 5, limit: 4 }),
            "{e}"
        );
        let e = read(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(
            matches!(e, FileError::NotRegular("a character device")),
            "{e}"
        );
        let e = read(dir.path(), 10).unwrap_err();
        assert!(matches!(e, FileError::NotRegular("a directory")), "{e}");
        assert!(
            read(&dir.path().join("none"), 10)
                .unwrap_err()
                .is_not_found()
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_reads_its_files_by_name_as_read_does_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let below = dir.path().join("below");
        std::fs::create_dir(&below).unwrap();
        std::fs::write(dir.path().join("a.sql"), "12345").unwrap();
        std::fs::write(below.join("b.sql"), "678").unwrap();
        std::os::unix::fs::symlink("a.sql", dir.path().join("link.sql")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.sql")).unwrap();
        let folder = Folder::open(dir.path());
        assert!(folder.handle.is_some());
        assert_eq!(folder.read(&dir.path().join("a.sql"), 5).unwrap(), b"12345");
        assert_eq!(
            folder.read(&dir.path().join("link.sql"), 5).unwrap(),
            b"12345"
        );
        assert_eq!(folder.read(&below.join("b.sql"), 5).unwrap(), b"678");
        let e = folder.read(&dir.path().join("a.sql"), 4).unwrap_err();
        assert!(
            matches!(e, FileError::TooLarge { size: 5, limit: 4 }),
            "{e}"
        );
        let e = folder.read(&dir.path().join("zero.sql"), 10).unwrap_err();
        assert!(
            matches!(e, FileError::NotRegular("a character device")),
            "{e}"
        );
        let e = folder.read(&below, 10).unwrap_err();
        assert!(matches!(e, FileError::NotRegular("a directory")), "{e}");
        assert!(
            folder
                .read(&dir.path().join("none"), 10)
                .unwrap_err()
                .is_not_found()
        );
    }
}
