//! `chiron keys generate`, `chiron sign` and `chiron verify`: cosign-format
//! keys and blob signatures, and verification of bundles, wheelhouses and
//! single artifacts.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use chiron::error::{Result, ResultExt};
use clap::{Args, Subcommand};

use chiron::sign::{KeyPair, PublicKey};
use chiron::workflow::signing::{self, ExpectedSigner, SealedKey};

use super::context::{Context, Exit};
use super::style;
use chiron::error::UsageError;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Write a cosign-compatible encrypted ECDSA P-256 key pair
    /// (PREFIX.key, mode 0600, and PREFIX.pub).
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// File name prefix of the pair.
    #[arg(long, default_value = "cosign", value_name = "PREFIX")]
    pub output_key_prefix: String,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The file to sign.
    pub file: PathBuf,
    /// The private key (default: [signing] key).
    #[arg(long, value_name = "KEY")]
    pub key: Option<PathBuf>,
    /// Where to write the signature (default: FILE.sig).
    #[arg(long, value_name = "FILE")]
    pub output_signature: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A bundle (.tar.gz), a wheelhouse folder, a build's output folder
    /// (dist/), or any file with a signature beside it (FILE.sig).
    pub path: PathBuf,
    /// The public key (default: [signing] public-key).
    #[arg(long, value_name = "PUB")]
    pub key: Option<PathBuf>,
    /// The signature of a single file (default: PATH.sig).
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,
    /// Refuse a bundle that expands to more than this many bytes (default:
    /// the wheels its manifest lists plus 256 MiB, at most 16 GiB).
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<u64>,
    /// A Sigstore bundle of the file (a keyless signature, e.g. from CI,
    /// checked with --certificate-identity and --certificate-oidc-issuer;
    /// or a managed key's, checked with --key), verified offline against
    /// --trusted-root.
    #[arg(
        long,
        value_name = "FILE",
        requires = "trusted_root",
        conflicts_with = "signature"
    )]
    pub bundle: Option<PathBuf>,
    /// The Sigstore trusted root (trusted_root.json) to verify --bundle with.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// The identity the signing certificate must name (a workflow URI or
    /// an e-mail address), exactly.
    #[arg(long, value_name = "ID", requires = "bundle", conflicts_with = "key", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub certificate_identity: Option<String>,
    /// The OIDC issuer the signing certificate must name, exactly.
    #[arg(long, value_name = "URL", requires = "bundle", conflicts_with = "key", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub certificate_oidc_issuer: Option<String>,
}

/// The password of a private key: `CHIRON_PASSWORD`, else
/// `COSIGN_PASSWORD`, else asked on the terminal (twice when `confirm`).
pub fn password(ctx: &Context, confirm: bool) -> Result<zeroize::Zeroizing<String>> {
    for name in ["CHIRON_PASSWORD", "COSIGN_PASSWORD"] {
        if let Some(value) = ctx.env.get(name) {
            return Ok(zeroize::Zeroizing::new(value.to_string()));
        }
    }
    if !std::io::stdin().is_terminal() {
        return Err(UsageError {
            message: "the key's password is needed and there is no terminal to ask it on".into(),
            hint: "set CHIRON_PASSWORD (or COSIGN_PASSWORD)".into(),
        }
        .into());
    }
    let first = zeroize::Zeroizing::new(rpassword::prompt_password(
        "Password for the private key: ",
    )?);
    if confirm {
        let second = zeroize::Zeroizing::new(rpassword::prompt_password("Again: ")?);
        if *first != *second {
            return Err(UsageError {
                message: "the passwords differ".into(),
                hint: "run the command again".into(),
            }
            .into());
        }
    }
    Ok(first)
}

/// Reads and decrypts a private key: `given`, else [signing] key.
pub fn load_private_key(ctx: &Context, given: &Option<PathBuf>) -> Result<KeyPair> {
    let sealed = SealedKey::read(&ctx.cwd, ctx.require_config(), given.as_deref())?;
    let password = password(ctx, false)?;
    Ok(sealed.open(password.as_bytes())?)
}

