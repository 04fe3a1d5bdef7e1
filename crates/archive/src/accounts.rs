//! Accounts: the people who sign in to the web app, their roles, and the
//! credentials that stand for them (sessions from a sign-in, API tokens for
//! programs).
//!
//! Passwords are kept only as Argon2id hashes (PHC strings, the `argon2`
//! crate's default parameters, a fresh 16-byte salt each); tokens only as
//! their SHA-256, so a copy of the database lets no one sign in. A token is
//! 32 random bytes in base64url, prefixed `evs_` for a session and `evk_`
//! for an API token, so that a leaked one is recognisable in logs and
//! secret scanners. Neither a password nor a token is ever logged, not even
//! at debug level.
//!
//! Accounts are bookkeeping, not evidence: changing them adds no log entry.
//! A role takes effect at once, for every credential of the user, because
//! [`Archive::authenticate`] reads the user's current role each time.

use std::fmt;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use evident_search::Access;
use evident_store::{CredentialRow, UserRow};

use crate::{Archive, ArchiveError, Result, format_rfc3339};

/// How long a session lasts after sign-in.
const SESSION_LIFETIME: Duration = Duration::hours(12);

/// `last_used_at` is written at most this often per credential, so that a
/// busy page does not turn every request into a database write.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

const MIN_PASSWORD_CHARS: usize = 12;
const MAX_NAME_CHARS: usize = 64;
const MAX_LABEL_CHARS: usize = 200;

/// The one answer to every failed sign-in, whatever the reason, so that it
/// does not tell who has an account.
const LOGIN_FAILED: &str = "wrong user name or password";

const SESSION_PREFIX: &str = "evs_";
const API_PREFIX: &str = "evk_";

/// An Argon2id hash, with the default parameters, of a random password that
/// was thrown away. A sign-in with an unknown name is checked against it, so
/// it costs the same time as one with a known name and a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$SKgwtmhh31hrKRVvA1fI2w$cDLsMncKuTpJamzCwxS8cV3BMuVP/G5JndPnFJv5ZNI";

/// What a user may do. Stored by [`name`](Role::name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// manages accounts, and everything an investigator does
    Admin,
    /// reads restricted material, writes records, uploads
    Investigator,
    /// reads restricted material, writes nothing
    Reviewer,
    /// uploads testimony; reads only what is public
    Intake,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Investigator, Role::Reviewer, Role::Intake];

    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Investigator => "investigator",
            Role::Reviewer => "reviewer",
            Role::Intake => "intake",
        }
    }

    /// A role by name (case and surrounding spaces ignored).
    pub fn parse(text: &str) -> Result<Role> {
        Role::ALL.into_iter().find(|role| role.name().eq_ignore_ascii_case(text.trim())).ok_or_else(|| {
            ArchiveError::Invalid(format!("unknown role {text:?}; roles are admin, investigator, reviewer, intake"))
        })
    }

    /// The search access level of the role. Intake reads testimonies through
    /// its own pages, not through search, so search shows it only what is
    /// public.
    pub fn access(self) -> Access {
        match self {
            Role::Admin | Role::Investigator | Role::Reviewer => Access::Restricted,
            Role::Intake => Access::Public,
        }
    }

    /// Whether the role may create, edit and retract records.
    pub fn may_write_records(self) -> bool {
        matches!(self, Role::Admin | Role::Investigator)
    }

    /// Whether the role may add items.
    pub fn may_upload(self) -> bool {
        matches!(self, Role::Admin | Role::Investigator | Role::Intake)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Who a request comes from, once a credential has been accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user: String,
    pub role: Role,
}

/// A new second factor, shown once: the secret for typing in and the URI
/// for a QR code.
#[derive(Clone, Debug)]
pub struct TotpSetup {
    pub secret: String,
    pub uri: String,
}

