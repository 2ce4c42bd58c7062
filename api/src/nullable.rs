//! Map values a partial update may set or clear: a value sets its key, `null` removes it.
//! Their own types, so the spec says `nullable: true` beside the value's type (a plain
//! `Option` value would be described as never null).

use std::borrow::Cow;

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use serde_json::Value;

/// Longest contact value accepted.
pub const MAX_TEXT: usize = 1024;

/// A string of at most [`MAX_TEXT`] characters, or `null`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NullableText(pub Option<String>);

/// `true`, `false`, or `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NullableFlag(pub Option<bool>);

macro_rules! nullable_type {
    ($ty:ident, $inner:ty, $name:literal, $schema:expr, $parse:expr) => {
        impl Type for $ty {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> Cow<'static, str> {
                $name.into()
            }

            fn schema_ref() -> MetaSchemaRef {
                let mut schema: MetaSchema = $schema;
                schema.nullable = true;
                MetaSchemaRef::Inline(Box::new(schema))
            }

            fn as_raw_value(&self) -> Option<&Self> {
                Some(self)
            }

            fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
                Box::new(std::iter::once(self))
            }
        }

        impl ParseFromJSON for $ty {
            fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
                match value {
                    None | Some(Value::Null) => Ok($ty(None)),
                    Some(value) => {
                        let parse: fn(&Value) -> Result<$inner, String> = $parse;
                        parse(&value)
                            .map(|v| $ty(Some(v)))
                            .map_err(ParseError::custom)
                    }
                }
            }
        }

        impl ToJSON for $ty {
            fn to_json(&self) -> Option<Value> {
                Some(self.0.clone().map_or(Value::Null, Value::from))
            }
        }
    };
}

nullable_type!(
    NullableText,
    String,
    "nullable_text",
    MetaSchema {
        max_length: Some(MAX_TEXT),
        ..MetaSchema::new("string")
    },
    |value| match value.as_str() {
        Some(s) if s.chars().count() <= MAX_TEXT => Ok(s.to_owned()),
        Some(_) => Err(format!("a value has at most {MAX_TEXT} characters")),
        None => Err("a value is a string, or null to remove it".into()),
    }
);

nullable_type!(
    NullableFlag,
    bool,
    "nullable_flag",
    MetaSchema::new("boolean"),
    |value| value
        .as_bool()
        .ok_or_else(|| "a value is true, false, or null to remove it".to_owned())
);
