//! Integration tests: the real server on an ephemeral port, a fresh SQLite file
//! (or, when `TEST_POSTGRES_URL` is set, a fresh PostgreSQL database), the
//! `openidconnect` crate as the relying party, and reqwest driving the pages.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod abuse;
mod access_journey;
mod access_person;
mod access_staff;
mod admin_api;
mod admin_api_accounts;
mod admin_api_paging;
mod admin_api_schema;
mod anywhere;
mod audiences;
mod audit_chain;
mod audit_retention;
mod authorize;
mod backchannel_account;
mod backchannel_logout;
mod backup;
mod balancer;
mod binary;
mod check;
mod cli;
mod client_admin;
mod client_auth;
mod client_disable;
mod client_logo;
mod common;
mod conformance_plans;
mod console_accounts;
mod console_audit;
mod console_clients;
mod console_consents;
mod container;
mod discovery_prompts;
mod dpop;
mod dpop_code;
mod edge;
mod esia_direct;
mod esia_error_page;
mod esia_journey;
mod esia_logout;
mod esia_production;
mod esia_support;
mod files;
mod headers;
mod hygiene;
mod introspect_revoke;
mod journey_order;
mod key_retire;
mod limits;
mod link_lifecycle;
mod link_notice;
mod login_hint;
mod logout;
mod oidc_flow;
mod pages_viewer;
mod par;
mod password;
mod password_reset;
mod pkce_code;
mod private_key_jwt;
mod proptest_http;
mod refresh;
#[path = "../smtp_sink/mod.rs"]
mod smtp_sink;
mod staff_link_policy;
mod staff_roles;
mod subjects;
mod support;
mod two_nodes;
mod upstream_idp;
mod upstream_oidc;
mod userinfo;
