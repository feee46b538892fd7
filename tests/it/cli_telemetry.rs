//! Traces reach a real OTLP/HTTP receiver: a server in the test decodes the
//! protobuf request, as a collector would, and checks spans and attributes.

use std::collections::BTreeMap;

use crate::support::{HttpServer, Response, chiron, write_files};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
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

/// Decodes every export the receiver got: (resource attributes, spans).
pub(crate) fn received(receiver: &HttpServer) -> (BTreeMap<String, String>, Vec<Span>) {
    let mut resource = BTreeMap::new();
    let mut spans = Vec::new();
    for request in receiver.requests() {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/v1/traces");
        assert_eq!(
            request.header("content-type"),
            Some("application/x-protobuf")
        );
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
