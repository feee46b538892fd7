//! How every error of the library says its exit class and its hint.
//!
//! Each module's error enum implements [`Diagnose`] next to its
//! definition: whether the error is the caller's mistake (a usage or
//! configuration error, exit 2) or a problem found in the work (exit 1),
//! and what to do about it. `crate::error::Error` gathers the errors and
//! asks them through this trait.
//!
//! This module is at the bottom of the import graph: it imports nothing of
//! the crate, so every module can implement the trait without importing
//! `crate::error`, which imports them all.

/// Whose problem an error is: the binary maps it to its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    /// The work failed or found problems (exit 1).
    Problems,
    /// The call or the configuration is wrong (exit 2).
    Usage,
}

/// What every error of the library says besides its message.
pub trait Diagnose {
    /// Whether the caller can fix it by calling differently.
    fn exit_class(&self) -> ExitClass;
    /// What to do about it, when there is something to say.
    fn hint(&self) -> Option<String>;
}
