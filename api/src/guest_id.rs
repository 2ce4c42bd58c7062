//! A guest's id: a version-4 UUID. Its own type, so the spec tells clients exactly what is
//! accepted (a pattern, not just "uuid") and anything else fails parsing with a 400 that
//! names the parameter.

use std::borrow::Cow;

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type},
};
use serde_json::Value;
use uuid::Uuid;

const V4_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestId(pub Uuid);

impl GuestId {
    /// The id the spec's examples use.
    pub const EXAMPLE: GuestId = GuestId(Uuid::from_u128(0x6a1f3c2e_5b7d_4e8a_9c0f_1d2e3f4a5b6c));

    fn parse(value: &str) -> Result<Self, String> {
        let uuid = Uuid::try_parse(value).map_err(|e| e.to_string())?;
        // The hyphenated form only, as the pattern says.
        if uuid.get_version_num() != 4 || value.len() != 36 {
            return Err("a guest id is a version-4 UUID".into());
        }
        Ok(GuestId(uuid))
    }
}

impl Type for GuestId {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_uuid_v4".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let mut schema = MetaSchema::new_with_format("string", "uuid");
        schema.pattern = Some(V4_PATTERN.into());
        MetaSchemaRef::Inline(Box::new(schema))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromParameter for GuestId {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Self::parse(value).map_err(ParseError::custom)
    }
}

impl ParseFromJSON for GuestId {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(s) => Self::parse(&s).map_err(ParseError::custom),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for GuestId {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hyphenated_v4_uuids_parse() {
        let v4 = Uuid::new_v4().to_string();
        assert!(GuestId::parse(&v4).is_ok());
        assert!(GuestId::parse("c232ab00-9414-11ec-b3c8-9f6bdeced846").is_err()); // v1
        assert!(GuestId::parse(&v4.replace('-', "")).is_err());
        assert!(GuestId::parse("nope").is_err());
    }
}
