//! Serde helpers for the API's partial updates.

use serde::{Deserialize, Deserializer};

/// Tells "absent" (`None`) from "explicitly null" (`Some(None)`) in a PATCH body.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
