//! chiron's integration tests, in one test binary so that `support/` (the
//! local index server, wheel builder and venv helpers) compiles once and
//! one executable links: each module is one area, run by name
//! (`cargo test --test it scan::`, or any part of a test's name).

mod support;

mod airgap;
mod airgap_cli;
mod architecture;
mod archive_hostile;
mod atomic_writes;
mod build;
mod build_artifacts;
mod build_compare;
mod cli_config;
mod cli_doctor;
mod cli_gaps;
mod cli_init;
mod cli_init_ci;
mod cli_lock;
mod cli_manage;
mod cli_telemetry;
mod cli_wheelhouse;
mod differential;
mod foreign_pylock;
mod index_client;
mod metadata_decides;
mod net_hostile;
mod no_panics;
mod pep440_ranges;
mod pip_config;
mod pip_options;
mod pip_tls;
mod policy;
mod publish;
mod release;
mod release_git;
mod release_parts;
mod resolve;
mod sbom;
mod scan;
mod schemas;
mod serve_http;
mod serve_static;
mod serve_upload;
mod sigstore;
mod tag_selection;
