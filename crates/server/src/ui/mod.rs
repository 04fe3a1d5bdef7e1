//! The investigators' web pages: server-rendered HTML (askama templates
//! under `crates/server/templates/`), a little JavaScript where it helps
//! (upload progress, previews, the `/` key), no front-end build.
//!
//! Every page extracts a [`Layout`]: who is calling, the language, the
//! response's CSP nonce, the page's own address. Templates extend
//! `base.html`, which needs a field named `layout`; the public portal's
//! pages use the same layout, CSS and strings.
//!
//! Pages show only what the caller may see: a page that needs an account
//! sends the public to `/login?next=…`, a role that may not open a page
//! gets a 403 page, and anything the caller may not see answers exactly
//! like something that does not exist (404), as in the API. Errors on
//! browser paths become HTML pages ([`html_errors`]); `/api/` keeps JSON.

pub mod assets;
mod audit;
mod dashboard;
mod errors;
pub(crate) mod fields;
pub mod i18n;
mod items;
mod login;
mod publishing;
mod records;
mod redact;
mod search;
mod tables;
mod upload;

use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use evident_archive::{Access, Role};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::security::CspNonce;

pub use errors::html_errors;
pub use i18n::{Lang, remember_language};

/// The web pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/{file}", get(assets::serve))
        .route("/", get(dashboard::dashboard))
        .route("/login", get(login::login_page).post(login::login))
        .route("/logout", axum::routing::post(login::logout))
        .route("/upload", get(upload::upload_page))
        .route("/items/{id}", get(items::item_page))
        .route("/items/{id}/redact", get(redact::redact_page).post(redact::redact))
        .route("/records", get(records::records_page).post(records::create))
        .route("/records/new", get(records::new_page))
        .route("/records/{id}", get(records::record_page).post(records::update))
        .route("/records/{id}/edit", get(records::edit_page))
        .route("/search", get(search::search_page))
        .route("/findings", get(tables::findings_page))
        .route("/timeline", get(tables::timeline_page))
        .route("/admin/audit", get(audit::audit_page))
        .route("/publish/{id}", axum::routing::post(publishing::publish))
}

/// What every page's layout (`base.html`) needs, and who is asking.
#[derive(Clone, Debug)]
pub struct Layout {
    pub lang: Lang,
    /// this response's CSP nonce: every `<script>` carries it
    pub nonce: String,
    pub caller: Caller,
    /// this page's path and query, for the language links and `next`
    pub path: String,
}

impl FromRequestParts<AppState> for Layout {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Layout, ApiError> {
        let nonce = CspNonce::from_request_parts(parts, state).await?;
        let caller = Caller::from_request_parts(parts, state).await?;
        Ok(Layout {
            lang: Lang::of_request(parts.uri.query(), &parts.headers),
            nonce: nonce.0,
            caller,
            path: parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned()),
        })
    }
}

