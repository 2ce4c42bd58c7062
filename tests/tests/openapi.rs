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
        ("createGuest", &["201", "400", "429", "500", "503"]),
        ("getGuest", &["200", "400", "404", "429", "500", "503"]),
        (
            "getOnboardingConfig",
            &["200", "400", "404", "410", "429", "500", "503"],
        ),
        (
            "updateOnboardingConfig",
            &[
                "200", "400", "404", "410", "413", "415", "429", "500", "503",
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
        ("healthz", &["200"]),
        ("metrics", &["200"]),
        ("readyz", &["200", "503"]),
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
