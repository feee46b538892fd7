//! A package's licence as an SPDX expression, from its core metadata:
//! PEP 639 `License-Expression` first, then the `License` field, then the
//! trove classifiers. Names that are no SPDX identifier are kept as names,
//! never guessed into one.

use crate::python::metadata::CoreMetadata;

/// What is known of a package's licence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum License {
    /// A valid SPDX expression (`MIT`, `Apache-2.0 OR BSD-3-Clause`).
    Expression(String),
    /// Free text that is not an SPDX expression (`Proprietary`, `PSF`).
    Name(String),
}

impl License {
    pub fn as_str(&self) -> &str {
        match self {
            License::Expression(text) | License::Name(text) => text,
        }
    }
}

/// Parses `text` as a strict SPDX expression.
pub fn spdx_expression(text: &str) -> Option<String> {
    let text = text.trim();
    spdx::Expression::parse(text).ok().map(|_| text.to_string())
}

/// Spellings of a licence name that name exactly one SPDX licence. Names
/// that could mean several (`BSD`, `Apache`, `GPL`) are not here: they stay
/// names.
const SPELLINGS: &[(&str, &str)] = &[
    ("mit license", "MIT"),
    ("the mit license", "MIT"),
    ("mit-license", "MIT"),
    ("apache 2.0", "Apache-2.0"),
    ("apache 2", "Apache-2.0"),
    ("apache-2", "Apache-2.0"),
    ("apache license 2.0", "Apache-2.0"),
    ("apache license, version 2.0", "Apache-2.0"),
    ("apache license version 2.0", "Apache-2.0"),
    ("apache software license 2.0", "Apache-2.0"),
    ("bsd-3", "BSD-3-Clause"),
    ("3-clause bsd", "BSD-3-Clause"),
    ("3-clause bsd license", "BSD-3-Clause"),
    ("bsd 3-clause", "BSD-3-Clause"),
    ("bsd 3-clause license", "BSD-3-Clause"),
    ("bsd-2", "BSD-2-Clause"),
    ("2-clause bsd", "BSD-2-Clause"),
    ("bsd 2-clause", "BSD-2-Clause"),
    ("isc license", "ISC"),
    ("mpl 2.0", "MPL-2.0"),
    ("mozilla public license 2.0", "MPL-2.0"),
    ("psf license", "PSF-2.0"),
    ("lgplv3+", "LGPL-3.0-or-later"),
    ("gplv3+", "GPL-3.0-or-later"),
    ("unlicense", "Unlicense"),
];

/// An SPDX identifier for a licence name: an exact identifier (any case),
/// or a spelling that names exactly one licence.
fn known_id(name: &str) -> Option<String> {
    let name = name.trim();
    if let Some(id) = spdx::license_id(name) {
        return Some(id.name.to_string());
    }
    let lower = name.to_ascii_lowercase();
    SPELLINGS
        .iter()
        .find(|(spelling, _)| *spelling == lower)
        .map(|(_, id)| id.to_string())
}

/// Trove classifier suffixes to SPDX identifiers, for the classifiers whose
/// wording names one licence exactly. `BSD License` and `Apache Software
/// License` name no version, so they stay names.
const CLASSIFIERS: &[(&str, &str)] = &[
    ("MIT License", "MIT"),
    ("MIT No Attribution License (MIT-0)", "MIT-0"),
    ("ISC License (ISCL)", "ISC"),
    ("Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
    ("Python Software Foundation License", "PSF-2.0"),
    ("GNU General Public License v2 (GPLv2)", "GPL-2.0-only"),
    (
        "GNU General Public License v2 or later (GPLv2+)",
        "GPL-2.0-or-later",
    ),
    ("GNU General Public License v3 (GPLv3)", "GPL-3.0-only"),
    (
        "GNU General Public License v3 or later (GPLv3+)",
        "GPL-3.0-or-later",
    ),
    (
        "GNU Lesser General Public License v2 (LGPLv2)",
        "LGPL-2.0-only",
    ),
    (
        "GNU Lesser General Public License v2 or later (LGPLv2+)",
        "LGPL-2.0-or-later",
    ),
    (
        "GNU Lesser General Public License v3 (LGPLv3)",
        "LGPL-3.0-only",
    ),
    (
        "GNU Lesser General Public License v3 or later (LGPLv3+)",
        "LGPL-3.0-or-later",
    ),
    ("GNU Affero General Public License v3", "AGPL-3.0-only"),
    (
        "GNU Affero General Public License v3 or later (AGPLv3+)",
        "AGPL-3.0-or-later",
    ),
    ("The Unlicense (Unlicense)", "Unlicense"),
    ("Zero-Clause BSD (0BSD)", "0BSD"),
    ("zlib/libpng License", "Zlib"),
    ("Boost Software License 1.0 (BSL-1.0)", "BSL-1.0"),
    ("Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0"),
    ("Universal Permissive License (UPL)", "UPL-1.0"),
];

/// The licence of a package, or `None` when its metadata says nothing.
pub fn license_of(metadata: &CoreMetadata) -> Option<License> {
    if let Some(expression) = metadata
        .license_expression
        .as_deref()
        .and_then(spdx_expression)
    {
        return Some(License::Expression(expression));
    }
    if let Some(field) = metadata
        .license
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        // Many packages paste the whole licence text here; only a short,
        // one-line value is a name.
        let short = field.len() <= 100 && !field.contains('\n');
        if short {
            if let Some(expression) = spdx_expression(field) {
                return Some(License::Expression(expression));
            }
            if let Some(id) = known_id(field) {
                return Some(License::Expression(id));
            }
        }
        if let Some(found) = from_classifiers(&metadata.classifiers) {
            return Some(found);
        }
        if short && !field.eq_ignore_ascii_case("unknown") {
            return Some(License::Name(field.to_string()));
        }
        return None;
    }
    from_classifiers(&metadata.classifiers)
}

