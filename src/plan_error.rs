//! `PlanError`: a request the workflows cannot carry out as made. Kept
//! out of `workflow/` so that `crate::error`, which gathers every error,
//! does not import the workflows that return it.

use std::path::PathBuf;

use crate::diagnose::{Diagnose, ExitClass};

/// A request the workflows cannot carry out as made: flags or
/// configuration that contradict each other or name nothing usable.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("`{text}` is not a valid requirement: {message}")]
    Requirement { text: String, message: String },
    #[error("{0}")]
    FormatOption(#[source] crate::resolve::formats::FormatError),
    #[error("{0}")]
    SdistsNeeded(#[source] crate::resolve::formats::FormatError),
    #[error("{}: a lock is a PEP 751 pylock.toml or a uv.lock", path.display())]
    NotALock { path: PathBuf },
    #[error("the lock {} does not exist", path.display())]
    NoLock { path: PathBuf },
    #[error("{} records the target `{name}`, which chiron cannot read", lock.display())]
    LockTarget { lock: PathBuf, name: String },
    #[error("no Python version to target")]
    NoPython,
    #[error("this machine's platform has no name chiron knows")]
    UnknownHost,
    #[error("{0}")]
    Target(#[source] crate::python::target::TargetError),
    #[error("no requirements to resolve")]
    NothingToResolve,
    #[error("no requirements to lock")]
    NothingToLock,
    #[error("--upgrade-package `{text}` is not a package name or requirement: {message}")]
    UpgradePackage { text: String, message: String },
    #[error("the lock {} does not exist", path.display())]
    NoPreviousLock { path: PathBuf },
    #[error("{0}")]
    SdistsToLock(#[source] crate::resolve::formats::FormatError),
    #[error("`{}` is not a date or an RFC 3339 time", text.trim())]
    Time { text: String },
    #[error("SOURCE_DATE_EPOCH=`{text}` is not a number of seconds")]
    SourceDateEpoch { text: String },
    #[error("SOURCE_DATE_EPOCH is before 1970")]
    EpochBefore1970,
    #[error("{message}")]
    HttpSetup { message: String },
    #[error("--update-db needs the network, and --offline forbids it")]
    UpdateOffline,
    #[error("--osv-db, --osv-api and --pypi-api each choose a different source")]
    ScanSources,
    #[error("{} is not a wheelhouse: no manifest.json", dir.display())]
    NotAWheelhouse { dir: PathBuf },
    #[error("{0}")]
    Inventory(#[source] crate::inventory::InventoryError),
    #[error("no private key to sign with")]
    NoPrivateKey,
    #[error("cannot read the private key {}: {message}", path.display())]
    PrivateKeyUnreadable { path: PathBuf, message: String },
    #[error("cannot read the public key {}: {message}", path.display())]
    PublicKeyUnreadable { path: PathBuf, message: String },
    #[error("cannot read {}: {message}", path.display())]
    FileUnreadable {
        path: PathBuf,
        message: String,
        hint: &'static str,
    },
    #[error("cannot read the signature {}: {message}", path.display())]
    SignatureUnreadable { path: PathBuf, message: String },
    #[error("no key to sign the bundle with")]
    NoSigningKey,
    #[error("{} does not verify: {problems} problem(s)", dir.display())]
    WheelhouseDoesNotVerify { dir: PathBuf, problems: usize },
    #[error("{} is not a readable bundle: {message}", bundle.display())]
    NotABundle { bundle: PathBuf, message: String },
    #[error("the bundle {} {relation} {}", bundle.display(), wheelhouse.display())]
    BundleOverWheelhouse {
        bundle: PathBuf,
        wheelhouse: PathBuf,
        /// "is the wheelhouse", "is inside the wheelhouse", ...
        relation: &'static str,
    },
    #[error("{} -m venv {} failed", python.display(), venv.display())]
    Venv { python: PathBuf, venv: PathBuf },
    #[error("{message}")]
    NoTargetFor { message: String },
    #[error("the bundle does not serve {}: it was built with gaps allowed, and this target is one:\n{}", gap.name, gap.reason)]
    TargetIsGap {
        gap: Box<crate::manifest::TargetGap>,
    },
    #[error("the bundle has no {requirements}")]
    NoRequirementsFile { requirements: String },
}

impl Diagnose for PlanError {
    fn exit_class(&self) -> ExitClass {
        ExitClass::Usage
    }

    fn hint(&self) -> Option<String> {
        let hint = match self {
            PlanError::Requirement { .. } => {
                "requirements are PEP 508: name[extras] specifiers ; markers"
            }
            PlanError::FormatOption(_) => "give package names separated by commas, :all: or :none:",
            PlanError::SdistsNeeded(_) => {
                "pass --allow-sdist to build the wheelhouse from those sdists, or drop --no-binary"
            }
            PlanError::NotALock { .. } => "name the lock file with --lock / [inputs] lock",
            PlanError::NoLock { .. } => "check --lock / [inputs] lock",
            PlanError::LockTarget { .. } => "pass --python and --platform to name the targets",
            PlanError::NoPython => {
                "pass --python 3.12 (comma-separated for several), or set [targets] python in chiron.toml"
            }
            PlanError::UnknownHost => "pass --platform with a wheel platform tag",
            PlanError::Target(_) => {
                "use a platform name (linux-x86_64, ...) or a manylinux/musllinux/macosx/win tag"
            }
            PlanError::NothingToResolve => {
                "name them (`chiron wheelhouse requests`), pass -r requirements.txt, or set [inputs] in chiron.toml (`chiron init`)"
            }
            PlanError::NothingToLock => {
                "name them (`chiron lock requests`), pass -r requirements.txt, or set [inputs] in chiron.toml (`chiron init`)"
            }
            PlanError::UpgradePackage { .. } => {
                "write --upgrade-package NAME or --upgrade-package NAME==VERSION"
            }
            PlanError::NoPreviousLock { .. } => {
                "name an existing pylock.toml with --lock, or leave it out"
            }
            PlanError::SdistsToLock(_) => {
                "pass --allow-sdist to lock those sdists, or drop --no-binary"
            }
            PlanError::Time { .. } => "write --exclude-newer 2026-01-31 or 2026-01-31T12:00:00Z",
            PlanError::SourceDateEpoch { .. } | PlanError::EpochBefore1970 => {
                "set it to a Unix time, e.g. `git log -1 --format=%ct`"
            }
            PlanError::HttpSetup { .. } => "check [index] cert",
            PlanError::ScanSources => "pass one of them",
            PlanError::UpdateOffline => {
                "drop --offline, or copy PyPI all.zip here and pass --osv-db"
            }
            PlanError::NotAWheelhouse { .. } => {
                "build one with `chiron wheelhouse`, or name what to read: a lock, a requirements file, a folder of wheels, a venv, or --python"
            }
            PlanError::Inventory(error) => return Some(error.hint.clone()),
            PlanError::NoPrivateKey => {
                "pass --key, or set [signing] key (make one with `chiron keys generate`)"
            }
            PlanError::PrivateKeyUnreadable { .. } => "pass --key, or set [signing] key",
            PlanError::PublicKeyUnreadable { .. } => {
                "pass --key with the .pub file of the key pair"
            }
            PlanError::FileUnreadable { hint, .. } => hint,
            PlanError::SignatureUnreadable { .. } => "pass --signature FILE",
            PlanError::NoSigningKey => {
                "pass --key (make one with `chiron keys generate`), set [signing] key, or pass --unsigned"
            }
            PlanError::WheelhouseDoesNotVerify { .. } => {
                "rebuild it with `chiron wheelhouse` (a policy failure: fix it, or rebuild with a policy that allows it)"
            }
            PlanError::NotABundle { .. } => "build one with `chiron airgap build`",
            PlanError::BundleOverWheelhouse { .. } => {
                "name a bundle file outside the wheelhouse with -o, e.g. `-o bundle.tar.gz`: the bundle would replace or join the files it packs"
            }
            PlanError::Venv { .. } => {
                "install the venv module (Debian: python3-venv), or pass --python"
            }
            PlanError::NoTargetFor { .. } => {
                "pass --target NAME to choose one, or use an interpreter the bundle was built for"
            }
            PlanError::TargetIsGap { gap } => {
                return Some(format!("where the bundle is built: {}", gap.hint));
            }
            PlanError::NoRequirementsFile { .. } => "see README.txt in the bundle for its targets",
        };
        Some(hint.to_string())
    }
}
