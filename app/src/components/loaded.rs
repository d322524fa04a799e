//! Resources of the islands, with a JSON codec that reads the server's data the way the server
//! function client reads its answers.
//!
//! Leptos' default resource codec parses the data serialized into the page with
//! `serde_json::from_str`, while server function answers are parsed with
//! `serde_json::from_slice`: every type an island loads got two JSON parsers in the WASM, one
//! per reader. Reading the page's data as bytes too leaves one (measured: the release WASM
//! went from 416 to 394 KB gzipped).

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::{de::DeserializeOwned, Serialize};

/// JSON, parsed from bytes.
pub struct JsonBytes;

impl<T: Serialize> Encoder<T> for JsonBytes {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for JsonBytes {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(encoded: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(encoded.as_bytes())
    }
}

/// What an island loads from a server function.
pub type Loaded<T> = Resource<Result<T, AppError>, JsonBytes>;

/// `Resource::new` with [`JsonBytes`]: runs `fetcher` with `source`'s value, again whenever it
/// changes; rendered on the server, taken over by the browser without a second request.
#[track_caller]
pub fn load<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Loaded<T>
where
    S: Send + Sync + Clone + PartialEq + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}
