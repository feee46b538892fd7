//! `chiron serve`'s request metrics, as OpenTelemetry's HTTP semantic
//! conventions name them: `http.server.request.duration` (s),
//! `http.server.response.body.size` (By) and
//! `http.server.active_requests`. The number of requests is the duration
//! histogram's count.
//!
//! Owns the instruments and their attributes, all of low cardinality: the
//! method (unknown ones as `_OTHER`), the status, the route's template
//! (never the raw path) and the index's name (only one the server has).
//! It must not export: instruments come from the global meter provider
//! that `crate::telemetry` installs when an endpoint is configured, and
//! are no-ops otherwise.

use std::time::Duration;

use axum::http::Method;
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Histogram, UpDownCounter};

/// The server's instruments.
pub(super) struct RequestMetrics {
    duration: Histogram<f64>,
    body_size: Histogram<u64>,
    active: UpDownCounter<i64>,
}

/// What one finished request is recorded with.
pub(super) struct Finished<'a> {
    pub method: &'a Method,
    pub status: u16,
    /// The route's template, e.g. `/simple/{project}/`; none for a path
    /// that matches no route.
    pub route: Option<&'static str>,
    pub index: Option<&'a str>,
    /// Bytes of the response body sent (not counting headers).
    pub body_bytes: u64,
    pub took: Duration,
}

/// An active request, counted until it is dropped.
pub(super) struct Active<'a> {
    counter: &'a UpDownCounter<i64>,
    attributes: [KeyValue; 2],
}

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.counter.add(-1, &self.attributes);
    }
}

/// The semantic conventions' advice for `http.server.request.duration`.
const DURATION_BOUNDARIES: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

impl RequestMetrics {
    pub(super) fn new() -> Self {
        let meter = opentelemetry::global::meter("chiron");
        Self {
            duration: meter
                .f64_histogram("http.server.request.duration")
                .with_unit("s")
                .with_description("Duration of HTTP server requests.")
                .with_boundaries(DURATION_BOUNDARIES.to_vec())
                .build(),
            body_size: meter
                .u64_histogram("http.server.response.body.size")
                .with_unit("By")
                .with_description("Size of HTTP server response bodies.")
                .build(),
            active: meter
                .i64_up_down_counter("http.server.active_requests")
                .with_unit("{request}")
                .with_description("Number of active HTTP server requests.")
                .build(),
        }
    }

    /// Counts a request as active until the returned guard is dropped.
    pub(super) fn start(&self, method: &Method) -> Active<'_> {
        let attributes = [method_attribute(method), scheme_attribute()];
        self.active.add(1, &attributes);
        Active {
            counter: &self.active,
            attributes,
        }
    }

    pub(super) fn finish(&self, request: &Finished<'_>) {
        let mut attributes = vec![
            method_attribute(request.method),
            scheme_attribute(),
            KeyValue::new("http.response.status_code", i64::from(request.status)),
        ];
        if let Some(route) = request.route {
            attributes.push(KeyValue::new("http.route", route));
        }
        if let Some(index) = request.index {
            attributes.push(KeyValue::new("chiron.index", index.to_string()));
        }
        self.duration
            .record(request.took.as_secs_f64(), &attributes);
        self.body_size.record(request.body_bytes, &attributes);
    }
}

/// `http.request.method`: the known methods as they are, others `_OTHER`
/// (a client must not be able to mint new series).
fn method_attribute(method: &Method) -> KeyValue {
    let known = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::CONNECT,
        Method::OPTIONS,
        Method::TRACE,
        Method::PATCH,
    ];
    let name = if known.contains(method) {
        method.as_str().to_string()
    } else {
        "_OTHER".to_string()
    };
    KeyValue::new("http.request.method", name)
}

fn scheme_attribute() -> KeyValue {
    KeyValue::new("url.scheme", "http")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_are_other() {
        let method = |m: &str| method_attribute(&Method::from_bytes(m.as_bytes()).unwrap()).value;
        assert_eq!(method("GET").as_str(), "GET");
        assert_eq!(method("PATCH").as_str(), "PATCH");
        assert_eq!(method("BREW").as_str(), "_OTHER");
        assert_eq!(method("get").as_str(), "_OTHER");
    }
}