/// The 30-second step whose RFC 6238 code of `secret` (base32) is `code`:
/// the step of `now`, or one before or after; `None` if none matches.
fn totp_step(secret: &str, code: &str, now: OffsetDateTime) -> Result<Option<u64>> {
    let corrupted = |detail: String| ArchiveError::Corrupted { what: "a user's TOTP secret".to_owned(), detail };
    let bytes = totp_rs::Secret::Encoded(secret.to_owned()).to_bytes().map_err(|e| corrupted(format!("{e:?}")))?;
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes).map_err(|e| corrupted(e.to_string()))?;
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let step = u64::try_from(now.unix_timestamp()).unwrap_or(0) / 30;
    let mut found = None;
    // Every candidate is computed and compared, so the time taken does not
    // say which step matched.
    for candidate in step.saturating_sub(1)..=step + 1 {
        let expected = totp.generate(candidate * 30);
        let equal = expected.bytes().zip(code.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        if equal && found.is_none() {
            found = Some(candidate);
        }
    }
    Ok(found)
}

/// A user as lists show one: never the password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserView {
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub disabled: bool,
    /// whether signing in needs a one-time code too
    pub totp: bool,
}

impl Archive {
    /// Adds a user. Names are 1–64 ASCII letters, digits, `.`, `_` or `-`;
    /// passwords at least 12 characters. A name already taken fails with
    /// the store's duplicate error.
    pub fn add_user(&mut self, name: &str, role: Role, password: &str) -> Result<()> {
        check_user_name(name)?;
        let password_hash = hash_password(password)?;
        self.store.add_user(&UserRow {
            name: name.to_owned(),
            role: role.name().to_owned(),
            password_hash,
            created_at: format_rfc3339(OffsetDateTime::now_utc()),
            disabled: false,
            totp_secret: None,
        })?;
        Ok(())
    }

    /// Replaces a user's password. Sessions and tokens already given out
    /// keep working; [`revoke_user_credentials`](Self::revoke_user_credentials)
    /// ends them.
    pub fn set_password(&mut self, name: &str, password: &str) -> Result<()> {
        let password_hash = hash_password(password)?;
        let user = self.user_row(name)?;
        self.store.set_user(&UserRow { password_hash, ..user })?;
        Ok(())
    }

    /// Changes a user's role; it applies to their sessions and tokens at once.
    pub fn set_role(&mut self, name: &str, role: Role) -> Result<()> {
        let user = self.user_row(name)?;
        self.store.set_user(&UserRow { role: role.name().to_owned(), ..user })?;
        Ok(())
    }

    /// Disables a user and revokes their sessions and tokens: they can no
    /// longer sign in, and nothing given out before works again even if
    /// the user is enabled later.
    pub fn disable_user(&mut self, name: &str) -> Result<()> {
        let user = self.user_row(name)?;
        // Disabled first: if revoking fails, the credentials are refused
        // anyway because their user is disabled.
        self.store.set_user(&UserRow { disabled: true, ..user })?;
        self.store.revoke_credentials(name, None)?;
        Ok(())
    }

    /// Lets a disabled user sign in again (with fresh sessions and tokens).
    pub fn enable_user(&mut self, name: &str) -> Result<()> {
        let user = self.user_row(name)?;
        self.store.set_user(&UserRow { disabled: false, ..user })?;
        Ok(())
    }

    /// Every user, in name order.
    pub fn users(&self) -> Result<Vec<UserView>> {
        self.store
            .users()?
            .into_iter()
            .map(|user| {
                Ok(UserView {
                    role: stored_role(&user)?,
                    name: user.name,
                    created_at: user.created_at,
                    disabled: user.disabled,
                    totp: user.totp_secret.is_some(),
                })
            })
            .collect()
    }

    /// Signs a user in: checks the password and starts a session that
    /// lasts 12 hours. Returns who signed in and the session token, which
    /// is shown to no one else and stored only as its SHA-256. An unknown
    /// name, a wrong password and a disabled user all fail the same way,
    /// with the same message and in about the same time.
    ///
    /// For an account with a second factor, this fails with
    /// [`ArchiveError::TotpRequired`] once the password is right; use
    /// [`login_with_totp`](Self::login_with_totp).
    pub fn login(&mut self, name: &str, password: &str) -> Result<(Principal, String)> {
        self.login_at(name, password, None, OffsetDateTime::now_utc())
    }

