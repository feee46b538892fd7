//! `chiron release`: flags to a release request; the plan (a dry run) or
//! what `--execute` did, on stdout.

use std::path::PathBuf;

use clap::Args;

use chiron::error::Result;
use chiron::workflow::build::{BuildRequest, Dists};
use chiron::workflow::publish::PublishRequest;
use chiron::workflow::release::{
    ExecuteRequest, PackagePlan, ReleaseOutcome, ReleasePlan, ReleaseRequest, VersionSource,
};

use super::build::BuildLog;
use super::inputs::IndexArgs;
use super::progress::StageProgress;
use super::publish::TrustedPublishingArg;
use super::sign::load_private_key;
use super::{Context, Exit, style};

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// Release only this package of [[release.package]] (repeatable;
    /// default: every package with releasable commits).
    #[arg(long, short = 'p', value_name = "NAME")]
    pub package: Vec<String>,
    /// Make a pre-release: `rc` gives 1.3.0rc1, then 1.3.0rc2 (also `a`,
    /// `b`). Without it, a pre-release is finalised (1.3.0rc2 → 1.3.0).
    #[arg(long, value_name = "KIND")]
    pub pre: Option<String>,
    /// Release this version rather than the computed one.
    #[arg(long = "version", value_name = "VERSION")]
    pub set_version: Option<String>,
    /// Commits that are not Conventional Commits are an error, rather than
    /// listed and ignored.
    #[arg(long)]
    pub strict: bool,
    /// Carry the plan out: write the files, commit, tag, gate, build,
    /// sign. Without it nothing is changed.
    #[arg(long, conflicts_with_all = ["changelog_only", "check"])]
    pub execute: bool,
    /// Print the new changelog section(s) alone.
    #[arg(long, conflicts_with = "check")]
    pub changelog_only: bool,
    /// CI gate: exit 1 when commits since the last release would make a
    /// release that was not made.
    #[arg(long)]
    pub check: bool,
    /// With --execute: build once, not twice and compared.
    #[arg(long, requires = "execute")]
    pub no_check: bool,
    /// The interpreter to build with (default: python3).
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<PathBuf>,
    /// The folder of the build requirements' wheels (default: a folder per
    /// project in chiron's cache).
    #[arg(long, value_name = "DIR")]
    pub build_wheelhouse: Option<PathBuf>,
    /// The private key to sign with (default: [signing] key; without either
    /// the release is not signed).
    #[arg(long, value_name = "FILE", conflicts_with = "unsigned")]
    pub key: Option<PathBuf>,
    /// Do not sign, even with [signing] key set.
    #[arg(long)]
    pub unsigned: bool,
    /// With --execute: upload the release's sdist and wheels to this
    /// index's upload URL (https://upload.pypi.org/legacy/ for PyPI), as
    /// `chiron publish` does.
    #[arg(long, value_name = "URL", requires = "execute")]
    pub publish: Option<String>,
    /// The simple API asked which files the index holds already (default:
    /// PyPI's for PyPI, else the upload URL + /simple/).
    #[arg(long, value_name = "URL", requires = "publish")]
    pub publish_index_url: Option<String>,
    /// Mint the upload token from the CI's OIDC identity (GitHub Actions):
    /// auto = when no credentials are set and the CI offers one.
    #[arg(long, value_enum, default_value_t = TrustedPublishingArg::Auto, value_name = "WHEN")]
    pub trusted_publishing: TrustedPublishingArg,
    #[command(flatten)]
    pub index: IndexArgs,
}

impl ReleaseArgs {
    fn request(&self) -> ReleaseRequest {
        ReleaseRequest {
            packages: self.package.clone(),
            pre: self.pre.clone(),
            version: self.set_version.clone(),
            strict: self.strict,
        }
    }

    fn execute_request(&self) -> ExecuteRequest {
        ExecuteRequest {
            build: BuildRequest {
                dists: Dists::SdistThenWheel,
                python: self.python.clone(),
                build_wheelhouse: self.build_wheelhouse.clone(),
                index: self.index.request(),
                check: !self.no_check,
                command: std::env::args().collect(),
                ..BuildRequest::default()
            },
            sources: Default::default(),
            publish: self.publish.as_ref().map(|url| PublishRequest {
                repository_url: Some(url.clone()),
                index_url: self.publish_index_url.clone(),
                trusted_publishing: self.trusted_publishing.into(),
                ..PublishRequest::default()
            }),
        }
    }
}

