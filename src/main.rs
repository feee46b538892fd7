//! The `chiron` binary: parse arguments, load configuration, start
//! telemetry, run one command in a span, render errors, flush spans, exit
//! with the documented code.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use tracing::Instrument;

use chiron::config::{self, Env, LoadOptions, TelemetryConfig};
use chiron::telemetry::{Telemetry, Verbosity};
use cli::Cli;
use cli::context::{Context, Exit, Printer};

fn main() -> ExitCode {
    let Cli { global, command } = Cli::parse();
    let color_stderr = cli::apply_color(global.color);
    let env = Env::from_process();
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(error) => {
            let error = chiron::Error::from(error).context("cannot read the current folder");
            cli::report_error(&error, global.json, Exit::Usage);
            return ExitCode::from(Exit::Usage as u8);
        }
    };
    let load_options = LoadOptions {
        explicit: global.config.clone(),
        cwd: cwd.clone(),
        offline: global.offline,
    };
    let loaded = config::load(&load_options, &env);
    // A broken file must not silence telemetry set up in the environment.
    let telemetry_config = match &loaded {
        Ok(loaded) => loaded.config.telemetry.clone(),
        Err(_) => config::load_without_file(&load_options, &env)
            .map(|l| l.config.telemetry)
            .unwrap_or_else(|_| TelemetryConfig::default()),
    };
    let verbosity = Verbosity(if global.quiet {
        -1
    } else {
        global.verbose as i8
    });
    let telemetry = Telemetry::init(verbosity, color_stderr, &telemetry_config);
    let json = global.json;
    let progress = !global.no_progress
        && std::io::IsTerminal::is_terminal(&std::io::stderr())
        && env.get("CI").is_none();
    let name = command.name();
    let ctx = Context {
        out: Printer {
            json,
            quiet: global.quiet,
        },
        progress,
        env,
        cwd,
        load_options,
        config: loaded,
    };
    let result = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => {
            let span = tracing::info_span!(
                "chiron.command",
                command = name,
                version = env!("CARGO_PKG_VERSION"),
                exit_code = tracing::field::Empty,
            );
            let outcome = runtime.block_on(cli::run(command, &ctx).instrument(span.clone()));
            let exit = match &outcome {
                Ok(exit) => *exit,
                Err(error) => cli::exit_for(error),
            };
            span.record("exit_code", exit as u8);
            drop(span);
            // The runtime must be gone before the exporter's blocking client flushes.
            drop(runtime);
            outcome
        }
        Err(error) => Err(chiron::Error::from(error).context("cannot start the async runtime")),
    };
    let exit = match result {
        Ok(exit) => exit,
        Err(error) => {
            let exit = cli::exit_for(&error);
            tracing::debug!(
                error = chiron::workflow::gate::chain_text(&error),
                "command failed"
            );
            cli::report_error(&error, json, exit);
            exit
        }
    };
    telemetry.shutdown();
    ExitCode::from(exit as u8)
}