    /// [`login`](Self::login) with the one-time code of an account's
    /// second factor (RFC 6238: six digits, 30-second steps, one step of
    /// clock skew either way). A wrong code fails like a wrong password.
    pub fn login_with_totp(&mut self, name: &str, password: &str, code: Option<&str>) -> Result<(Principal, String)> {
        self.login_at(name, password, code, OffsetDateTime::now_utc())
    }

    /// Gives a user a TOTP second factor (replacing any earlier one) and
    /// returns its secret and `otpauth://` URI for an authenticator app.
    /// From then on a login needs the current code as well.
    pub fn enable_totp(&mut self, name: &str) -> Result<TotpSetup> {
        let user = self.user_row(name)?;
        let mut secret = vec![0u8; 20];
        getrandom::fill(&mut secret).map_err(|e| ArchiveError::Invalid(format!("no randomness for a secret: {e}")))?;
        let encoded = totp_rs::Secret::Raw(secret).to_encoded().to_string();
        let uri = format!(
            "otpauth://totp/Evident:{name}?secret={encoded}&issuer=Evident&algorithm=SHA1&digits=6&period=30",
            name = user.name
        );
        self.store.set_user(&UserRow { totp_secret: Some(encoded.clone()), ..user })?;
        Ok(TotpSetup { secret: encoded, uri })
    }

    /// Removes a user's second factor.
    pub fn disable_totp(&mut self, name: &str) -> Result<()> {
        let user = self.user_row(name)?;
        self.store.set_user(&UserRow { totp_secret: None, ..user })?;
        Ok(())
    }

    fn login_at(
        &mut self,
        name: &str,
        password: &str,
        code: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(Principal, String)> {
        let user = self.store.user(name)?;
        let password_matches = match &user {
            Some(user) => password_matches(password, &user.password_hash, &user.name)?,
            None => {
                // One verification anyway, so that the time taken does not
                // tell whether the name exists.
                let _ = password_matches(password, DUMMY_HASH, "(none)");
                false
            }
        };
        let user = match user {
            Some(user) if password_matches && !user.disabled => user,
            _ => return Err(ArchiveError::Invalid(LOGIN_FAILED.to_owned())),
        };
        if let Some(secret) = &user.totp_secret {
            let Some(code) = code.map(str::trim).filter(|code| !code.is_empty()) else {
                return Err(ArchiveError::TotpRequired);
            };
            // A code is good once: a step at or before the last one used
            // by this user (in this process) is refused, so a code seen
            // over someone's shoulder cannot be replayed.
            let last = self.totp_used.get(&user.name).copied();
            match totp_step(secret, code, now)? {
                Some(step) if last.is_none_or(|last| step > last) => {
                    self.totp_used.insert(user.name.clone(), step);
                }
                _ => return Err(ArchiveError::Invalid(LOGIN_FAILED.to_owned())),
            }
        }
        let role = stored_role(&user)?;
        let token = new_token(SESSION_PREFIX)?;
        self.store.add_credential(&CredentialRow {
            token_hash: token_hash(&token),
            user_name: user.name.clone(),
            kind: "session".to_owned(),
            label: None,
            created_at: format_rfc3339(now),
            expires_at: Some(format_rfc3339(now + SESSION_LIFETIME)),
            revoked: false,
            last_used_at: None,
        })?;
        Ok((Principal { user: user.name, role }, token))
    }

    /// Makes an API token for a user (who must exist and not be disabled),
    /// with an optional label saying what it is for. The token does not
    /// expire; it is returned once and stored only as its SHA-256.
    pub fn create_api_token(&mut self, name: &str, label: Option<&str>) -> Result<String> {
        let label = label.map(str::trim).filter(|label| !label.is_empty());
        if let Some(label) = label
            && (label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control))
        {
            return Err(ArchiveError::Invalid(format!(
                "a token label is at most {MAX_LABEL_CHARS} characters on one line"
            )));
        }
        let user = self.user_row(name)?;
        if user.disabled {
            return Err(ArchiveError::Invalid(format!("user {name} is disabled; enable them before making a token")));
        }
        let token = new_token(API_PREFIX)?;
        self.store.add_credential(&CredentialRow {
            token_hash: token_hash(&token),
            user_name: user.name,
            kind: "api".to_owned(),
            label: label.map(str::to_owned),
            created_at: format_rfc3339(OffsetDateTime::now_utc()),
            expires_at: None,
            revoked: false,
            last_used_at: None,
        })?;
        Ok(token)
    }

