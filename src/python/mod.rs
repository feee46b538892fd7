//! The Python packaging model: pure types for what users and indexes write
//! (versions, targets, tags, filenames, core metadata). No I/O here.

pub mod filename;
pub mod metadata;
pub mod ranges;
pub mod tags;
pub mod target;

/// A project name in PEP 503 normal form: lower case, with every run of
/// `-`, `_` and `.` as one `-`.
///
/// ```
/// assert_eq!(chiron::python::normalize("Typing__Extensions.x"), "typing-extensions-x");
/// ```
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}
