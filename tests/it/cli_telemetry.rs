//! Traces reach a real OTLP/HTTP receiver: a server in the test decodes the
//! protobuf request, as a collector would, and checks spans and attributes.
//! The same receiver takes `/v1/metrics` (`chiron serve`'s request metrics,
//! checked in `serve_http`).

use std::collections::BTreeMap;

use crate::support::{HttpServer, Response, chiron, write_files};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
use prost::Message;

#[derive(Debug)]
pub(crate) struct Span {
    pub(crate) name: String,
    pub(crate) attributes: BTreeMap<String, String>,
    trace_id: Vec<u8>,
}

fn text(value: &Option<AnyValue>) -> String {
    match value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn attributes(list: &[KeyValue]) -> BTreeMap<String, String> {
    list.iter()
        .map(|kv| (kv.key.clone(), text(&kv.value)))
        .collect()
}

/// Decodes every trace export the receiver got: (resource attributes,
/// spans).
pub(crate) fn received(receiver: &HttpServer) -> (BTreeMap<String, String>, Vec<Span>) {
    let mut resource = BTreeMap::new();
    let mut spans = Vec::new();
    for request in receiver.requests() {
        assert_eq!(request.method, "POST");
        assert!(
            ["/v1/traces", "/v1/metrics"].contains(&request.path.as_str()),
            "{}",
            request.path
        );
        assert_eq!(
            request.header("content-type"),
            Some("application/x-protobuf")
        );
        if request.path != "/v1/traces" {
            continue;
        }
        let export = ExportTraceServiceRequest::decode(request.body.as_slice())
            .expect("valid OTLP protobuf");
        for resource_spans in export.resource_spans {
            if let Some(r) = &resource_spans.resource {
                resource.extend(attributes(&r.attributes));
            }
            for scope in resource_spans.scope_spans {
                for span in scope.spans {
                    spans.push(Span {
                        name: span.name,
                        attributes: attributes(&span.attributes),
                        trace_id: span.trace_id,
                    });
                }
            }
        }
    }
    (resource, spans)
}

/// One data point of a metric: a histogram's count and sum, or a sum's
/// value.
#[derive(Debug, Clone)]
pub(crate) struct Point {
    pub(crate) metric: String,
    pub(crate) unit: String,
    pub(crate) attributes: BTreeMap<String, String>,
    pub(crate) count: u64,
    pub(crate) sum: f64,
    pub(crate) value: i64,
}

/// Decodes every metric export the receiver got: (resource attributes,
/// the points of each metric's last export). Exports are cumulative, so
/// the last one holds every request.
pub(crate) fn received_metrics(receiver: &HttpServer) -> (BTreeMap<String, String>, Vec<Point>) {
    let mut resource = BTreeMap::new();
    let mut last: BTreeMap<String, Vec<Point>> = BTreeMap::new();
    for request in receiver.requests() {
        if request.path != "/v1/metrics" {
            continue;
        }
        assert_eq!(
            request.header("content-type"),
            Some("application/x-protobuf")
        );
        let export = ExportMetricsServiceRequest::decode(request.body.as_slice())
            .expect("valid OTLP protobuf");
        for resource_metrics in export.resource_metrics {
            if let Some(r) = &resource_metrics.resource {
                resource.extend(attributes(&r.attributes));
            }
            for scope in resource_metrics.scope_metrics {
                for m in scope.metrics {
                    let point = |attributes_of: &[KeyValue], count, sum, value| Point {
                        metric: m.name.clone(),
                        unit: m.unit.clone(),
                        attributes: attributes(attributes_of),
                        count,
                        sum,
                        value,
                    };
                    let points = match &m.data {
                        Some(metric::Data::Histogram(histogram)) => histogram
                            .data_points
                            .iter()
                            .map(|p| point(&p.attributes, p.count, p.sum.unwrap_or(0.0), 0))
                            .collect(),
                        Some(metric::Data::Sum(sum)) => sum
                            .data_points
                            .iter()
                            .map(|p| {
                                let value = match p.value {
                                    Some(number_data_point::Value::AsInt(v)) => v,
                                    other => panic!("{}: {other:?}", m.name),
                                };
                                point(&p.attributes, 0, 0.0, value)
                            })
                            .collect(),
                        other => panic!("{}: unexpected data {other:?}", m.name),
                    };
                    last.insert(m.name.clone(), points);
                }
            }
        }
    }
    (resource, last.into_values().flatten().collect())
}

pub(crate) fn receiver() -> HttpServer {
    HttpServer::start(|_| Response::new(200, "application/x-protobuf", Vec::new()))
}

#[test]
fn doctor_spans_reach_the_collector() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(
        project.path(),
        &[("chiron.toml", "[targets]\npython = [\"3.99\"]\n")],
    );
    let collector = receiver();
    chiron(home.path())
        .current_dir(project.path())
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url(""))
        .env("OTEL_SERVICE_NAME", "chiron-under-test")
        .args(["--offline", "doctor"])
        .assert()
        .success();

    let (resource, spans) = received(&collector);
    assert_eq!(resource["service.name"], "chiron-under-test");
    assert!(resource.contains_key("service.version"));

    let command = spans
        .iter()
        .find(|s| s.name == "chiron.command")
        .expect("a command span");
    assert_eq!(command.attributes["command"], "doctor");
    assert_eq!(command.attributes["exit_code"], "0");
    assert!(spans.iter().any(|s| s.name == "doctor"));

    let checks: BTreeMap<&str, &Span> = spans
        .iter()
        .filter(|s| s.name == "doctor.check")
        .map(|s| (s.attributes["check"].as_str(), s))
        .collect();
    for id in [
        "config",
        "python",
        "index",
        "cache",
        "signing-key",
        "telemetry",
        "disk",
    ] {
        assert!(
            checks.contains_key(id),
            "no doctor.check span for {id}: {spans:#?}"
        );
    }
    assert_eq!(checks["python"].attributes["status"], "warn");
    assert_eq!(checks["python"].attributes["subject"], "python 3.99");
    assert_eq!(checks["index"].attributes["status"], "skip");
    // One trace: every span hangs off the command.
    assert!(spans.iter().all(|s| s.trace_id == command.trace_id));
}

#[test]
fn spans_are_flushed_when_the_command_fails() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    write_files(project.path(), &[("chiron.toml", "[nope]\n")]);
    let collector = receiver();
    chiron(home.path())
        .current_dir(project.path())
        .env(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            collector.url("/v1/traces"),
        )
        .args(["config", "show"])
        .assert()
        .code(2);
    let (_, spans) = received(&collector);
    let command = spans
        .iter()
        .find(|s| s.name == "chiron.command")
        .expect("a command span");
    assert_eq!(command.attributes["command"], "config show");
    assert_eq!(command.attributes["exit_code"], "2");
}

#[test]
fn without_an_endpoint_nothing_is_exported() {
    let home = tempfile::tempdir().unwrap();
    let collector = receiver();
    chiron(home.path())
        .current_dir(home.path())
        .env("OTEL_SDK_DISABLED", "true")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url(""))
        .args(["--offline", "doctor"])
        .assert()
        .success();
    assert!(collector.requests().is_empty());
}
