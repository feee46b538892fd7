//! `[serve]`: what `chiron serve` and its static export say of the files
//! they serve beyond what the files themselves say.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServeConfig {
    /// Files served as yanked (PEP 592): a file name, or `NAME==VERSION`
    /// for every file of a release, to the reason (may be empty). Added to
    /// what a wheelhouse's manifest records.
    pub yanked: BTreeMap<String, String>,
}