    /// Who a session or API token stands for, or `None` if it is unknown,
    /// revoked, expired, or its user is disabled. Records when it was used,
    /// at most once a minute.
    pub fn authenticate(&mut self, token: &str) -> Result<Option<Principal>> {
        self.authenticate_at(token, OffsetDateTime::now_utc())
    }

    fn authenticate_at(&mut self, token: &str, now: OffsetDateTime) -> Result<Option<Principal>> {
        if !token.starts_with(SESSION_PREFIX) && !token.starts_with(API_PREFIX) {
            return Ok(None);
        }
        let hash = token_hash(token);
        let Some(credential) = self.store.credential(&hash)? else {
            return Ok(None);
        };
        if credential.revoked {
            return Ok(None);
        }
        if let Some(expires_at) = &credential.expires_at
            && parse_time(expires_at, &credential.user_name)? <= now
        {
            return Ok(None);
        }
        let Some(user) = self.store.user(&credential.user_name)? else {
            return Err(ArchiveError::Corrupted {
                what: "credential".to_owned(),
                detail: format!("a credential belongs to user {}, who does not exist", credential.user_name),
            });
        };
        if user.disabled {
            return Ok(None);
        }
        let role = stored_role(&user)?;
        let due = match &credential.last_used_at {
            // An unreadable time is simply written again.
            Some(last) => parse_time(last, &user.name).is_ok_and(|last| now - last >= TOUCH_INTERVAL),
            None => true,
        };
        if due {
            self.store.touch_credential(&hash, &format_rfc3339(now))?;
        }
        Ok(Some(Principal { user: user.name, role }))
    }

    /// Ends a session (or revokes an API token) by its token. A token that
    /// is unknown or already revoked is not an error.
    pub fn logout(&mut self, token: &str) -> Result<()> {
        let hash = token_hash(token);
        if let Some(credential) = self.store.credential(&hash)? {
            self.store.revoke_credentials(&credential.user_name, Some(&hash))?;
        }
        Ok(())
    }

    /// Revokes every session and API token of a user; returns how many were
    /// still in force.
    pub fn revoke_user_credentials(&mut self, name: &str) -> Result<u64> {
        self.user_row(name)?;
        Ok(self.store.revoke_credentials(name, None)?)
    }

    fn user_row(&self, name: &str) -> Result<UserRow> {
        self.store.user(name)?.ok_or_else(|| {
            ArchiveError::NotFound(format!("no user named {name}; `evident user list` shows who there is"))
        })
    }
}

fn check_user_name(name: &str) -> Result<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || !name.chars().all(allowed) {
        return Err(ArchiveError::Invalid(format!(
            "{name:?} is not a user name: use 1 to {MAX_NAME_CHARS} ASCII letters, digits, '.', '_' or '-'"
        )));
    }
    Ok(())
}

/// An Argon2id PHC string for a password, with a fresh random salt.
fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ArchiveError::Invalid(format!(
            "the password is too short: use at least {MIN_PASSWORD_CHARS} characters (a few words make a good one)"
        )));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ArchiveError::Invalid(format!("no randomness for a password salt: {e}")))?;
    let hash = Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|e| ArchiveError::Invalid(format!("cannot hash the password: {e}")))?;
    Ok(hash.to_string())
}

/// Whether `password` matches a stored PHC string. A string that does not
/// parse, or that Argon2 refuses, is corrupted data, not a wrong password.
fn password_matches(password: &str, phc: &str, user: &str) -> Result<bool> {
    let corrupted = |e: argon2::password_hash::Error| ArchiveError::Corrupted {
        what: format!("password hash of user {user}"),
        detail: e.to_string(),
    };
    let parsed = PasswordHash::new(phc).map_err(|e| corrupted(e.into()))?;
    match Argon2::default().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(corrupted(e)),
    }
}

