//! A multipart form whose schema admits only its declared parts.
//!
//! poem-openapi leaves a derived multipart schema open to additional properties, so a
//! client generated from the spec (or a fuzzer) may add parts with any name, including
//! control characters that no HTTP header may carry and that the multipart parser rightly
//! refuses. Capping `maxProperties` at the number of declared parts states what the
//! form accepts; parsing is the derived one, unchanged.

use poem::{Request, RequestBody, Result};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    registry::{MetaRequest, MetaSchemaRef, Registry},
};

pub struct ClosedForm<T>(pub T);

impl<'a, T> ApiExtractor<'a> for ClosedForm<T>
where
    T: for<'r> ApiExtractor<'r, ParamType = (), ParamRawType = ()> + Send,
{
    const TYPES: &'static [ApiExtractorType] = T::TYPES;

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        let mut meta = T::request_meta()?;
        for media in &mut meta.content {
            if let MetaSchemaRef::Inline(schema) = &mut media.schema {
                schema.max_properties = Some(schema.properties.len());
            }
        }
        Some(meta)
    }

    fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> impl Future<Output = Result<Self>> + Send {
        let parse = T::from_request(request, body, param_opts);
        async move { parse.await.map(ClosedForm) }
    }
}
