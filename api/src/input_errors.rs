//! Explains input the API could not read, in words for the person at the UI: which value
//! is wrong, what it was, and what is accepted.
//!
//! poem-openapi refuses a bad parameter or body with a message in its own terms (`failed
//! to parse "string_uuid_v4"`, `field primaryColor verification failed. pattern(…)`) and,
//! for a field of the wrong type, without naming the field. So when it refuses, the value
//! is checked again here against the operation's schema in the spec — the same rules, read
//! from the one place that states them — and the first problem found becomes the message.
//! The `error` code names the field (`invalid_primary_color`), as the spec lists it.

use std::{collections::HashMap, sync::Arc};

use poem::{
    Endpoint, IntoResponse, Request, Response,
    http::{Method, header},
};
use poem_openapi::error::{ParseParamError, ParsePathError, ParseRequestPayloadError};
use regex::Regex;
use serde_json::Value;

use crate::{
    allow::AllowTable,
    error::{ApiError, ErrorCode},
};

/// The spec's operations, for checking their inputs again.
#[derive(Clone)]
pub struct InputSchemas {
    spec: Arc<Value>,
    table: AllowTable,
    patterns: Arc<HashMap<String, Regex>>,
}

/// What is wrong with one value.
#[derive(Debug, PartialEq)]
pub struct Problem {
    /// Where the value is: `design.primaryColor`, `contact.email`, `user_uuid`.
    pub path: String,
    /// The property or parameter it belongs to (`primaryColor`), which names the code.
    pub field: String,
    pub message: String,
}

impl InputSchemas {
    pub fn from_spec(spec_json: &str, table: AllowTable) -> Self {
        let spec: Value = serde_json::from_str(spec_json).unwrap_or_default();
        let mut patterns = HashMap::new();
        collect_patterns(&spec, &mut patterns);
        Self {
            spec: Arc::new(spec),
            table,
            patterns: Arc::new(patterns),
        }
    }

    fn operation(&self, method: &Method, path: &str) -> Option<&Value> {
        let template = self.table.template_of(path)?;
        let op = &self.spec["paths"][template.as_str()][method.as_str().to_ascii_lowercase()];
        op.is_object().then_some(op)
    }

    /// The first problem with a body the operation refused; `None` when the body checks
    /// out (the refusal was for a reason the schema does not state).
    pub fn check_body(&self, method: &Method, path: &str, body: &Value) -> Option<Problem> {
        let op = self.operation(method, path)?;
        let schema = &op["requestBody"]["content"]["application/json"]["schema"];
        self.check(body, schema, "", "", None)
    }

