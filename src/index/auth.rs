//! Index credentials: user and password from index URLs, or from `.netrc`
//! by host. They are sent only to the host they belong to, as HTTP basic
//! auth, and never appear in messages (see `redact_url`).
//!
//! `.netrc` is parsed by hand: the format is a few whitespace-separated
//! tokens, and the netrc crates on crates.io are unmaintained.

use std::collections::BTreeMap;
use std::path::Path;

use url::Url;

use super::percent_decode;

type UserPassword = (String, Option<String>);

#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// `host[:port]` from index URLs.
    from_urls: BTreeMap<String, UserPassword>,
    /// Host from `.netrc`.
    from_netrc: BTreeMap<String, UserPassword>,
    netrc_default: Option<UserPassword>,
}

fn host_key(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

impl Credentials {
    /// Remembers the user info of an index URL for its host.
    pub fn learn_from_url(&mut self, url: &str) {
        let Ok(parsed) = Url::parse(url) else { return };
        if parsed.username().is_empty() {
            return;
        }
        if let Some(key) = host_key(&parsed) {
            let password = parsed.password().map(percent_decode);
            self.from_urls
                .insert(key, (percent_decode(parsed.username()), password));
        }
    }

    /// Reads a `.netrc`; a missing or unreadable file adds nothing.
    pub fn load_netrc(&mut self, path: &Path) {
        if let Ok(text) = std::fs::read_to_string(path) {
            self.parse_netrc(&text);
        }
    }

    fn parse_netrc(&mut self, text: &str) {
        let tokens: Vec<&str> = text
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .flat_map(str::split_whitespace)
            .collect();
        let mut i = 0;
        while i < tokens.len() {
            let (machine, start) = match tokens[i] {
                "machine" if i + 1 < tokens.len() => (Some(tokens[i + 1].to_string()), i + 2),
                "default" => (None, i + 1),
                "macdef" => {
                    // A macro runs to the next blank line; we do not use them.
                    i += 2;
                    continue;
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            let (mut login, mut password) = (None, None);
            let mut j = start;
            while j + 1 < tokens.len() && !matches!(tokens[j], "machine" | "default") {
                match tokens[j] {
                    "login" => login = Some(tokens[j + 1].to_string()),
                    "password" => password = Some(tokens[j + 1].to_string()),
                    _ => {}
                }
                j += 2;
            }
            if let Some(login) = login {
                match machine {
                    Some(host) => {
                        self.from_netrc.insert(host, (login, password));
                    }
                    None => self.netrc_default = Some((login, password)),
                }
            }
            i = j.max(start);
        }
    }

    /// The URL without user info, and the credentials to send with it:
    /// its own, else those learnt for its host, else `.netrc`'s.
    pub fn for_url(&self, url: &str) -> (String, Option<UserPassword>) {
        let Ok(mut parsed) = Url::parse(url) else {
            return (url.to_string(), None);
        };
        if !parsed.username().is_empty() {
            // Masked credentials (`redact_url` wrote them into a report or a
            // lock) are no credentials: fall back to the host's real ones.
            let masked = parsed.username() == "****" || parsed.password() == Some("****");
            let own = (
                percent_decode(parsed.username()),
                parsed.password().map(percent_decode),
            );
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            if !masked {
                return (parsed.to_string(), Some(own));
            }
        }
        let found = host_key(&parsed)
            .and_then(|key| self.from_urls.get(&key).cloned())
            .or_else(|| {
                parsed
                    .host_str()
                    .and_then(|host| self.from_netrc.get(host).cloned())
            })
            .or_else(|| self.netrc_default.clone());
        (parsed.to_string(), found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_credentials_go_to_their_host_only() {
        let mut credentials = Credentials::default();
        credentials.learn_from_url("https://ci:t%40ken@private.example.invalid/simple");
        let (clean, auth) = credentials.for_url("https://private.example.invalid/files/a.whl");
        assert_eq!(clean, "https://private.example.invalid/files/a.whl");
        assert_eq!(auth, Some(("ci".into(), Some("t@ken".into()))));
        let (_, auth) = credentials.for_url("https://other.example.invalid/files/a.whl");
        assert_eq!(auth, None);
        let (clean, auth) = credentials.for_url("https://me:pw@other.example.invalid/x");
        assert_eq!(clean, "https://other.example.invalid/x");
        assert_eq!(auth, Some(("me".into(), Some("pw".into()))));
    }

    #[test]
    fn masked_credentials_fall_back_to_the_real_ones() {
        let mut credentials = Credentials::default();
        credentials.learn_from_url("https://ci:real@private.example.invalid/simple");
        let (clean, auth) =
            credentials.for_url("https://ci:****@private.example.invalid/files/a.whl");
        assert_eq!(clean, "https://private.example.invalid/files/a.whl");
        assert_eq!(auth, Some(("ci".into(), Some("real".into()))));
        let (_, auth) = credentials.for_url("https://****@elsewhere.example.invalid/a.whl");
        assert_eq!(auth, None);
    }

    #[test]
    fn netrc_by_host_and_default() {
        let mut credentials = Credentials::default();
        credentials.parse_netrc(
            "# comment\nmachine a.example.invalid login alice password s3cret\n\
             machine b.example.invalid\n  login bob\ndefault login anon password guest\n",
        );
        assert_eq!(
            credentials.for_url("https://a.example.invalid/simple/").1,
            Some(("alice".into(), Some("s3cret".into())))
        );
        assert_eq!(
            credentials.for_url("https://b.example.invalid/").1,
            Some(("bob".into(), None))
        );
        assert_eq!(
            credentials.for_url("https://c.example.invalid/").1,
            Some(("anon".into(), Some("guest".into())))
        );
    }

    #[test]
    fn a_missing_netrc_adds_nothing() {
        let mut credentials = Credentials::default();
        credentials.load_netrc(Path::new("/nonexistent/.netrc"));
        assert_eq!(credentials.for_url("https://a.example.invalid/").1, None);
    }
}
