//! Logs on stderr, and OpenTelemetry traces and metrics over OTLP/HTTP
//! (protobuf).
//!
//! Export is on only when an endpoint is configured (the standard `OTEL_*`
//! variables or `[telemetry]`); otherwise no exporter exists: spans cost
//! only what `tracing` costs, and instruments taken from
//! `opentelemetry::global::meter` (`chiron serve`'s request metrics) are
//! no-ops. [`Telemetry::shutdown`] flushes every span and a last reading
//! of every metric before the process exits, on success and on error alike.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::filter::{EnvFilter, LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

use crate::config::TelemetryConfig;
use crate::redact::redact_url;

/// How much the user asked to see on stderr: `-q` is -1, `-v` 1, `-vv` 2.
#[derive(Debug, Clone, Copy, Default)]
pub struct Verbosity(pub i8);

impl Verbosity {
    fn directives(self) -> &'static str {
        match self.0 {
            // The exporter already warns when spans are lost; the SDK's own
            // error for the same failure only repeats it.
            i8::MIN..=-1 => "error,opentelemetry_sdk=off",
            0 => "warn,opentelemetry_sdk=off",
            1 => "warn,chiron=info",
            2 => "info,chiron=debug",
            _ => "debug,chiron=trace",
        }
    }
}

/// Installed logging and tracing; keep it alive for the whole command.
#[must_use = "call shutdown() to flush spans before exiting"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
    meters: Option<SdkMeterProvider>,
    /// Set when export was asked for but could not start.
    pub problem: Option<String>,
}

impl Telemetry {
    /// Installs the global subscriber. `RUST_LOG` wins over `verbosity`.
    ///
    /// Must be called outside any async runtime: the OTLP exporter uses a
    /// blocking HTTP client on its own thread.
    pub fn init(verbosity: Verbosity, color: bool, config: &TelemetryConfig) -> Telemetry {
        let filter = std::env::var("RUST_LOG")
            .ok()
            .and_then(|value| EnvFilter::try_new(value).ok())
            .unwrap_or_else(|| EnvFilter::new(verbosity.directives()));
        let logs = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(color)
            .with_target(false)
            .without_time()
            .with_filter(filter);

        let mut problems = Vec::new();
        let provider = config.traces_endpoint().and_then(|endpoint| {
            build_provider(&endpoint, &config.service_name)
                .map_err(|error| {
                    problems.push(format!(
                        "trace export to {} is off: {error}",
                        redact_url(&endpoint)
                    ));
                })
                .ok()
        });
        let meters = config.metrics_endpoint().and_then(|endpoint| {
            let interval = Duration::from_millis(config.metric_export_interval.max(1));
            build_meter_provider(&endpoint, &config.service_name, interval)
                .map_err(|error| {
                    problems.push(format!(
                        "metric export to {} is off: {error}",
                        redact_url(&endpoint)
                    ));
                })
                .ok()
        });
        if let Some(meters) = &meters {
            opentelemetry::global::set_meter_provider(meters.clone());
        }
        let problem = (!problems.is_empty()).then(|| problems.join("; "));
        // Only chiron's own spans are exported: the HTTP stack the exporter
        // itself uses would otherwise trace its own exports.
        let traces = provider.as_ref().map(|provider| {
            tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("chiron"))
                .with_filter(Targets::new().with_target("chiron", LevelFilter::INFO))
        });
        let _ = Registry::default().with(logs).with(traces).try_init();
        if let Some(problem) = &problem {
            tracing::warn!("{problem}");
        }
        Telemetry {
            provider,
            meters,
            problem,
        }
    }

    /// Whether spans are being exported.
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Flushes and stops the exporter. Must be called outside any async runtime.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            if let Err(error) = provider.force_flush() {
                tracing::debug!("flushing spans failed: {error}");
            }
            if let Err(error) = provider.shutdown() {
                tracing::debug!("stopping the trace exporter failed: {error}");
            }
        }
        // Shutting down reads every instrument once more and exports it:
        // what a short run recorded since the last interval is not lost.
        if let Some(meters) = self.meters
            && let Err(error) = meters.shutdown()
        {
            tracing::debug!("stopping the metric exporter failed: {error}");
        }
    }
}

fn build_provider(endpoint: &str, service_name: &str) -> Result<SdkTracerProvider, String> {
    check_endpoint(endpoint)?;
    let exporter = otlp_http(
        opentelemetry_otlp::SpanExporter::builder().with_http(),
        endpoint,
    )
    .build()
    .map_err(|e| e.to_string())?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource(service_name))
        .build())
}

/// Metrics read every `interval` (cumulative, as Prometheus expects) on
/// the reader's own thread, and once more at shutdown.
fn build_meter_provider(
    endpoint: &str,
    service_name: &str,
    interval: Duration,
) -> Result<SdkMeterProvider, String> {
    check_endpoint(endpoint)?;
    let exporter = otlp_http(
        opentelemetry_otlp::MetricExporter::builder().with_http(),
        endpoint,
    )
    .build()
    .map_err(|e| e.to_string())?;
    let reader = PeriodicReader::builder(exporter)
        .with_interval(interval)
        .build();
    Ok(SdkMeterProvider::builder()
        .with_reader(reader)
        .with_resource(resource(service_name))
        .build())
}

/// An exporter's builder set to post protobuf to `endpoint`, 5 s at most.
fn otlp_http<B: WithExportConfig>(builder: B, endpoint: &str) -> B {
    builder
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .with_timeout(Duration::from_secs(5))
}

/// An http(s) URL; the TLS provider is installed for an https one.
fn check_endpoint(endpoint: &str) -> Result<(), String> {
    let parsed = url::Url::parse(endpoint).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("`{}` is not an http(s) URL", parsed.scheme()));
    }
    crate::index::install_crypto_provider();
    Ok(())
}

fn resource(service_name: &str) -> Resource {
    Resource::builder()
        .with_service_name(service_name.to_string())
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_maps_to_filters() {
        assert_eq!(Verbosity(-1).directives(), "error,opentelemetry_sdk=off");
        assert_eq!(Verbosity(0).directives(), "warn,opentelemetry_sdk=off");
        assert_eq!(Verbosity(1).directives(), "warn,chiron=info");
        assert_eq!(Verbosity(5).directives(), "debug,chiron=trace");
    }

    #[test]
    fn a_bad_endpoint_is_reported_not_fatal() {
        assert!(build_provider("not a url", "chiron").is_err());
        assert!(build_provider("ftp://collector", "chiron").is_err());
        let second = Duration::from_secs(1);
        assert!(build_meter_provider("not a url", "chiron", second).is_err());
        assert!(build_meter_provider("ftp://collector", "chiron", second).is_err());
    }
}
