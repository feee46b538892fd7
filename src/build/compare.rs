//! TEMPORARY placeholder (not committed)
use std::path::Path;
#[derive(Debug, thiserror::Error)]
#[error("x")]
pub struct CompareError;
impl crate::error::Diagnose for CompareError {
    fn exit_class(&self) -> crate::error::ExitClass {
        crate::error::ExitClass::Problems
    }
    fn hint(&self) -> Option<String> {
        None
    }
}
#[derive(Debug, Clone, serde::Serialize)]
pub struct Comparison {
    pub left: String,
    pub right: String,
    pub same: bool,
}
impl Comparison {
    pub fn identical(&self) -> bool {
        self.same
    }
    pub fn render(&self) -> String {
        String::new()
    }
}
pub fn compare(a: &Path, b: &Path) -> Result<Comparison, CompareError> {
    Ok(Comparison {
        left: a.display().to_string(),
        right: b.display().to_string(),
        same: std::fs::read(a).ok() == std::fs::read(b).ok(),
    })
}
