//! Page view structs of the console's «Клиенты» and «Ключи» (templates in
//! `templates/admin/clients/` and `templates/admin/keys.html`).

use crate::admin::console::NavLink;
use askama::Template;

/// One row of «Клиенты».
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRow {
    pub id: String,
    pub href: String,
    pub name: String,
    /// «публичный» or «конфиденциальный».
    pub kind: &'static str,
    /// «неявное» or «явное».
    pub consent: &'static str,
    pub redirect_uris: usize,
}

/// `GET /admin/clients`.
#[derive(Debug, Clone, Template)]
#[template(path = "admin/clients/list.html")]
pub struct ClientsPage {
    pub nav: Vec<NavLink>,
    pub rows: Vec<ClientRow>,
}

/// The values of the edit form (as stored, or as posted when refused).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientForm {
    pub display_name: String,
    /// The logo on the consent page (`https://…`); empty: none.
    pub logo_uri: String,
    /// One per line.
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    /// Space-separated.
    pub grant_types: String,
    pub scope: String,
    /// `implicit` or `explicit`.
    pub consent: String,
    pub id_token_alg: String,
    pub access_token_ttl: String,
    pub id_token_ttl: String,
    pub refresh_token_ttl: String,
    pub require_par: bool,
    /// RFC 9449 §5.2: tokens only with a DPoP proof.
    pub require_dpop: bool,
    /// Empty: none (the client hears of no logout).
    pub backchannel_logout_uri: String,
    pub backchannel_logout_session_required: bool,
    /// «Ключи клиента (JWKS)» of a `private_key_jwt` client (RFC 7517 §5), as JSON.
    pub jwks: String,
}

/// `GET /admin/clients/{id}`: the settings as an edit form, and the secret's rotation.
#[derive(Debug, Clone, Template)]
#[template(path = "admin/clients/edit.html")]
pub struct ClientPage {
    pub nav: Vec<NavLink>,
    pub csrf: String,
    pub id: String,
    /// The client's path (the forms post to it and below it).
    pub path: String,
    pub confidential: bool,
    /// A `private_key_jwt` client: keys instead of a secret.
    pub by_key: bool,
    /// Disabled by an admin («Отключен»).
    pub disabled: bool,
    /// «Старый секрет действует до …» after a rotation with an overlap.
    pub previous_secret_until: Option<String>,
    pub form: ClientForm,
    /// A refused change, in Russian (nothing was stored).
    pub error: Option<String>,
    /// «Изменения сохранены».
    pub saved: bool,
}

impl ClientPage {
    pub fn alg_selected(&self, alg: &str) -> bool {
        self.form.id_token_alg == alg
    }
}

/// A new client secret, shown once (never stored in a page again).
#[derive(Debug, Clone, Template)]
#[template(path = "admin/clients/secret.html")]
pub struct SecretPage {
    pub nav: Vec<NavLink>,
    pub id: String,
    pub path: String,
    pub secret: String,
    /// When the old secret stops working; `None`: it stopped at once.
    pub old_valid_until: Option<String>,
    /// The secret of a new client (there is no old one).
    pub created: bool,
}

/// The values of «Новый клиент» (empty, or as posted when refused).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewClientForm {
    pub id: String,
    pub display_name: String,
    /// The logo on the consent page (`https://…`); empty: none.
    pub logo_uri: String,
    /// A public client (no secret: an app in the browser or on a phone).
    pub public: bool,
    /// One per line.
    pub redirect_uris: String,
    /// Space-separated; empty: the default.
    pub scope: String,
    /// `implicit` or `explicit`.
    pub consent: String,
    /// Space-separated; empty: the default of `clients add`.
    pub grant_types: String,
    /// `public` (the default) or `pairwise`; fixed once registered (docs/subjects.md).
    pub subject_type: String,
    /// A pairwise client's sector (`https://…`); empty: the redirect URIs' host.
    pub sector_identifier_uri: String,
    /// A confidential client's method: `client_secret_basic` (empty), `client_secret_post`
    /// or `private_key_jwt`.
    pub auth_method: String,
    /// «Ключи клиента (JWKS)» of a `private_key_jwt` client, as JSON.
    pub jwks: String,
}

/// `GET /admin/clients/new`.
#[derive(Debug, Clone, Template)]
#[template(path = "admin/clients/new.html")]
pub struct NewClientPage {
    pub nav: Vec<NavLink>,
    pub csrf: String,
    pub form: NewClientForm,
    /// A refused registration, in Russian (nothing was stored).
    pub error: Option<String>,
}

/// One signing key of «Ключи» (public metadata only, never private material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    /// «следующий», «активный», «выводится», «выведен».
    pub state: &'static str,
    /// `next`, `active`, `retiring` or `retired` (a CSS class).
    pub state_class: &'static str,
    pub created: String,
    pub activates: String,
    /// When a retiring key leaves the JWKS.
    pub published_until: Option<String>,
    /// Not retired yet: the form «Вывести» is offered.
    pub retirable: bool,
}

/// `GET /admin/keys`.
#[derive(Debug, Clone, Template)]
#[template(path = "admin/keys.html")]
pub struct KeysPage {
    pub nav: Vec<NavLink>,
    pub csrf: String,
    pub rows: Vec<KeyRow>,
    /// A refused action, in Russian (nothing changed).
    pub error: Option<String>,
    /// The default overlap of a retired key, hours (the longest token lifetime).
    pub default_overlap_hours: i64,
}
