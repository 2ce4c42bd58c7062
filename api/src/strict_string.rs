//! A string body field that accepts only a JSON string.
//!
//! poem-openapi's `String` also takes a JSON number or boolean and turns `false` into
//! `"false"`, which the schema (`type: string`) does not allow: a client would be told one
//! rule and held to another. Fields of request bodies use this type instead.

use std::{borrow::Cow, ops::Deref};

use poem_openapi::{
    registry::MetaSchemaRef,
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrictString(pub String);

impl Deref for StrictString {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for StrictString {
    fn from(value: String) -> Self {
        StrictString(value)
    }
}

impl From<StrictString> for String {
    fn from(value: StrictString) -> Self {
        value.0
    }
}

impl Type for StrictString {
    const IS_REQUIRED: bool = true;

    type RawValueType = String;

    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        String::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        String::schema_ref()
    }

    fn as_raw_value(&self) -> Option<&String> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for StrictString {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(s) => Ok(StrictString(s)),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for StrictString {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_a_json_string_parses() {
        let parse = |v: Value| StrictString::parse_from_json(Some(v)).ok();
        assert_eq!(parse(json!("left")), Some(StrictString("left".into())));
        assert_eq!(parse(json!(false)), None);
        assert_eq!(parse(json!(12)), None);
        assert_eq!(parse(json!(null)), None);
    }
}
