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
