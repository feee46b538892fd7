//! TEMPORARY placeholder (not committed)
use std::path::Path;
#[derive(Debug, thiserror::Error)]
#[error("x")]
pub struct NormalizeError;
impl crate::error::Diagnose for NormalizeError {
    fn exit_class(&self) -> crate::error::ExitClass {
        crate::error::ExitClass::Problems
    }
    fn hint(&self) -> Option<String> {
        None
    }
}
pub fn normalize_wheel(_p: &Path, _e: u64) -> Result<bool, NormalizeError> {
    Ok(false)
}
pub fn normalize_sdist(_p: &Path, _e: u64) -> Result<bool, NormalizeError> {
    Ok(false)
}