fn from_classifiers(classifiers: &[String]) -> Option<License> {
    let mut ids: Vec<&str> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for classifier in classifiers {
        let Some(rest) = classifier.strip_prefix("License :: ") else {
            continue;
        };
        let last = rest.rsplit(" :: ").next().unwrap_or(rest).trim();
        if last == "OSI Approved" {
            continue; // the bare category names no licence
        }
        match CLASSIFIERS.iter().find(|(suffix, _)| *suffix == last) {
            Some((_, id)) => ids.push(id),
            None => names.push(last),
        }
    }
    ids.sort_unstable();
    ids.dedup();
    match (ids.as_slice(), names.as_slice()) {
        ([], []) => None,
        // Several licence classifiers mean the user may choose.
        (ids, []) => Some(License::Expression(ids.join(" OR "))),
        (_, names) => Some(License::Name(names.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(expression: Option<&str>, license: Option<&str>, classifiers: &[&str]) -> CoreMetadata {
        CoreMetadata {
            name: "x".into(),
            version: "1".into(),
            license_expression: expression.map(str::to_string),
            license: license.map(str::to_string),
            classifiers: classifiers.iter().map(|c| c.to_string()).collect(),
            ..CoreMetadata::default()
        }
    }

    #[test]
    fn pep639_then_license_then_classifiers() {
        // (License-Expression, License, classifiers, expected)
        type Case<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            &'a [&'a str],
            Option<License>,
        );
        let cases: &[Case] = &[
            (
                Some("MIT OR Apache-2.0"),
                Some("ignored"),
                &[],
                Some(License::Expression("MIT OR Apache-2.0".into())),
            ),
            (
                None,
                Some("Apache-2.0"),
                &[],
                Some(License::Expression("Apache-2.0".into())),
            ),
            (
                None,
                Some("MIT License"),
                &[],
                Some(License::Expression("MIT".into())),
            ),
            (
                None,
                Some("BSD"),
                &["License :: OSI Approved :: BSD License"],
                Some(License::Name("BSD License".into())),
            ),
            (
                None,
                Some("Apache License, Version 2.0"),
                &[],
                Some(License::Expression("Apache-2.0".into())),
            ),
            (
                None,
                None,
                &["License :: OSI Approved :: MIT License"],
                Some(License::Expression("MIT".into())),
            ),
            (
                None,
                None,
                &[
                    "License :: OSI Approved :: MIT License",
                    "License :: OSI Approved :: ISC License (ISCL)",
                ],
                Some(License::Expression("ISC OR MIT".into())),
            ),
            (
                None,
                Some("Proprietary"),
                &[],
                Some(License::Name("Proprietary".into())),
            ),
            (
                None,
                Some("Copyright (c) 2024 Someone\nPermission is hereby granted..."),
                &[],
                None,
            ),
            (
                None,
                None,
                &["License :: Other/Proprietary License"],
                Some(License::Name("Other/Proprietary License".into())),
            ),
            (None, None, &["License :: OSI Approved"], None),
            (None, Some("UNKNOWN"), &[], None),
        ];
        for (expression, license, classifiers, expected) in cases {
            assert_eq!(
                &license_of(&meta(*expression, *license, classifiers)),
                expected,
                "{expression:?} {license:?} {classifiers:?}"
            );
        }
    }
}
