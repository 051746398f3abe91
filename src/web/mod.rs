//! Browser plumbing shared by the pages: cookies, CSRF, security headers, redirects
//! (`redirect`), the HTML error page and the page templates (with the organisation
//! cascade and the signed-in header's viewer); and the middleware stack of every route.

pub mod account_pages;
pub mod admin_pages;
pub mod audit_pages;
pub mod client_addr;
pub mod consent_pages;
pub mod console_pages;
pub mod cookie;
pub mod demo;
pub mod edge;
pub mod error_page;
pub mod esia_pages;
pub mod headers;
pub mod layers;
pub mod org_cascade;
pub mod pages;
pub mod password_pages;
pub mod redirect;
pub mod request_pages;
pub mod viewer;

pub use layers::layers;
