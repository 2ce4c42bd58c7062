//! An optional body field that may be left out but not sent as `null`.
//!
//! poem-openapi reads `null` as "not given" for any `Option`, and can only say so in the
//! spec with `nullable: true` beside the field's `$ref`, which generated clients mishandle
//! (duplicate classes, `unknown | null`). Fields whose schema is a reference (objects,
//! enums) use this type instead: the spec lists them as optional, and `null` is refused as
//! the spec says.

use std::borrow::Cow;

use poem_openapi::{
    registry::{MetaSchemaRef, Registry},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoNull<T>(pub Option<T>);

impl<T> Default for NoNull<T> {
    fn default() -> Self {
        NoNull(None)
    }
}

impl<T> NoNull<T> {
    pub fn into_option(self) -> Option<T> {
        self.0
    }
}

impl<T: Type> Type for NoNull<T> {
    const IS_REQUIRED: bool = false;

    type RawValueType = T::RawValueType;

    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        T::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        self.0.as_ref().and_then(T::as_raw_value)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        match &self.0 {
            Some(value) => value.raw_element_iter(),
            None => Box::new(std::iter::empty()),
        }
    }
}

impl<T: ParseFromJSON> ParseFromJSON for NoNull<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            None => Ok(NoNull(None)),
            Some(Value::Null) => Err(ParseError::custom(
                "null is not accepted here; leave the field out to keep its value",
            )),
            Some(value) => T::parse_from_json(Some(value))
                .map(|v| NoNull(Some(v)))
                .map_err(ParseError::propagate),
        }
    }
}

impl<T: ToJSON> ToJSON for NoNull<T> {
    fn to_json(&self) -> Option<Value> {
        self.0.as_ref().and_then(ToJSON::to_json)
    }
}