/// Reads a public key: `given`, else [signing] public-key; `None` when
/// neither is set.
pub fn load_public_key(ctx: &Context, given: &Option<PathBuf>) -> Result<Option<PublicKey>> {
    signing::load_public_key(&ctx.cwd, ctx.config.as_ref().ok(), given.as_deref())
}

pub fn generate(args: GenerateArgs, ctx: &Context) -> Result<Exit> {
    let private = ctx.cwd.join(format!("{}.key", args.output_key_prefix));
    let public = ctx.cwd.join(format!("{}.pub", args.output_key_prefix));
    if !args.force {
        for path in [&private, &public] {
            if path.exists() {
                return Err(UsageError {
                    message: format!("{} exists", path.display()),
                    hint: "pass --force to replace it, or --output-key-prefix for another name"
                        .into(),
                }
                .into());
            }
        }
    }
    let password = password(ctx, true)?;
    let pair = KeyPair::generate()?;
    let text = pair.to_encrypted_pem(password.as_bytes())?;
    write_private(&private, text.as_bytes())?;
    chiron::atomic::write_file(
        &public,
        pair.public_pem().as_bytes(),
        chiron::atomic::Overwrite::Replace,
    )
    .with_context(|| format!("cannot write {}", public.display()))?;
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "private_key": private, "public_key": public }))?;
    } else {
        ctx.out.text(&format!(
            "{}wrote{:#} {} (private, mode 0600) and {}\n",
            style::OK,
            style::OK,
            private.display(),
            public.display()
        ))?;
    }
    Ok(Exit::Ok)
}

/// Writes a private key readable by its owner only, atomically.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    chiron::atomic::write_private_file(path, bytes, chiron::atomic::Overwrite::Replace)
        .with_context(|| format!("cannot write {}", path.display()))
}

pub fn sign(args: SignArgs, ctx: &Context) -> Result<Exit> {
    let file = ctx.cwd.join(&args.file);
    let pair = load_private_key(ctx, &args.key)?;
    let out = signing::sign_file(
        &file,
        &pair,
        args.output_signature
            .as_ref()
            .map(|out| ctx.cwd.join(out))
            .as_deref(),
    )?;
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "file": file, "signature": out }))?;
    } else {
        ctx.out.text(&format!(
            "{}signed{:#} {} -> {}\n",
            style::OK,
            style::OK,
            file.display(),
            out.display()
        ))?;
    }
    Ok(Exit::Ok)
}

fn render(report: &chiron::bundle::verify::VerifyReport, what: &str) -> String {
    let mut out = String::new();
    for problem in &report.problems {
        out.push_str(&format!(
            "{}{:<10}{:#} {}: {}\n",
            style::FAIL,
            problem.kind,
            style::FAIL,
            problem.path,
            problem.message
        ));
    }
    for note in &report.notes {
        out.push_str(&format!(
            "{}note{:#}       {note}\n",
            style::WARN,
            style::WARN
        ));
    }
    let verdict = if report.passed() {
        format!("{}verified{:#}", style::OK, style::OK)
    } else {
        format!("{}FAILED{:#}", style::FAIL, style::FAIL)
    };
    out.push_str(&format!(
        "{verdict}: {what} ({}: {} file(s), {} wheel RECORD(s){}), {} problem(s)\n",
        report.kind,
        report.files_checked,
        report.wheels_checked,
        if report.signature_checked {
            ", signature checked"
        } else {
            ""
        },
        report.problems.len()
    ));
    out
}

