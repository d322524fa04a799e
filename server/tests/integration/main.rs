//! Integration tests, black-box where they can be: the server binary on a free port against a
//! fresh database of the real PostgreSQL (migrated by its owner, used as the runtime role), real
//! Redis servers, and fakes that speak the real wire protocols for what lies outside (Telegram,
//! the LLM providers). One binary, so the whole application is linked once.

mod common;

mod api;
mod api_booking;
mod api_telegram;
mod booking;
mod bot;
mod concierge;
mod demo_and_accounts;
mod faults;
mod leptos_config;
mod public_page;
mod reports;
mod tenant_isolation;
mod webhooks;
mod worker;