    /// The problem with a parameter the operation refused: missing, or its value.
    pub fn check_param(
        &self,
        method: &Method,
        path: &str,
        name: &str,
        raw: Option<&str>,
    ) -> Option<Problem> {
        let op = self.operation(method, path)?;
        let param = op["parameters"]
            .as_array()?
            .iter()
            .find(|p| p["name"] == name)?;
        let about = param["description"].as_str();
        let Some(raw) = raw else {
            return Some(Problem {
                path: name.to_owned(),
                field: name.to_owned(),
                message: with_about(format!("{name} is required"), about),
            });
        };
        let schema = self.resolve(&param["schema"]);
        // Parameters arrive as text; a number is checked as the number it reads as.
        let value = match schema["type"].as_str() {
            Some("integer" | "number") => raw
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| raw.parse::<f64>().map(Value::from))
                .unwrap_or_else(|_| Value::String(raw.to_owned())),
            _ => Value::String(raw.to_owned()),
        };
        self.check(&value, &param["schema"], name, name, about)
            .or_else(|| {
                Some(Problem {
                    path: name.to_owned(),
                    field: name.to_owned(),
                    message: with_about(format!("{name} is not valid ({})", show(&value)), about),
                })
            })
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut schema = schema;
        for _ in 0..8 {
            if let Some(name) = schema["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                schema = &self.spec["components"]["schemas"][name];
            } else if let Some(typed) = schema["allOf"].as_array().and_then(|all| {
                all.iter()
                    .find(|s| s.get("$ref").is_some() || s.get("type").is_some())
            }) {
                // poem-openapi writes a described reference as `allOf: [$ref, {description}]`.
                schema = typed;
            } else {
                break;
            }
        }
        schema
    }

    fn check(
        &self,
        value: &Value,
        schema: &Value,
        path: &str,
        field: &str,
        about: Option<&str>,
    ) -> Option<Problem> {
        let about = schema["description"].as_str().or(about);
        // Objects and enums are fields that may be left out but not sent as null (see
        // `NoNull`); inline values read null as left out.
        let null_refused = schema.get("$ref").is_some() || schema.get("allOf").is_some();
        let schema = self.resolve(schema);
        let about = about.or(schema["description"].as_str());
        let problem = |message: String| {
            Some(Problem {
                path: path.to_owned(),
                field: field.to_owned(),
                message,
            })
        };
        let name = if path.is_empty() { "The body" } else { path };
        if value.is_null() {
            return (null_refused && !path.is_empty()).then(|| Problem {
                path: path.to_owned(),
                field: field.to_owned(),
                message: format!(
                    "{path} may be left out, but not null; leave it out to keep what is set"
                ),
            });
        }
        if let Some(allowed) = schema["enum"].as_array() {
            if !allowed.contains(value) {
                let list: Vec<String> = allowed.iter().map(show).collect();
                return problem(format!(
                    "{name} must be one of {}; it is {}",
                    list.join(", "),
                    show(value)
                ));
            }
            return None;
        }
        match schema["type"].as_str() {
            Some("object") => {
                let Some(fields) = value.as_object() else {
                    return problem(format!(
                        "{name} must be a JSON object; it is {}",
                        show(value)
                    ));
                };
                for required in schema["required"].as_array().into_iter().flatten() {
                    let Some(key) = required.as_str() else {
                        continue;
                    };
                    if !fields.contains_key(key) {
                        let property = &schema["properties"][key];
                        let about = property["description"]
                            .as_str()
                            .or(self.resolve(property)["description"].as_str());
                        return Some(Problem {
                            path: join(path, key),
                            field: key.to_owned(),
                            message: with_about(format!("{} is required", join(path, key)), about),
                        });
                    }
                }
                for (key, item) in fields {
                    let property = &schema["properties"][key];
                    let found = if property.is_object() {
                        self.check(item, property, &join(path, key), key, None)
                    } else if schema["additionalProperties"].is_object() {
                        // A map's keys are data, not fields: the map names the code.
                        self.check(
                            item,
                            &schema["additionalProperties"],
                            &join(path, key),
                            field,
                            None,
                        )
                    } else {
                        None
                    };
                    if found.is_some() {
                        return found;
                    }
                }
                None
            }
            Some("array") => {
                let Some(items) = value.as_array() else {
                    return problem(format!("{name} must be a list; it is {}", show(value)));
                };
                if let Some(max) = schema["maxItems"].as_u64()
                    && items.len() as u64 > max
                {
                    return problem(format!(
                        "{name} may have at most {max} entries; it has {}",
                        items.len()
                    ));
                }
                items.iter().enumerate().find_map(|(i, item)| {
                    self.check(item, &schema["items"], &format!("{path}[{i}]"), field, None)
                })
            }
            Some("string") => {
                let Some(text) = value.as_str() else {
                    return problem(format!("{name} must be text; it is {}", show(value)));
                };
                let chars = text.chars().count() as u64;
                let (min, max) = (schema["minLength"].as_u64(), schema["maxLength"].as_u64());
                if min.is_some_and(|m| chars < m) || max.is_some_and(|m| chars > m) {
                    let bounds = match (min, max) {
                        (Some(min), Some(max)) => format!("{min} to {max} characters"),
                        (Some(min), None) => format!("at least {min} characters"),
                        (None, Some(max)) => format!("at most {max} characters"),
                        (None, None) => unreachable!("one bound failed"),
                    };
                    return problem(format!("{name} must be {bounds}; it has {chars}"));
                }
                let pattern = schema["pattern"]
                    .as_str()
                    .and_then(|p| self.patterns.get(p));
                if pattern.is_some_and(|re| !re.is_match(text)) {
                    return problem(with_about(
                        format!("{name} is not valid ({})", show(value)),
                        about,
                    ));
                }
                None
            }
            Some(kind @ ("integer" | "number")) => {
                let Some(number) = value.as_f64() else {
                    let what = if kind == "integer" {
                        "a whole number"
                    } else {
                        "a number"
                    };
                    return problem(format!("{name} must be {what}; it is {}", show(value)));
                };
                if kind == "integer" && !(value.is_i64() || value.is_u64()) {
                    return problem(format!(
                        "{name} must be a whole number; it is {}",
                        show(value)
                    ));
                }
                let (min, max) = (schema["minimum"].as_f64(), schema["maximum"].as_f64());
                if min.is_some_and(|m| number < m) || max.is_some_and(|m| number > m) {
                    let bounds = match (min, max) {
                        (Some(min), Some(max)) => format!("from {min} to {max}"),
                        (Some(min), None) => format!("at least {min}"),
                        (None, Some(max)) => format!("at most {max}"),
                        (None, None) => unreachable!("one bound failed"),
                    };
                    return problem(format!("{name} must be {bounds}; it is {}", show(value)));
                }
                None
            }
            Some("boolean") if !value.is_boolean() => problem(format!(
                "{name} must be true or false; it is {}",
                show(value)
            )),
            _ => None,
        }
    }
}

