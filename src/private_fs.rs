//! Files and directories that only propusk's own user may read: the SQLite database
//! and its `-wal`/`-shm`/`-journal`, mail `.eml` files, the master key file.
//!
//! New files are created with mode 0600 and new directories with 0700 — through
//! `OpenOptionsExt::mode` and `DirBuilderExt::mode`, never a process-wide `umask`
//! (`unsafe_code` is forbidden, and a umask would race with other threads).
//! Directories that already exist are left as the operator made them. A file that
//! already exists with permissions for group or others (a database or key file from
//! an older release, or copied in) is tightened to its owner bits with a warning;
//! when that is not possible (another owner, a read-only mount) the warning is all
//! that happens and start-up goes on.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

/// Mode of the files propusk creates.
pub const FILE_MODE: u32 = 0o600;
/// Mode of the directories propusk creates.
pub const DIR_MODE: u32 = 0o700;

/// Creates `dir` and its missing parents, each with mode 0700; existing ones are left alone.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)
}

/// Creates `path` as a new file with mode 0600, for writing; fails if it exists.
pub fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(path)
}

/// Makes sure `path` exists as a file only its owner may read: creates it empty with
/// mode 0600 if it is missing, or [`tighten`]s it if it is there.
pub fn ensure_file(path: &Path) -> io::Result<()> {
    match create_new(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            tighten(path);
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// If `path` exists and grants anything to group or others, removes those bits
/// (logging a warning either way); returns whether the file is owner-only afterwards.
/// A missing file counts as owner-only.
pub fn tighten(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else { return true };
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 == 0 {
        return true;
    }
    let tight = mode & 0o700;
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(tight)) {
        Ok(()) => {
            tracing::warn!(
                file = %path.display(),
                was = format_args!("{mode:o}"),
                now = format_args!("{tight:o}"),
                "file was readable by others; permissions tightened"
            );
            true
        }
        Err(e) => {
            tracing::warn!(
                file = %path.display(),
                mode = format_args!("{mode:o}"),
                error = %e,
                "file is readable by others and its permissions cannot be changed"
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_0600_created_private_and_directories_0700() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        create_dir_all(&dir).unwrap();
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        let f = dir.join("f");
        ensure_file(&f).unwrap();
        assert_eq!(mode(&f), 0o600);
        assert!(create_new(&f).is_err(), "create_new never opens an existing file");
    }

    #[test]
    fn files_0600_an_existing_loose_file_is_tightened_and_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("old.db");
        std::fs::write(&f, b"data").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o664)).unwrap();
        ensure_file(&f).unwrap();
        assert_eq!(mode(&f), 0o600);
        assert_eq!(std::fs::read(&f).unwrap(), b"data", "contents untouched");
        // Owner bits are kept: a read-only key stays read-only.
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o444)).unwrap();
        assert!(tighten(&f));
        assert_eq!(mode(&f), 0o400);
        assert!(tighten(&tmp.path().join("missing")));
        // An existing directory keeps the mode its owner gave it.
        let shared = tmp.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_dir_all(&shared.join("own")).unwrap();
        assert_eq!(mode(&shared), 0o755);
        assert_eq!(mode(&shared.join("own")), 0o700);
    }
}
