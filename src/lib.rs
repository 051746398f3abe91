//! propusk: an OpenID Provider for the «Сетевой город. Образование» applications
//! that signs people in with their school login or «Через Госуслуги» (ESIA).
//!
//! ```text
//! RP ──/authorize──▶ oidc::authorize (client + redirect_uri validated FIRST; oidc::prompt)
//!                      │ a page is needed: flow::begin stores a Flow (with its journey Stage);
//!                      │ the browser carries only its signed id
//!                      ▼
//!                   flow::login ──┬─ legacy form: account::password (throttled)
//!                                 └─ «Через Госуслуги»: connector (ESIA) → PD consent
//!                                    → account::link_policy → sign in │ chooser │ «Запись не найдена»
//!                      ▼
//!                   flow::consent (explicit-consent clients) ─▶ flow::finish → oidc::code: code + iss + state
//! RP ──/token──▶ oidc::token (client auth; code + PKCE | refresh rotation | client_credentials)
//!                      ▼
//!                   token (ID token, JWT access token, opaque refresh) + audit, one transaction
//! ```
//!
//! Layering is one-way: `flow` depends on `oidc`, never back; [`session`] and
//! [`web::redirect`] are shared by both. Persistence goes through [`store::Store`];
//! see ARCHITECTURE.md for the invariants.

pub mod account;
pub mod admin;
pub mod app;
pub mod audit;
pub mod cache_sync;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod connector;
pub mod crypto;
pub mod demo;
pub mod flow;
pub mod logging;
pub mod mail;
pub mod oidc;
pub mod ops;
pub mod private_fs;
#[cfg(test)]
mod proptest_config;
pub mod secrets;
pub mod serve;
pub mod session;
pub mod store;
pub mod token;
pub mod web;
