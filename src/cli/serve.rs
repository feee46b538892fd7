//! `chiron serve`: flags to the sources and the server's bounds; the
//! address on stderr, then one access-log line per request; or, with
//! `--export-static`, the export's report on stdout; or, with
//! `--new-token`, a fresh upload token on stdout and its configuration
//! line on stderr.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use chiron::error::Result;
use chiron::serve::{DEFAULT_MAX_UPLOAD_BYTES, ServerOptions};
use chiron::workflow::serve::{IndexInputs, ServeRequest};

use super::sign::load_public_key;
use super::{Context, Exit, style};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// What to serve: a wheelhouse, a folder of wheels and sdists, or an
    /// air-gap bundle (.tar.gz); NAME=PATH names its index (default: the
    /// folder's name). Several are served at /NAME/simple/ each; one also
    /// at /simple/. Default: [wheelhouse] dir.
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// The address to listen on: HOST:PORT (a name such as localhost is
    /// resolved) or a port alone (on 127.0.0.1); port 0 picks a free one.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080", value_parser = parse_bind)]
    pub bind: SocketAddr,
    /// The public key bundles must be signed with (default: [signing]
    /// public-key).
    #[arg(long, value_name = "PUB", conflicts_with = "no_verify")]
    pub key: Option<PathBuf>,
    /// Serve bundles without checking their signature or checksums.
    #[arg(long)]
    pub no_verify: bool,
    /// Connections served at once; more wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Seconds in-flight requests may take to finish after SIGTERM/SIGINT.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub grace: u64,
    /// Seconds a connection may stay with no byte moving either way
    /// before it is closed (a half-sent request, a client that stopped
    /// reading, an idle keep-alive).
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
    /// Write the index as static files into DIR (one source) or DIR/NAME
    /// (several) instead of serving it.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["allow_upload", "new_token"])]
    pub export_static: Option<PathBuf>,
    /// Accept uploads (twine, `chiron publish`) from the tokens of
    /// [serve.tokens] into the wheelhouses and folders served (bundles stay
    /// read-only). Without it, POST answers 405.
    #[arg(long)]
    pub allow_upload: bool,
    /// The largest upload accepted, in bytes; a larger one answers 413.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_UPLOAD_BYTES, value_parser = clap::value_parser!(u64).range(1..), requires = "allow_upload")]
    pub max_upload_bytes: u64,
    /// Print a fresh upload token named NAME on stdout (shown once, stored
    /// nowhere) and, on stderr, the line to add under [serve.tokens];
    /// then exit.
    #[arg(long, value_name = "NAME", conflicts_with = "allow_upload")]
    pub new_token: Option<String>,
}

/// `--bind`: an address, a port alone (loopback), or a name to resolve.
fn parse_bind(text: &str) -> std::result::Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    let hint = "expected HOST:PORT (127.0.0.1:8080, [::1]:8080, localhost:8080) or a port";
    let mut resolved = text
        .to_socket_addrs()
        .map_err(|error| format!("{error}: {hint}"))?;
    resolved
        .next()
        .ok_or_else(|| format!("{text} resolves to no address: {hint}"))
}

pub async fn run(args: ServeArgs, ctx: &Context) -> Result<Exit> {
    if let Some(name) = &args.new_token {
        return new_token(ctx, name);
    }
    let ws = ctx.workspace()?;
    let key = if args.no_verify {
        None
    } else {
        load_public_key(ctx, &args.key)?
    };
    let request = ServeRequest {
        sources: args.sources.clone(),
        no_verify: args.no_verify,
        allow_upload: args.allow_upload,
        max_upload_bytes: args.max_upload_bytes,
    };
    let opened = chiron::workflow::serve::open(&ws, &request, key.as_ref())?;
    if opened.unverified {
        // anstream: the colour only on a terminal (and as --color says).
        anstream::eprintln!(
            "{}WARNING: serving a bundle WITHOUT verifying it (--no-verify): its signature, checksums and provenance are not checked{}",
            style::FAIL.render(),
            style::FAIL.render_reset()
        );
    }
    let inputs = IndexInputs::from_workspace(&ws)?;
    if let Some(output) = &args.export_static {
        return export(ctx, &inputs, &opened.sources, &ws.path(output));
    }
    let uploads = chiron::workflow::serve::uploads(&ws, &request, &inputs, &opened.sources)?;
    let options = ServerOptions {
        max_connections: args.max_connections as usize,
        grace: Duration::from_secs(args.grace),
        idle_timeout: Duration::from_secs(args.idle_timeout),
        ..ServerOptions::default()
    };
    let names: Vec<String> = opened.sources.iter().map(|s| s.name.clone()).collect();
    let single = names.len() == 1;
    let uploading = uploads.is_some();
    chiron::workflow::serve::run(args.bind, options, opened.sources, inputs, uploads, |addr| {
        eprintln!("listening on http://{addr}/");
        for name in &names {
            eprintln!("serving {name} at http://{addr}/{name}/simple/");
        }
        if single {
            eprintln!("serving at http://{addr}/simple/");
        }
        match (uploading, single) {
            (false, _) => {}
            (true, true) => eprintln!(
                "accepting uploads at http://{addr}/ (or /{}/), with a token of [serve.tokens]",
                names[0]
            ),
            (true, false) => eprintln!(
                "accepting uploads at http://{addr}/NAME/ for each folder above (bundles are read-only; not at /), with a token of [serve.tokens]"
            ),
        }
    })
    .await?;
    Ok(Exit::Ok)
}

/// The token on stdout (alone, for `$(...)`), the line to paste on
/// stderr; with `--json`, both on stdout.
fn new_token(ctx: &Context, name: &str) -> Result<Exit> {
    let made = chiron::workflow::serve::new_token(name)?;
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({
            "name": made.name,
            "token": made.token.as_str(),
            "config": format!("[serve.tokens]\n{}", made.config_line),
        }))?;
        return Ok(Exit::Ok);
    }
    ctx.out.text(&format!("{}\n", made.token.as_str()))?;
    eprintln!(
        "add to chiron.toml (only the hash is stored; the token above is shown once):\n\n[serve.tokens]\n{}\n\nupload with: twine upload --repository-url http://HOST:PORT/ -u __token__ -p TOKEN dist/*",
        made.config_line
    );
    Ok(Exit::Ok)
}

fn export(
    ctx: &Context,
    inputs: &IndexInputs,
    sources: &[chiron::serve::OpenedSource],
    output: &std::path::Path,
) -> Result<Exit> {
    let indexes = inputs.read(sources)?;
    let reports = chiron::workflow::serve::export(&indexes, output)?;
    let mut text = String::new();
    for report in &reports {
        text.push_str(&format!(
            "{}: {} projects, {} distributions, {} files\n",
            report.output.display(),
            report.projects,
            report.files,
            report.written
        ));
    }
    ctx.out.text(&text)?;
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::parse_bind;

    #[test]
    fn bind_takes_an_address_a_port_or_a_name() {
        assert_eq!(parse_bind("8080").unwrap().to_string(), "127.0.0.1:8080");
        assert_eq!(parse_bind("[::1]:9").unwrap().to_string(), "[::1]:9");
        assert!(parse_bind("localhost:0").unwrap().ip().is_loopback());
        let error = parse_bind("not an address").unwrap_err();
        assert!(error.contains("HOST:PORT"), "{error}");
    }
}