/// Every pattern the spec states, compiled once.
fn collect_patterns(value: &Value, out: &mut HashMap<String, Regex>) {
    match value {
        Value::Object(fields) => {
            if let Some(Value::String(p)) = fields.get("pattern")
                && let Ok(re) = Regex::new(p)
            {
                out.insert(p.clone(), re);
            }
            fields.values().for_each(|v| collect_patterns(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_patterns(v, out)),
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A value as the person sent it, shortened.
fn show(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(57).collect::<String>())
    } else {
        text
    }
}

/// The problem, then what is accepted: the field's description, in plain text.
fn with_about(problem: String, about: Option<&str>) -> String {
    match about.map(|a| a.replace('`', "")) {
        Some(about) if !about.is_empty() => {
            let mut about = about
                .split("\n\n")
                .next()
                .unwrap_or_default()
                .replace('\n', " ");
            if let Some(first) = about.get(..1) {
                about.replace_range(..1, &first.to_lowercase());
            }
            let about = about.trim_end_matches('.');
            format!("{problem}. Expected: {about}.")
        }
        _ => format!("{problem}."),
    }
}

/// `invalid_<field>` when that is a code the spec lists, else `invalid_request`.
fn code_of(field: &str) -> ErrorCode {
    let mut snake = String::from("invalid_");
    for c in field.chars() {
        if c.is_ascii_uppercase() {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    ErrorCode::named(&snake).unwrap_or(ErrorCode::InvalidRequest)
}

/// The message starts with the value's name as the spec spells it (`user_uuid`,
/// `design.primaryColor`), or with "The body".
fn refused(problem: Problem) -> Response {
    ApiError::bad_request(code_of(&problem.field), problem.message).into_response()
}

/// Keeps a JSON body's bytes, and when the operation refuses the request's input, answers
/// with the explained problem instead.
pub async fn explain<E: Endpoint>(
    next: E,
    mut req: Request,
    schemas: InputSchemas,
) -> poem::Result<Response> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    // The body is already within its limit (the limit wraps this).
    let body = if is_json {
        let bytes = req.take_body().into_bytes().await?;
        req.set_body(bytes.clone());
        Some(bytes)
    } else {
        None
    };
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let err = match next.call(req).await {
        Ok(response) => return Ok(response.into_response()),
        Err(err) => err,
    };
    if err.downcast_ref::<ParseRequestPayloadError>().is_some() {
        let Some(body) = body.filter(|b| !b.is_empty()) else {
            return Ok(ApiError::bad_request(
                ErrorCode::InvalidRequest,
                "The request has no body; send a JSON object.",
            )
            .into_response());
        };
        let value: Value = match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(e) => {
                return Ok(ApiError::bad_request(
                    ErrorCode::InvalidRequest,
                    format!("The body is not valid JSON: {e}."),
                )
                .into_response());
            }
        };
        if let Some(problem) = schemas.check_body(&method, &path, &value) {
            return Ok(refused(problem));
        }
        // A rule the schema does not state (a field sent as null that may only be left
        // out): poem's own words, which name the field.
        let reason = err
            .downcast_ref::<ParseRequestPayloadError>()
            .map(|e| e.reason.clone())
            .unwrap_or_default();
        return Ok(ApiError::bad_request(
            ErrorCode::InvalidRequest,
            format!("The body was not accepted: {reason}"),
        )
        .into_response());
    }
    let param = if let Some(e) = err.downcast_ref::<ParseParamError>() {
        let raw = form_urlencoded_value(&query, e.name);
        Some((e.name.to_owned(), raw))
    } else if let Some(e) = err.downcast_ref::<ParsePathError>() {
        // The router names path parameters `param0`, `param1`, …; the spec names them.
        let index = e
            .name
            .strip_prefix("param")
            .and_then(|n| n.parse::<usize>().ok());
        let names = schemas.table.param_names(&path);
        index.and_then(|i| {
            let name = names.get(i)?.clone();
            let raw = schemas.table.path_value(&path, &name);
            Some((name, raw))
        })
    } else {
        None
    };
    if let Some((name, raw)) = param
        && let Some(problem) = schemas.check_param(&method, &path, &name, raw.as_deref())
    {
        return Ok(refused(problem));
    }
    Err(err)
}

/// The first value of a query parameter, decoded.
fn form_urlencoded_value(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemas() -> InputSchemas {
        let spec = crate::openapi_service().spec();
        InputSchemas::from_spec(&spec, AllowTable::from_spec(&spec))
    }

    fn body_problem(body: Value) -> Problem {
        schemas()
            .check_body(&Method::POST, "/api/onboarding/config", &body)
            .expect("a problem")
    }

    #[test]
    fn a_bad_colour_names_its_field_and_what_is_accepted() {
        let p =
            body_problem(serde_json::json!({"configuration": {"design": {"primaryColor": "red"}}}));
        assert_eq!(p.path, "configuration.design.primaryColor");
        assert_eq!(code_of(&p.field), ErrorCode::InvalidPrimaryColor);
        assert!(p.message.contains("(\"red\")"), "{}", p.message);
        assert!(p.message.contains("#RRGGBB"), "{}", p.message);
        assert!(!p.message.contains("DesignFields"), "{}", p.message);
    }

    #[test]
    fn a_value_of_the_wrong_type_is_named() {
        let p = body_problem(serde_json::json!({"currentStep": "two"}));
        assert_eq!(p.path, "currentStep");
        assert_eq!(
            p.message,
            "currentStep must be a whole number; it is \"two\""
        );
        let p = body_problem(
            serde_json::json!({"configuration": {"design": {"floatiePosition": "top"}}}),
        );
        assert_eq!(code_of(&p.field), ErrorCode::InvalidFloatiePosition);
        assert!(
            p.message.contains("one of \"left\", \"right\""),
            "{}",
            p.message
        );
    }

    #[test]
    fn null_is_refused_only_where_a_field_may_not_be_null() {
        let p = body_problem(serde_json::json!({"configuration": {"design": null}}));
        assert_eq!(code_of(&p.field), ErrorCode::InvalidDesign);
        assert!(
            p.message
                .starts_with("configuration.design may be left out, but not null"),
            "{}",
            p.message
        );
        // An inline optional value sent as null is left out, as poem-openapi reads it.
        let body = serde_json::json!({"domain": null, "configuration": {"design": {"primaryColor": null}}});
        assert_eq!(
            schemas().check_body(&Method::POST, "/api/onboarding/config", &body),
            None
        );
    }

    #[test]
    fn a_bad_guest_id_in_the_query_says_what_a_guest_id_is() {
        let p = schemas()
            .check_param(
                &Method::GET,
                "/api/onboarding/config",
                "user_uuid",
                Some("abc"),
            )
            .expect("a problem");
        assert_eq!(code_of(&p.field), ErrorCode::InvalidUserUuid);
        assert!(
            p.message.starts_with("user_uuid is not valid (\"abc\")"),
            "{}",
            p.message
        );
        assert!(!p.message.contains("string_uuid_v4"), "{}", p.message);
        let p = schemas()
            .check_param(&Method::GET, "/api/onboarding/config", "user_uuid", None)
            .expect("a problem");
        assert!(
            p.message.starts_with("user_uuid is required"),
            "{}",
            p.message
        );
    }
}