pub async fn run(args: ReleaseArgs, ctx: &Context) -> Result<Exit> {
    let ws = ctx.workspace()?;
    let plan = chiron::workflow::release::plan(&ws, &args.request())?;
    if args.changelog_only {
        if ctx.out.json {
            let sections: serde_json::Map<String, serde_json::Value> = plan
                .releasing()
                .map(|p| (p.name.clone(), p.changelog.clone().into()))
                .collect();
            ctx.out
                .json(&serde_json::json!({ "changelog": sections }))?;
        } else {
            let sections: Vec<&str> = plan.releasing().map(|p| p.changelog.as_str()).collect();
            ctx.out.text(&sections.join("\n"))?;
        }
        return Ok(Exit::Ok);
    }
    if args.check {
        return check(ctx, &plan);
    }
    if !args.execute {
        if ctx.out.json {
            ctx.out
                .json(&serde_json::json!({ "dry_run": true, "plan": plan }))?;
        } else {
            ctx.out.text(&render_plan(&plan))?;
        }
        return Ok(Exit::Ok);
    }
    // The state of the repository first: `--execute` on a detached HEAD or
    // a dirty tree is refused even when there is nothing to release.
    if let Some(refusal) = plan
        .refusal()
        .filter(|_| plan.releasing().next().is_some() || plan.refuses_state())
    {
        return Err(refusal.into());
    }
    if plan.releasing().next().is_none() {
        return nothing(ctx, &plan);
    }
    let key = if args.unsigned || (args.key.is_none() && ws.config.config.signing.key.is_none()) {
        None
    } else {
        Some(load_private_key(ctx, &args.key)?)
    };
    let log = BuildLog::new(ctx);
    let bar = StageProgress::new(ctx.progress);
    let result = chiron::workflow::release::execute(
        &ws,
        &plan,
        &args.execute_request(),
        key.as_ref(),
        &bar,
        &log,
    )
    .await;
    drop(bar);
    let outcome = result.inspect_err(|_| log.replay())?;
    drop(log);
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "dry_run": false, "plan": plan, "result": outcome }))?;
    } else {
        ctx.out.text(&render_outcome(&plan, &outcome))?;
    }
    Ok(Exit::Ok)
}

/// `--execute` with nothing to release: said, exit 0.
fn nothing(ctx: &Context, plan: &ReleasePlan) -> Result<Exit> {
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "dry_run": false, "plan": plan, "result": null }))?;
    } else {
        ctx.out.text(&render_plan(plan).replacen(
            "(dry run: nothing was changed; --execute carries it out)",
            "(--execute: nothing to release, nothing was changed)",
            1,
        ))?;
    }
    Ok(Exit::Ok)
}

/// `--check`: exit 1 when a release is pending.
fn check(ctx: &Context, plan: &ReleasePlan) -> Result<Exit> {
    let pending: Vec<&PackagePlan> = plan.releasing().collect();
    if ctx.out.json {
        ctx.out
            .json(&serde_json::json!({ "pending": !pending.is_empty(), "plan": plan }))?;
    } else if pending.is_empty() {
        ctx.out.text(&format!(
            "{}released{:#}: no commits since the last release would bump a version\n",
            style::OK,
            style::OK
        ))?;
    } else {
        let mut text = String::new();
        for package in &pending {
            text.push_str(&format!(
                "{}unreleased{:#}: {} has commits that make {} ({} since {})\n",
                style::FAIL,
                style::FAIL,
                package.name,
                package.next_version.as_deref().unwrap_or("?"),
                package.commits.len(),
                package.last_tag.as_deref().unwrap_or("the first commit"),
            ));
        }
        text.push_str(
            "hint: run `chiron release --execute` (or see the plan with `chiron release`)\n",
        );
        ctx.out.text(&text)?;
    }
    Ok(if pending.is_empty() {
        Exit::Ok
    } else {
        Exit::Problems
    })
}

