//! The Python packaging model: pure types for what users and indexes write
//! (versions, targets, tags, filenames, core metadata). No I/O here.

pub mod filename;
pub mod metadata;
pub mod tags;
pub mod target;