fn verify_sigstore(args: &VerifyArgs, ctx: &Context, bundle: &Path) -> Result<Exit> {
    let path = ctx.cwd.join(&args.path);
    let key_path = args.key.as_ref().map(|key| ctx.cwd.join(key));
    let expected = match (
        &key_path,
        args.certificate_identity.as_deref(),
        args.certificate_oidc_issuer.as_deref(),
    ) {
        (Some(key), None, None) => ExpectedSigner::Key(key),
        (None, Some(identity), Some(issuer)) => ExpectedSigner::Identity { identity, issuer },
        _ => {
            return Err(UsageError {
                message: "--bundle needs the expected signer".into(),
                hint: "pass --certificate-identity and --certificate-oidc-issuer for a keyless signature, or --key for a managed key's".into(),
            }
            .into());
        }
    };
    // clap requires --trusted-root with --bundle.
    let root = ctx.cwd.join(args.trusted_root.clone().unwrap_or_default());
    let signer = signing::verify_sigstore(&path, &ctx.cwd.join(bundle), &root, &expected)?;
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "file": path, "verified": true, "signer": signer }))?;
    } else {
        let who = match (&signer.identity, &signer.issuer, &signer.key_sha256) {
            (Some(identity), Some(issuer), _) => format!("signed by {identity} ({issuer})"),
            (_, _, Some(key)) => format!("signed with the key sha256:{key}"),
            _ => "signed".into(),
        };
        let when = match signer.signed_at {
            Some(time) => format!(" on {}", chiron::time::rfc3339(time)),
            None => String::new(),
        };
        ctx.out.text(&format!(
            "{}verified{:#}: {} {who}, logged at index {}{when}\n",
            style::OK,
            style::OK,
            path.display(),
            signer.log_index,
        ))?;
    }
    Ok(Exit::Ok)
}

pub fn verify(args: VerifyArgs, ctx: &Context) -> Result<Exit> {
    if let Some(bundle) = &args.bundle {
        return verify_sigstore(&args, ctx, bundle);
    }
    let path = ctx.cwd.join(&args.path);
    let key = load_public_key(ctx, &args.key)?;
    let name = path.display().to_string();
    if path.is_dir() && chiron::bundle::verify::is_dist_dir(&path) {
        let report = chiron::bundle::verify::verify_dist(&path, key.as_ref());
        return finish(ctx, &report, &name);
    }
    if path.is_dir() {
        let report = chiron::bundle::verify::verify_dir(
            &path,
            chiron::workflow::airgap::is_bundle_dir(&path),
            key.as_ref(),
        );
        return finish(ctx, &report, &name);
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
        let _span = tracing::info_span!("verify.bundle", bundle = %name).entered();
        let opened = chiron::workflow::airgap::open_bundle(&path, key.as_ref(), args.max_size)?;
        return finish(ctx, &opened.report, &name);
    }
    // A single artifact and its signature, as `cosign verify-blob`.
    let Some(key) = key else {
        return Err(UsageError {
            message: format!("{name} is a single file: checking it needs a public key"),
            hint: "pass --key cosign.pub (or set [signing] public-key)".into(),
        }
        .into());
    };
    let signature_path = signing::verify_file(
        &path,
        args.signature
            .as_ref()
            .map(|sig| ctx.cwd.join(sig))
            .as_deref(),
        &key,
    )?;
    if ctx.out.json {
        ctx.out.json(
            &serde_json::json!({ "file": path, "signature": signature_path, "verified": true }),
        )?;
    } else {
        ctx.out
            .text(&format!("{}verified{:#}: {name}\n", style::OK, style::OK))?;
    }
    Ok(Exit::Ok)
}

fn finish(
    ctx: &Context,
    report: &chiron::bundle::verify::VerifyReport,
    what: &str,
) -> Result<Exit> {
    if ctx.out.json {
        ctx.out.json(&serde_json::json!({
            "path": what,
            "passed": report.passed(),
            "report": report,
        }))?;
    } else {
        ctx.out.text(&render(report, what))?;
    }
    Ok(if report.passed() {
        Exit::Ok
    } else {
        Exit::Problems
    })
}
