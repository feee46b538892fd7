//! Who chiron uploads as: an API token or a user and password, from the
//! environment snapshot (chiron's variables, then twine's), the upload
//! URL's user info or `.netrc` (through `crate::index::auth`), or a token
//! minted by trusted publishing. The source is reported; the secret never
//! is (`Debug` masks it).
//!
//! Owns choosing credentials. It must not reach the network.

use std::fmt;
use std::path::Path;

use serde::Serialize;

use super::error::PublishError;
use crate::config::Env;

/// The user name API tokens are sent with.
pub const TOKEN_USER: &str = "__token__";

/// Where the credentials came from, for reports and for the hint of a
/// refused upload: never their value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialSource {
    /// `CHIRON_PUBLISH_TOKEN`.
    ChironToken,
    /// `CHIRON_PUBLISH_USERNAME` / `CHIRON_PUBLISH_PASSWORD`.
    ChironPassword,
    /// `TWINE_USERNAME` / `TWINE_PASSWORD`.
    Twine,
    /// The user info of the upload URL.
    Url,
    /// `.netrc`, for the upload host.
    Netrc,
    /// A token minted by the index for this CI run (OIDC).
    TrustedPublishing,
    /// Nothing: the upload is sent without credentials.
    None,
}

impl CredentialSource {
    /// How messages name it.
    pub fn describe(self) -> &'static str {
        match self {
            CredentialSource::ChironToken => "CHIRON_PUBLISH_TOKEN",
            CredentialSource::ChironPassword => {
                "CHIRON_PUBLISH_USERNAME and CHIRON_PUBLISH_PASSWORD"
            }
            CredentialSource::Twine => "TWINE_USERNAME and TWINE_PASSWORD",
            CredentialSource::Url => "the user info of the repository URL",
            CredentialSource::Netrc => ".netrc",
            CredentialSource::TrustedPublishing => {
                "trusted publishing (a token minted by the index)"
            }
            CredentialSource::None => "no credentials",
        }
    }
}

/// A user and a password (or `__token__` and a token).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    pub source: CredentialSource,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"****")
            .field("source", &self.source)
            .finish()
    }
}

/// The credentials for `upload_url` from `env`, then from the URL's own
/// user info and `netrc`; `None` when there are none. A user name without
/// its password is an error; a password alone is taken as a token.
pub fn find_credentials(
    env: &Env,
    upload_url: &str,
    netrc: Option<&Path>,
) -> Result<Option<Credentials>, PublishError> {
    if let Some(token) = env.get("CHIRON_PUBLISH_TOKEN") {
        return Ok(Some(token_credentials(
            token,
            CredentialSource::ChironToken,
        )));
    }
    let pairs = [
        (
            "CHIRON_PUBLISH_USERNAME",
            "CHIRON_PUBLISH_PASSWORD",
            CredentialSource::ChironPassword,
        ),
        ("TWINE_USERNAME", "TWINE_PASSWORD", CredentialSource::Twine),
    ];
    for (user_var, password_var, source) in pairs {
        match (env.get(user_var), env.get(password_var)) {
            (Some(username), Some(password)) => {
                return Ok(Some(Credentials {
                    username: username.to_string(),
                    password: password.to_string(),
                    source,
                }));
            }
            (Some(_), None) => {
                return Err(PublishError::HalfCredentials {
                    variable: user_var,
                    missing: password_var,
                });
            }
            (None, Some(token)) => return Ok(Some(token_credentials(token, source))),
            (None, None) => {}
        }
    }
    Ok(from_url_or_netrc(upload_url, netrc))
}

fn token_credentials(token: &str, source: CredentialSource) -> Credentials {
    Credentials {
        username: TOKEN_USER.into(),
        password: token.to_string(),
        source,
    }
}

fn from_url_or_netrc(upload_url: &str, netrc: Option<&Path>) -> Option<Credentials> {
    let from_url = {
        let mut known = crate::index::auth::Credentials::default();
        known.learn_from_url(upload_url);
        known.for_url(upload_url).1
    };
    let (found, source) = match from_url {
        Some(found) => (found, CredentialSource::Url),
        None => {
            let mut known = crate::index::auth::Credentials::default();
            known.load_netrc(netrc?);
            (known.for_url(upload_url).1?, CredentialSource::Netrc)
        }
    };
    let (username, password) = found;
    Some(Credentials {
        username,
        password: password.unwrap_or_default(),
        source,
    })
}

/// `url` without its user info, for requests and messages.
pub fn strip_user_info(url: &str) -> String {
    crate::index::auth::Credentials::default().for_url(url).0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    type Vars = &'static [(&'static str, &'static str)];
    type Found = Option<(&'static str, &'static str, CredentialSource)>;

    #[test]
    fn sources_are_asked_in_order() {
        let url = "https://upload.example.invalid/legacy/";
        let cases: [(Vars, Found); 6] = [
            (&[], None),
            (
                &[
                    ("CHIRON_PUBLISH_TOKEN", "pypi-abc"),
                    ("TWINE_PASSWORD", "x"),
                ],
                Some(("__token__", "pypi-abc", CredentialSource::ChironToken)),
            ),
            (
                &[
                    ("CHIRON_PUBLISH_USERNAME", "me"),
                    ("CHIRON_PUBLISH_PASSWORD", "pw"),
                    ("TWINE_USERNAME", "other"),
                    ("TWINE_PASSWORD", "x"),
                ],
                Some(("me", "pw", CredentialSource::ChironPassword)),
            ),
            (
                &[("TWINE_USERNAME", "tw"), ("TWINE_PASSWORD", "pw")],
                Some(("tw", "pw", CredentialSource::Twine)),
            ),
            (
                &[("TWINE_PASSWORD", "pypi-tok")],
                Some(("__token__", "pypi-tok", CredentialSource::Twine)),
            ),
            (&[("CHIRON_PUBLISH_TOKEN", "  ")], None),
        ];
        for (vars, wanted) in cases {
            let found = find_credentials(&env(vars), url, None).unwrap();
            let found = found.map(|c| (c.username, c.password, c.source));
            let wanted = wanted.map(|(u, p, s)| (u.to_string(), p.to_string(), s));
            assert_eq!(found, wanted, "{vars:?}");
        }
    }

    #[test]
    fn a_user_without_password_is_refused() {
        let error = find_credentials(
            &env(&[("CHIRON_PUBLISH_USERNAME", "me")]),
            "https://x.invalid/",
            None,
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("CHIRON_PUBLISH_PASSWORD"),
            "{error}"
        );
    }

    #[test]
    fn url_user_info_then_netrc() {
        let found = find_credentials(&env(&[]), "https://ci:s3cret@x.invalid/legacy/", None)
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                found.username.as_str(),
                found.password.as_str(),
                found.source
            ),
            ("ci", "s3cret", CredentialSource::Url)
        );
        assert!(!format!("{found:?}").contains("s3cret"));
        let dir = tempfile::tempdir().unwrap();
        let netrc = dir.path().join("netrc");
        std::fs::write(&netrc, "machine x.invalid login bob password hunter2\n").unwrap();
        let found = find_credentials(&env(&[]), "https://x.invalid/legacy/", Some(&netrc))
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                found.username.as_str(),
                found.password.as_str(),
                found.source
            ),
            ("bob", "hunter2", CredentialSource::Netrc)
        );
        assert_eq!(
            strip_user_info("https://ci:s3cret@x.invalid/legacy/"),
            "https://x.invalid/legacy/"
        );
    }
}
