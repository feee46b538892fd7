//! The Python packaging model: pure types for what users and indexes write
//! (versions, targets, ...). No I/O here.

pub mod target;
