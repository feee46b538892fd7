//! The OpenAPI 3.1 document of `chiron serve`: `schemas/openapi.json`,
//! kept as data and compiled in, served at `/openapi.json` with
//! `info.version` set to this chiron's version.
//!
//! Owns nothing but the document. The routes it lists are
//! [`super::server`]'s; tests run a server and check every path and
//! answer against it.

use std::sync::LazyLock;

/// The document as committed.
const SOURCE: &str = include_str!("../../schemas/openapi.json");

/// The document as served, built once.
static DOCUMENT: LazyLock<Vec<u8>> = LazyLock::new(|| with_version(SOURCE));

/// The bytes served at `/openapi.json`.
pub fn document() -> &'static [u8] {
    &DOCUMENT
}

/// `source` with `info.version` set to the version chiron was built as.
fn with_version(source: &str) -> Vec<u8> {
    let Ok(mut document) = serde_json::from_str::<serde_json::Value>(source) else {
        // The unit tests parse it; a broken file never ships.
        return source.as_bytes().to_vec();
    };
    document["info"]["version"] = env!("CARGO_PKG_VERSION").into();
    let mut bytes = serde_json::to_vec_pretty(&document).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn served() -> Value {
        serde_json::from_slice(document()).expect("the document is JSON")
    }

    #[test]
    fn the_document_carries_this_version() {
        let document = served();
        assert_eq!(document["openapi"], "3.1.0");
        assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn every_simple_path_has_its_twin_under_an_index_name() {
        let document = served();
        let paths = document["paths"].as_object().unwrap();
        let simple: Vec<&String> = paths.keys().filter(|p| p.starts_with("/simple/")).collect();
        assert_eq!(simple.len(), 5, "{simple:?}");
        for path in simple {
            let twin = &paths[&format!("/{{index}}{path}")];
            // The twin's answers are the same, and `400` for an index
            // segment that is refused.
            let mut responses = twin["get"]["responses"].as_object().unwrap().clone();
            assert!(responses.contains_key("400"), "{path}");
            if !paths[path]["get"]["responses"]
                .as_object()
                .unwrap()
                .contains_key("400")
            {
                responses.remove("400");
            }
            assert_eq!(
                &responses,
                paths[path]["get"]["responses"].as_object().unwrap(),
                "{path}"
            );
            let parameters = twin["get"]["parameters"].as_array().unwrap();
            assert_eq!(
                parameters[0]["$ref"], "#/components/parameters/index",
                "{path}"
            );
            assert_eq!(
                &parameters[1..],
                paths[path]["get"]["parameters"].as_array().unwrap()
            );
        }
    }
}
