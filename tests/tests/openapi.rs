//! The committed `openapi.yaml` is the spec the api generates; regenerate with `just openapi`.

#[test]
fn committed_spec_matches_the_generated_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.yaml");
    let committed =
        std::fs::read_to_string(&path).expect("openapi.yaml is committed at the repository root");
    let generated = onboard_api::spec_yaml();
    assert!(
        committed == generated,
        "openapi.yaml differs from the spec the api generates; run `just openapi` and commit the result"
    );
}

#[test]
fn every_operation_documents_its_errors() {
    let spec = onboard_api::openapi_service().spec();
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} has no success response"
            );
            if path.starts_with("/api/") {
                for status in ["400", "503"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} does not document {status}"
                    );
                }
            }
        }
    }
}

#[test]
fn each_operation_documents_exactly_the_statuses_it_can_answer() {
    let spec: serde_json::Value =
        serde_json::from_str(&onboard_api::openapi_service().spec()).unwrap();
    let expected: &[(&str, &[&str])] = &[
        (
            "uploadLogo",
            &[
                "201", "400", "404", "410", "413", "415", "429", "500", "503",
            ],
        ),
        ("getLogo", &["200", "400", "404", "429", "500", "503"]),
        ("createGuest", &["200", "201", "400", "429", "500", "503"]),
        ("getGuest", &["200", "400", "404", "429", "500", "503"]),
        (
            "getOnboardingConfig",
            &["200", "400", "404", "410", "429", "500", "503"],
        ),
        (
            "updateOnboardingConfig",
            &[
                "200", "400", "404", "409", "410", "413", "415", "429", "500", "503",
            ],
        ),
        (
            "completeOnboarding",
            &[
                "200", "400", "403", "404", "409", "410", "429", "500", "503",
            ],
        ),
        (
            "issueVerification",
            &[
                "200", "201", "400", "404", "409", "410", "429", "500", "503",
            ],
        ),
        (
            "getVerification",
            &["200", "400", "404", "410", "429", "500", "503"],
        ),
        (
            "checkVerification",
            &[
                "200", "202", "400", "404", "409", "410", "422", "429", "500", "503",
            ],
        ),
        (
            "startAnalysis",
            &["202", "400", "404", "409", "410", "429", "500", "503"],
        ),
        (
            "getProgressSteps",
            &[
                "200", "304", "400", "404", "409", "410", "429", "500", "503",
            ],
        ),
        (
            "getAnalysis",
            &["200", "400", "404", "410", "429", "500", "503"],
        ),
        (
            "cancelAnalysis",
            &["200", "400", "404", "410", "429", "500", "503"],
        ),
        (
            "searchContent",
            &["200", "400", "404", "410", "429", "500", "503"],
        ),
        (
            "recordEvent",
            &[
                "202", "400", "404", "410", "413", "415", "429", "500", "503",
            ],
        ),
        (
            "revokeOpsSessions",
            &["200", "400", "401", "403", "429", "500", "503"],
        ),
        (
            "startMaintenance",
            &["202", "400", "401", "403", "429", "500", "503"],
        ),
        (
            "getMaintenanceRun",
            &["200", "400", "401", "403", "404", "429", "500", "503"],
        ),
        (
            "listMaintenanceRuns",
            &["200", "400", "401", "403", "429", "500", "503"],
        ),
        (
            "getQueues",
            &["200", "400", "401", "403", "429", "500", "503"],
        ),
        (
            "getFunnel",
            &["200", "400", "401", "403", "429", "500", "503"],
        ),
        (
            "getDailyStats",
            &["200", "400", "401", "403", "429", "500", "503"],
        ),
        (
            "createWebhookEndpoint",
            &["201", "400", "401", "403", "429", "500", "503"],
        ),
        (
            "listWebhookEndpoints",
            &["200", "400", "401", "403", "429", "500", "503"],
        ),
        (
            "getWebhookEndpoint",
            &["200", "400", "401", "403", "404", "429", "500", "503"],
        ),
        (
            "updateWebhookEndpoint",
            &["200", "400", "401", "403", "404", "429", "500", "503"],
        ),
        (
            "deleteWebhookEndpoint",
            &["204", "400", "401", "403", "404", "429", "500", "503"],
        ),
        (
            "rotateWebhookSecret",
            &["200", "400", "401", "403", "404", "429", "500", "503"],
        ),
        (
            "sendTestWebhook",
            &[
                "202", "400", "401", "403", "404", "409", "429", "500", "503",
            ],
        ),
        (
            "listWebhookDeliveries",
            &["200", "400", "401", "403", "404", "429", "500", "503"],
        ),
        (
            "redeliverWebhook",
            &[
                "202", "400", "401", "403", "404", "409", "429", "500", "503",
            ],
        ),
        (
            "getFlags",
            &["200", "400", "404", "410", "429", "500", "503"],
        ),
        (
            "listFlags",
            &["200", "400", "401", "403", "429", "500", "503"],
        ),
        (
            "putFlag",
            &["200", "201", "400", "401", "403", "429", "500", "503"],
        ),
        (
            "deleteFlag",
            &[
                "204", "400", "401", "403", "404", "409", "429", "500", "503",
            ],
        ),
        (
            "pauseOnboarding",
            &["200", "400", "404", "409", "410", "429", "500", "503"],
        ),
        (
            "resumeOnboarding",
            &["200", "400", "404", "409", "410", "429", "500", "503"],
        ),
        (
            "getOnboardingProgress",
            &["200", "304", "400", "404", "410", "429", "500", "503"],
        ),
        ("healthz", &["200", "429"]),
        ("metrics", &["200", "429"]),
        ("readyz", &["200", "429", "503"]),
    ];
    let mut seen = Vec::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"].as_str().unwrap();
            let mut statuses: Vec<&str> = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            statuses.sort();
            let want = expected
                .iter()
                .find(|(name, _)| *name == id)
                .unwrap_or_else(|| panic!("{id} is not listed here"))
                .1;
            assert_eq!(statuses, want, "{id}");
            seen.push(id.to_owned());
        }
    }
    assert_eq!(seen.len(), expected.len());
}