impl Layout {
    /// The UI string `key` in the page's language.
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// The versioned URL of a static file (see [`assets`]).
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }

    /// This page in language `code` (`?lang=` replaced).
    pub fn lang_link(&self, code: &str) -> String {
        let (path, query) = self.path.split_once('?').unwrap_or((&self.path, ""));
        let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty() && !p.starts_with("lang=")).collect();
        let lang = format!("lang={code}");
        pairs.push(&lang);
        format!("{path}?{}", pairs.join("&"))
    }

    /// Every language the switch offers.
    pub fn languages(&self) -> &'static [Lang] {
        &Lang::ALL[..2]
    }

    /// `page` when `prefix` is the current section (for `aria-current`).
    pub fn current(&self, prefix: &str) -> &'static str {
        let path = self.path.split('?').next().unwrap_or("");
        let here = if prefix == "/" { path == "/" } else { path == prefix || path.starts_with(&format!("{prefix}/")) };
        if here { "page" } else { "false" }
    }

    /// The signed-in user's name.
    pub fn user(&self) -> Option<&str> {
        self.caller.principal.as_ref().map(|principal| principal.user.as_str())
    }

    /// The signed-in user's role, in the page's language.
    pub fn role_name(&self) -> &'static str {
        match self.role() {
            Some(Role::Admin) => self.t("role.admin"),
            Some(Role::Investigator) => self.t("role.investigator"),
            Some(Role::Reviewer) => self.t("role.reviewer"),
            Some(Role::Intake) => self.t("role.intake"),
            None => "",
        }
    }

    pub fn role(&self) -> Option<Role> {
        self.caller.principal.as_ref().map(|principal| principal.role)
    }

    /// What the caller may see.
    pub fn access(&self) -> Access {
        self.caller.access()
    }

    /// Whether the caller sees restricted material (the investigators' pages).
    pub fn sees_restricted(&self) -> bool {
        self.access() >= Access::Restricted
    }

    pub fn may_write_records(&self) -> bool {
        self.role().is_some_and(Role::may_write_records)
    }

    pub fn may_upload(&self) -> bool {
        self.role().is_some_and(Role::may_upload)
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }

    /// Whether the caller reads the testimonies that came through `/intake`.
    pub fn is_intake(&self) -> bool {
        self.role() == Some(Role::Intake)
    }

    /// The CSRF token for forms and the `<meta name="csrf-token">` (empty
    /// for the public, who post nothing but the login form).
    pub fn csrf(&self) -> String {
        self.caller.csrf_token().unwrap_or_default()
    }

    /// The name of an access level in the page's language.
    pub fn access_name(&self, access: &Access) -> &'static str {
        match access {
            Access::Public => self.t("access.public"),
            Access::Restricted => self.t("access.restricted"),
            _ => self.t("access.sealed"),
        }
    }

    /// The name of a record kind in the page's language.
    pub fn kind_name(&self, kind: &str) -> &'static str {
        match kind {
            "item" => self.t("kind.item"),
            "source" => self.t("kind.source"),
            "person" => self.t("kind.person"),
            "facility" => self.t("kind.facility"),
            "event" => self.t("kind.event"),
            "relation" => self.t("kind.relation"),
            "claim" => self.t("kind.claim"),
            "finding" => self.t("kind.finding"),
            "series" => self.t("kind.series"),
            _ => "",
        }
    }

    /// Fails unless someone is signed in: the public is sent to log in.
    pub fn require_account(&self) -> Result<(), PageError> {
        match self.caller.principal {
            Some(_) => Ok(()),
            None => Err(PageError::Login(self.path.clone())),
        }
    }

    /// Fails unless the caller sees restricted material: the public is sent
    /// to log in, other roles get 403.
    pub fn require_restricted(&self) -> Result<(), PageError> {
        self.require_account()?;
        if self.sees_restricted() { Ok(()) } else { Err(PageError::Api(ApiError::forbidden("not for this role"))) }
    }
}

/// Why a page was not shown: sent to log in, or an error (which
/// [`html_errors`] turns into a page).
#[derive(Debug)]
pub enum PageError {
    /// not signed in: to `/login?next=` this path
    Login(String),
    Api(ApiError),
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> PageError {
        PageError::Api(error)
    }
}

impl From<askama::Error> for PageError {
    fn from(error: askama::Error) -> PageError {
        tracing::error!(%error, "a page template failed");
        PageError::Api(ApiError::internal("the page could not be rendered"))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Login(next) => Redirect::to(&login_url(&next)).into_response(),
            PageError::Api(error) => error.into_response(),
        }
    }
}

/// `/login?next=PATH` (the path percent-encoded).
pub fn login_url(next: &str) -> String {
    if next.is_empty() || next == "/" {
        return "/login".to_owned();
    }
    format!("/login?next={}", percent_encode(next))
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A rendered page: HTML, not stored by caches (pages may show restricted
/// material).
pub fn page(template: &impl Template) -> Result<Response, PageError> {
    page_with_status(StatusCode::OK, template)
}

/// A rendered page with `status`.
pub fn page_with_status(status: StatusCode, template: &impl Template) -> Result<Response, PageError> {
    let body = template.render()?;
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_urls_keep_the_path_and_encode_it() {
        assert_eq!(login_url("/"), "/login");
        assert_eq!(login_url("/search?q=a b&x=1"), "/login?next=/search%3Fq%3Da%20b%26x%3D1");
    }
}
