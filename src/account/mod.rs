//! Who a person is on the school side: the directory of organisations and school
//! accounts, legacy passwords, passwords set by their owners (change, reset by
//! email), login throttling and the demo data set.

pub mod demo;
pub mod directory;
mod directory_build;
mod directory_csv;
mod directory_json;
pub mod link_mail;
pub mod link_policy;
pub mod login;
mod mail_text;
pub mod names;
pub mod names_key;
pub mod password;
pub mod password_change;
pub mod password_mail;
pub mod password_policy;
pub mod password_reset;
pub mod request_mail;
pub mod school_year;
pub mod snils;
pub mod throttle;

pub use directory::{DirectoryKeys, ImportError, ImportSummary, import_file};
pub use login::{LoginError, verify_legacy};
pub use throttle::{LoginThrottle, Throttle};