fn render_plan(plan: &ReleasePlan) -> String {
    let mut text = format!(
        "release plan for {}{} (dry run: nothing was changed; --execute carries it out)\n",
        plan.repository.display(),
        plan.branch
            .as_deref()
            .map(|b| format!(" on {b}"))
            .unwrap_or_default()
    );
    for package in &plan.packages {
        text.push_str(&render_package(package));
    }
    if plan.releasing().next().is_none() {
        text.push_str("nothing to release\n");
        return text;
    }
    if let Some(message) = &plan.commit_message {
        text.push_str(&format!("commit: {message}\n"));
    }
    text.push_str(&format!("tags: {}\n", plan.tags.join(", ")));
    for refusal in &plan.refusals {
        text.push_str(&format!(
            "{}--execute would refuse{:#}: {}\n  hint: {}\n",
            style::FAIL,
            style::FAIL,
            refusal.message,
            refusal.hint
        ));
    }
    text
}

fn render_package(package: &PackagePlan) -> String {
    let source = match &package.version_source {
        VersionSource::Static => String::new(),
        VersionSource::Dynamic { backend } => format!(", version from the tag ({backend})"),
    };
    let mut text = match (&package.next_version, &package.tag) {
        (Some(next), Some(tag)) => format!(
            "\n{}{}{:#} {} → {}{:#} ({}; tag {tag}{source})\n",
            style::OK,
            package.name,
            style::OK,
            package.last_version.as_deref().unwrap_or("(none)"),
            style::OK,
            next,
            package.bump.unwrap_or("chosen with --version"),
        ),
        _ => format!(
            "\n{}: nothing to release (no releasable commits since {}{source})\n",
            package.name,
            package.last_tag.as_deref().unwrap_or("the first commit")
        ),
    };
    for commit in &package.commits {
        text.push_str(&format!(
            "  {} {:<60} {}\n",
            short(&commit.id),
            commit.summary,
            commit.bump
        ));
    }
    for ignored in &package.ignored {
        text.push_str(&format!(
            "  {} {:<60} ignored: not a Conventional Commit\n",
            short(&ignored.id),
            ignored.summary,
        ));
    }
    for file in &package.files {
        match (&file.from, &file.to) {
            (Some(from), Some(to)) => text.push_str(&format!(
                "  would change {} ({}): {from} → {to}\n",
                file.path, file.what
            )),
            _ => text.push_str(&format!("  would change {} ({})\n", file.path, file.what)),
        }
    }
    if !package.changelog.is_empty() {
        text.push_str("  changelog section:\n");
        for line in package.changelog.lines() {
            text.push_str(&format!("    {line}\n").replace("    \n", "\n"));
        }
    }
    text
}

fn render_outcome(plan: &ReleasePlan, outcome: &ReleaseOutcome) -> String {
    let mut text = String::new();
    if let Some(commit) = &outcome.commit {
        text.push_str(&format!(
            "committed {} {}\n",
            short(commit),
            plan.commit_message.as_deref().unwrap_or("")
        ));
    }
    for tag in &outcome.tags {
        text.push_str(&format!("tagged {tag}\n"));
    }
    for package in &outcome.packages {
        text.push_str(&format!(
            "{}released{:#} {} {} into {}\n",
            style::OK,
            style::OK,
            package.name,
            package.version,
            package.outdir.display()
        ));
        for file in &package.build.files {
            text.push_str(&format!(
                "  {}  sha256:{}\n",
                file.path.display(),
                file.sha256
            ));
        }
        match &package.gated_lock {
            Some(lock) => text.push_str(&format!("  gate passed on {}\n", lock.display())),
            None => text.push_str(
                "  gate: no pylock.toml in the package, so no dependencies were scanned\n",
            ),
        }
    }
    for report in &outcome.published {
        for file in &report.files {
            let word = match file.status {
                chiron::workflow::publish::FileStatus::Uploaded => "uploaded",
                chiron::workflow::publish::FileStatus::Skipped => "already there",
            };
            text.push_str(&format!(
                "  {word} {} to {}\n",
                file.filename, report.repository_url
            ));
        }
    }
    text.push_str("nothing was pushed: `git push --follow-tags` publishes the commit and tags\n");
    text
}

fn short(id: &str) -> &str {
    id.get(..7).unwrap_or(id)
}