fn stored_role(user: &UserRow) -> Result<Role> {
    Role::parse(&user.role).map_err(|_| ArchiveError::Corrupted {
        what: format!("user {}", user.name),
        detail: format!("unknown role {:?}", user.role),
    })
}

/// 32 random bytes in base64url without padding, after `prefix`.
fn new_token(prefix: &str) -> Result<String> {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|e| ArchiveError::Invalid(format!("no randomness for a token: {e}")))?;
    Ok(format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)))
}

/// What the store keeps of a token: its SHA-256 in lower-case hex.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn parse_time(text: &str, user: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|e| ArchiveError::Corrupted {
        what: format!("a credential of user {user}"),
        detail: format!("time {text:?}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InitConfig;

    const PASSWORD: &str = "correct horse battery";

    fn archive() -> (tempfile::TempDir, Archive) {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("archive");
        Archive::init(&dir, &InitConfig { origin: "test.example/evident".to_owned(), key_file: None }).unwrap();
        let archive = Archive::open(&dir, None).unwrap();
        (temp, archive)
    }

    fn message(result: Result<impl fmt::Debug>) -> String {
        result.unwrap_err().to_string()
    }

    fn at(rfc3339: &str) -> OffsetDateTime {
        OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339).unwrap()
    }

    #[test]
    fn roles_parse_by_name_and_map_to_access_and_permissions() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.name()).unwrap(), role);
            assert_eq!(Role::parse(&format!(" {} ", role.name().to_uppercase())).unwrap(), role);
            assert_eq!(role.to_string(), role.name());
            assert_eq!(serde_json::to_value(role).unwrap(), role.name());
        }
        let unknown = message(Role::parse("root"));
        assert!(unknown.contains("\"root\"") && unknown.contains("admin, investigator, reviewer, intake"), "{unknown}");
        let table: Vec<(Role, Access, bool, bool)> =
            Role::ALL.into_iter().map(|r| (r, r.access(), r.may_write_records(), r.may_upload())).collect();
        assert_eq!(
            table,
            [
                (Role::Admin, Access::Restricted, true, true),
                (Role::Investigator, Access::Restricted, true, true),
                (Role::Reviewer, Access::Restricted, false, false),
                (Role::Intake, Access::Public, false, true),
            ]
        );
    }

    #[test]
    fn user_names_are_short_and_plain() {
        for good in ["a", "alice", "A.b_c-9", &"x".repeat(64)] {
            check_user_name(good).unwrap();
        }
        for bad in ["", &"x".repeat(65), "al ice", "alice@example.org", "ålice", "al/ice", "a\n"] {
            let error = message(check_user_name(bad));
            assert!(error.contains("is not a user name"), "{bad:?}: {error}");
        }
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        let real_hash = hash_password(PASSWORD).unwrap();
        let real = PasswordHash::new(&real_hash).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
        let (params, default) = (argon2::Params::try_from(&dummy).unwrap(), argon2::Params::default());
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (default.m_cost(), default.t_cost(), default.p_cost())
        );
        assert!(!password_matches(PASSWORD, DUMMY_HASH, "(none)").unwrap());
    }

    #[test]
    fn passwords_are_kept_only_as_argon2id_with_a_fresh_salt() {
        let (_temp, mut archive) = archive();
        archive.add_user("alice", Role::Investigator, PASSWORD).unwrap();
        archive.add_user("bob", Role::Reviewer, PASSWORD).unwrap();
        let alice = archive.store.user("alice").unwrap().unwrap();
        let bob = archive.store.user("bob").unwrap().unwrap();
        assert!(alice.password_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", alice.password_hash);
        assert!(!alice.password_hash.contains(PASSWORD));
        assert_ne!(alice.password_hash, bob.password_hash, "each hash has its own salt");
        assert_eq!(alice.role, "investigator");
        assert!(!alice.disabled);
        at(&alice.created_at);

        let short = message(archive.add_user("carol", Role::Admin, "elevenchars"));
        assert!(short.contains("at least 12 characters"), "{short}");
        // Twelve characters, not bytes: four CJK characters are too short.
        assert!(archive.add_user("carol", Role::Admin, "人權人權").is_err());
        archive.add_user("carol", Role::Admin, "人權人權人權人權人權人權").unwrap();
        let bad_name = message(archive.add_user("dave smith", Role::Admin, PASSWORD));
        assert!(bad_name.contains("is not a user name"), "{bad_name}");
        let duplicate = message(archive.add_user("alice", Role::Admin, "another long password"));
        assert!(duplicate.contains("already a user named alice"), "{duplicate}");
        assert_eq!(archive.store.user("alice").unwrap().unwrap(), alice, "a refused user changes nothing");

        let users = archive.users().unwrap();
        let listed: Vec<(&str, Role, bool)> = users.iter().map(|u| (u.name.as_str(), u.role, u.disabled)).collect();
        assert_eq!(
            listed,
            [("alice", Role::Investigator, false), ("bob", Role::Reviewer, false), ("carol", Role::Admin, false)]
        );
        let json = serde_json::to_string(&users).unwrap();
        assert!(!json.contains("argon2") && !json.contains("password"), "{json}");
    }

    #[test]
    fn every_failed_login_says_the_same() {
        let (_temp, mut archive) = archive();
        archive.add_user("alice", Role::Admin, PASSWORD).unwrap();
        archive.add_user("bob", Role::Intake, PASSWORD).unwrap();
        archive.disable_user("bob").unwrap();
        let failures = [
            message(archive.login("alice", "wrong horse battery")),
            message(archive.login("nobody", PASSWORD)),
            message(archive.login("bob", PASSWORD)),
            message(archive.login("Alice", PASSWORD)),
            message(archive.login("", "")),
        ];
        for failure in &failures {
            assert_eq!(failure, LOGIN_FAILED);
        }
        let (principal, _) = archive.login("alice", PASSWORD).unwrap();
        assert_eq!(principal, Principal { user: "alice".to_owned(), role: Role::Admin });
    }

    #[test]
    fn a_session_works_until_it_expires_or_is_ended() {
        let (_temp, mut archive) = archive();
        archive.add_user("alice", Role::Investigator, PASSWORD).unwrap();
        let signed_in = at("2026-11-30T08:00:00Z");
        let (principal, token) = archive.login_at("alice", PASSWORD, None, signed_in).unwrap();
        assert!(token.starts_with("evs_") && token.len() == 4 + 43, "{token}");
        assert!(token[4..].chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{token}");
        let expected = Some(principal);
        assert_eq!(archive.authenticate_at(&token, signed_in).unwrap(), expected);
        assert_eq!(archive.authenticate_at(&token, at("2026-11-30T19:59:59Z")).unwrap(), expected);
        assert_eq!(archive.authenticate_at(&token, at("2026-11-30T20:00:00Z")).unwrap(), None, "12 hours on");

        // Only the SHA-256 is stored, and it is what identifies the session.
        assert_eq!(archive.store.credential(&token).unwrap(), None);
        let row = archive.store.credential(&token_hash(&token)).unwrap().unwrap();
        assert_eq!((row.kind.as_str(), row.expires_at.as_deref()), ("session", Some("2026-11-30T20:00:00Z")));

        let (_, other) = archive.login("alice", PASSWORD).unwrap();
        assert_ne!(other, token);
        archive.logout(&other).unwrap();
        assert_eq!(archive.authenticate(&other).unwrap(), None, "logged out");
        archive.logout(&other).unwrap();
        archive.logout("evs_unknown").unwrap();

        for junk in ["", "evs_", "evk_", "evs_nothing-like-a-token", "Bearer x", &token[4..]] {
            assert_eq!(archive.authenticate(junk).unwrap(), None, "{junk:?}");
        }
    }

    #[test]
    fn a_second_factor_needs_the_current_code_after_the_password() {
        let (_temp, mut archive) = archive();
        archive.add_user("alice", Role::Investigator, PASSWORD).unwrap();
        let setup = archive.enable_totp("alice").unwrap();
        assert_eq!(setup.secret.len(), 32, "160 bits in base32: {}", setup.secret);
        assert!(setup.uri.starts_with("otpauth://totp/Evident:alice?secret=") && setup.uri.contains(&setup.secret));
        assert!(archive.users().unwrap()[0].totp);
        let now = at("2026-11-30T08:00:10Z");
        let bytes = totp_rs::Secret::Encoded(setup.secret.clone()).to_bytes().unwrap();
        let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes).unwrap();
        let code_at = |time: &str| totp.generate(at(time).unix_timestamp() as u64);

        assert!(matches!(archive.login_at("alice", PASSWORD, None, now), Err(ArchiveError::TotpRequired)));
        assert!(matches!(archive.login_at("alice", PASSWORD, Some(" "), now), Err(ArchiveError::TotpRequired)));
        let wrong_password = archive.login_at("alice", "wrong password!!", Some(&code_at("2026-11-30T08:00:10Z")), now);
        assert_eq!(wrong_password.unwrap_err().to_string(), LOGIN_FAILED, "the code does not help a wrong password");
        // A wrong password with no code says nothing about the second factor.
        assert_eq!(archive.login_at("alice", "wrong password!!", None, now).unwrap_err().to_string(), LOGIN_FAILED);
        for bad in [code_at("2026-11-30T07:58:00Z"), "000000x".to_owned(), "12345".to_owned()] {
            assert_eq!(archive.login_at("alice", PASSWORD, Some(&bad), now).unwrap_err().to_string(), LOGIN_FAILED);
        }
        for time in ["2026-11-30T07:59:45Z", "2026-11-30T08:00:00Z", "2026-11-30T08:00:35Z"] {
            let (principal, _) = archive.login_at("alice", PASSWORD, Some(&code_at(time)), now).unwrap();
            assert_eq!(principal.user, "alice", "the code of {time} (within one step) is accepted at 08:00:10");
            let replayed = archive.login_at("alice", PASSWORD, Some(&code_at(time)), now);
            assert_eq!(replayed.unwrap_err().to_string(), LOGIN_FAILED, "a code is good once");
        }
        let earlier = archive.login_at("alice", PASSWORD, Some(&code_at("2026-11-30T08:00:00Z")), now);
        assert!(earlier.is_err(), "nor is an older step's code after a newer one was used");

        archive.disable_totp("alice").unwrap();
        assert!(!archive.users().unwrap()[0].totp);
        archive.login_at("alice", PASSWORD, None, now).unwrap();
    }

    #[test]
    fn use_is_recorded_at_most_once_a_minute() {
        let (_temp, mut archive) = archive();
        archive.add_user("alice", Role::Reviewer, PASSWORD).unwrap();
        let token = archive.create_api_token("alice", Some("nightly export")).unwrap();
        let hash = token_hash(&token);
        let last_used = |archive: &Archive| archive.store.credential(&hash).unwrap().unwrap().last_used_at;
        assert_eq!(last_used(&archive), None);
        archive.authenticate_at(&token, at("2026-11-30T08:00:00Z")).unwrap().unwrap();
        assert_eq!(last_used(&archive).as_deref(), Some("2026-11-30T08:00:00Z"));
        archive.authenticate_at(&token, at("2026-11-30T08:00:59Z")).unwrap().unwrap();
        assert_eq!(last_used(&archive).as_deref(), Some("2026-11-30T08:00:00Z"), "not again within a minute");
        archive.authenticate_at(&token, at("2026-11-30T08:01:00Z")).unwrap().unwrap();
        assert_eq!(last_used(&archive).as_deref(), Some("2026-11-30T08:01:00Z"));
    }

    #[test]
    fn api_tokens_last_until_revoked_and_follow_the_user() {
        let (_temp, mut archive) = archive();
        archive.add_user("alice", Role::Investigator, PASSWORD).unwrap();
        let token = archive.create_api_token("alice", Some("  nightly export ")).unwrap();
        assert!(token.starts_with("evk_") && token.len() == 4 + 43, "{token}");
        let row = archive.store.credential(&token_hash(&token)).unwrap().unwrap();
        assert_eq!((row.kind.as_str(), row.label.as_deref(), row.expires_at), ("api", Some("nightly export"), None));
        let years_later = at("2036-11-30T08:00:00Z");
        assert_eq!(archive.authenticate_at(&token, years_later).unwrap().map(|p| p.role), Some(Role::Investigator));

        // A role change applies at once; a password change leaves tokens alone.
        archive.set_role("alice", Role::Reviewer).unwrap();
        archive.set_password("alice", "a brand new password").unwrap();
        assert_eq!(archive.authenticate(&token).unwrap().map(|p| p.role), Some(Role::Reviewer));
        assert!(archive.login("alice", PASSWORD).is_err());
        archive.login("alice", "a brand new password").unwrap();
        assert!(message(archive.set_password("alice", "short")).contains("at least 12"));

        assert!(message(archive.create_api_token("nobody", None)).contains("no user named nobody"));
        assert!(message(archive.create_api_token("alice", Some("two\nlines"))).contains("one line"));
        assert!(message(archive.set_role("nobody", Role::Admin)).contains("no user named nobody"));
        assert!(message(archive.revoke_user_credentials("nobody")).contains("no user named nobody"));

        // Two sessions (the logins above and below) and two tokens in force.
        let (_, session) = archive.login("alice", "a brand new password").unwrap();
        let second = archive.create_api_token("alice", None).unwrap();
        assert_eq!(archive.revoke_user_credentials("alice").unwrap(), 4);
        assert_eq!(archive.revoke_user_credentials("alice").unwrap(), 0);
        for token in [&token, &session, &second] {
            assert_eq!(archive.authenticate(token).unwrap(), None);
        }
    }

    #[test]
    fn disabling_a_user_ends_everything_they_hold_for_good() {
        let (_temp, mut archive) = archive();
        archive.add_user("alice", Role::Intake, PASSWORD).unwrap();
        let (_, session) = archive.login("alice", PASSWORD).unwrap();
        let token = archive.create_api_token("alice", None).unwrap();
        archive.disable_user("alice").unwrap();
        assert!(archive.users().unwrap()[0].disabled);
        assert_eq!(archive.authenticate(&session).unwrap(), None);
        assert_eq!(archive.authenticate(&token).unwrap(), None);
        assert!(message(archive.create_api_token("alice", None)).contains("disabled"));
        assert_eq!(message(archive.login("alice", PASSWORD)), LOGIN_FAILED);
        archive.enable_user("alice").unwrap();
        assert_eq!(archive.authenticate(&token).unwrap(), None, "revoked, not only suspended");
        let (_, fresh) = archive.login("alice", PASSWORD).unwrap();
        assert_eq!(archive.authenticate(&fresh).unwrap().map(|p| p.user), Some("alice".to_owned()));
    }

    #[test]
    fn accounts_survive_reopening_and_add_no_log_entries() {
        let (temp, mut archive) = archive();
        let log_size = archive.store.log_size().unwrap();
        archive.add_user("alice", Role::Admin, PASSWORD).unwrap();
        let token = archive.create_api_token("alice", None).unwrap();
        assert_eq!(archive.store.log_size().unwrap(), log_size);
        drop(archive);
        let mut archive = Archive::open(&temp.path().join("archive"), None).unwrap();
        assert_eq!(archive.authenticate(&token).unwrap().map(|p| p.role), Some(Role::Admin));
        archive.login("alice", PASSWORD).unwrap();
    }

    #[test]
    fn corrupted_account_rows_are_reported_not_accepted() {
        let (_temp, mut archive) = archive();
        archive.add_user("alice", Role::Admin, PASSWORD).unwrap();
        let token = archive.create_api_token("alice", None).unwrap();
        let alice = archive.store.user("alice").unwrap().unwrap();
        archive.store.set_user(&UserRow { role: "superuser".to_owned(), ..alice.clone() }).unwrap();
        assert!(matches!(archive.authenticate(&token), Err(ArchiveError::Corrupted { .. })));
        archive.store.set_user(&UserRow { password_hash: "not a hash".to_owned(), ..alice }).unwrap();
        assert!(matches!(archive.login("alice", PASSWORD), Err(ArchiveError::Corrupted { .. })));
    }
}
