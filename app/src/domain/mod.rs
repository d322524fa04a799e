//! Server-side domain: everything that touches the database, secrets or business rules.
//! Compiled only with the `ssr` feature, so none of it reaches the browser.

pub mod accounts;
pub mod auth;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod phone;

use std::sync::Arc;

pub use config::Config;
pub use db::Db;
pub use error::{Error, Result};

/// What every request handler and server function needs, provided as Leptos context and axum state.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
}