fn spec() -> serde_json::Value {
    serde_json::from_str(&onboard_api::openapi_service().spec()).unwrap()
}

fn operations(spec: &serde_json::Value) -> Vec<(String, &serde_json::Value)> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops.push((format!("{method} {path}"), op));
        }
    }
    ops
}

#[test]
fn every_operation_and_response_is_described_and_json_is_plain_application_json() {
    let spec = spec();
    for (name, op) in operations(&spec) {
        assert!(op["summary"].is_string(), "{name} has no summary");
        assert!(op["description"].is_string(), "{name} has no description");
        for (status, response) in op["responses"].as_object().unwrap() {
            let description = response["description"].as_str().unwrap_or_default();
            assert!(
                !description.is_empty(),
                "{name} {status}: empty description"
            );
            for media in response["content"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|c| c.0)
            {
                assert!(
                    !media.starts_with("application/json;"),
                    "{name} {status}: {media}"
                );
            }
        }
    }
    assert!(!spec["servers"].as_array().unwrap().is_empty());
    assert_eq!(spec["info"]["license"]["name"], "MIT");
    // poem-openapi has no root security; the served and committed spec add it.
    assert!(onboard_api::spec_yaml().ends_with("\nsecurity: []\n"));
}

#[test]
fn every_schema_is_typed_where_its_shape_is_known() {
    fn walk(value: &serde_json::Value, at: &str, untyped: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(fields) => {
                if fields.is_empty() {
                    untyped.push(at.to_owned());
                }
                if fields.contains_key("nullable") && !fields.contains_key("type") {
                    untyped.push(format!("{at} (nullable without a type)"));
                }
                for (key, v) in fields {
                    walk(v, &format!("{at}/{key}"), untyped);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &format!("{at}/{i}"), untyped);
                }
            }
            _ => {}
        }
    }
    let spec = spec();
    let mut untyped = Vec::new();
    walk(&spec["components"], "#/components", &mut untyped);
    walk(&spec["paths"], "#/paths", &mut untyped);
    // The UI's own event data is any JSON the UI chooses.
    assert_eq!(
        untyped,
        ["#/components/schemas/NewEvent/properties/eventData/additionalProperties"]
    );
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    for name in [
        "ProgressStatus",
        "StepState",
        "AnalysisStep",
        "AnalysisStatus",
        "FloatiePosition",
        "UiEvent",
        "ErrorCode",
        "MaintenanceKind",
        "Trigger",
        "MaintenanceStatus",
        "Stage",
        "JobKind",
    ] {
        assert!(schemas[name]["enum"].is_array(), "{name} is not an enum");
    }
}

#[test]
fn every_error_code_is_listed_by_an_operation_and_every_error_response_lists_codes() {
    let spec = spec();
    let codes: Vec<String> = spec["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let mut listed = std::collections::HashSet::new();
    for (name, op) in operations(&spec) {
        for (status, response) in op["responses"].as_object().unwrap() {
            if !(status.starts_with('4') || status.starts_with('5')) || status == "304" {
                continue;
            }
            let description = response["description"].as_str().unwrap();
            let named: Vec<&String> = codes
                .iter()
                .filter(|c| description.contains(&format!("`{c}`")))
                .collect();
            assert!(
                !named.is_empty(),
                "{name} {status} lists no error code: {description}"
            );
            listed.extend(named.into_iter().cloned());
        }
    }
    // Codes answered outside the operations: a path or method the spec does not have, the
    // operators' HTML page, the CORS layer.
    let elsewhere = [
        "not_found",
        "method_not_allowed",
        "unknown_kind",
        "cross_site_form",
        "origin_not_allowed",
    ];
    let unlisted: Vec<&String> = codes
        .iter()
        .filter(|c| !listed.contains(*c) && !elsewhere.contains(&c.as_str()))
        .collect();
    assert!(
        unlisted.is_empty(),
        "codes no operation lists: {unlisted:?}"
    );
}
