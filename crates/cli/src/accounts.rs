//! `evident user` and `evident token`: the accounts of the people who sign
//! in to the web app, and API tokens for programs.
//!
//! Passwords come from standard input when it is not a terminal (the first
//! line, so `printf '%s\n' "$PASSWORD" | evident user add ...` works in
//! scripts), else from a prompt without echo, typed twice. They are read
//! before the archive is opened, so no one waits on the archive's lock
//! while someone types.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use evident_archive::{Archive, Role};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user; the password comes from standard input, or a prompt on a terminal
    Add {
        name: String,
        /// admin, investigator, reviewer or intake
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List users and their roles
    List {
        /// One JSON object per user
        #[arg(long)]
        json: bool,
    },
    /// Disable a user and revoke their sessions and tokens
    Disable { name: String },
    /// Let a disabled user sign in again (their old sessions and tokens stay revoked)
    Enable { name: String },
    /// Change a user's role (it applies to their sessions and tokens at once)
    Role {
        name: String,
        /// admin, investigator, reviewer or intake
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Set a user's password; it comes from standard input, or a prompt on a terminal
    Password { name: String },
    /// Revoke all of a user's sessions and API tokens
    Revoke { name: String },
    /// Give a user a TOTP second factor (prints the secret and otpauth URI once), or remove it
    Totp {
        name: String,
        /// Remove the second factor instead
        #[arg(long)]
        disable: bool,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make an API token for a user and print it (the only time it is shown)
    Create {
        name: String,
        /// What the token is for, e.g. "nightly export"
        #[arg(long, value_name = "TEXT")]
        label: Option<String>,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).map_err(|e| e.to_string())
}

/// Runs a `user` subcommand; `open` opens the archive.
pub fn user(which: &UserCommand, open: impl FnOnce() -> Result<Archive>) -> Result<ExitCode> {
    match which {
        UserCommand::Add { name, role } => {
            let password = read_password(name)?;
            open()?.add_user(name, *role, &password).with_context(|| format!("cannot add the user {name}"))?;
            eprintln!("added {name} as {role}");
        }
        UserCommand::List { json } => {
            let users = open()?.users()?;
            for user in &users {
                if *json {
                    println!("{}", serde_json::to_string(user)?);
                } else {
                    let disabled = if user.disabled { "  disabled" } else { "" };
                    let totp = if user.totp { "  totp" } else { "" };
                    println!("{:<24} {:<12} since {}{disabled}{totp}", user.name, user.role, user.created_at);
                }
            }
            if !json && users.is_empty() {
                eprintln!("no users yet; add one with `evident user add NAME --role admin`");
            }
        }
        UserCommand::Disable { name } => {
            open()?.disable_user(name)?;
            eprintln!("disabled {name}; their sessions and tokens are revoked");
        }
        UserCommand::Enable { name } => {
            open()?.enable_user(name)?;
            eprintln!("enabled {name}");
        }
        UserCommand::Role { name, role } => {
            open()?.set_role(name, *role)?;
            eprintln!("{name} is now {role}");
        }
        UserCommand::Password { name } => {
            let password = read_password(name)?;
            open()?.set_password(name, &password).with_context(|| format!("cannot set the password of {name}"))?;
            eprintln!(
                "changed the password of {name}; sessions and tokens already given out still work \
                 (end them with `evident user revoke {name}`)"
            );
        }
        UserCommand::Revoke { name } => {
            let revoked = open()?.revoke_user_credentials(name)?;
            println!("revoked {revoked} sessions and tokens of {name}");
        }
        UserCommand::Totp { name, disable: true } => {
            open()?.disable_totp(name)?;
            println!("{name} signs in with the password alone again");
        }
        UserCommand::Totp { name, disable: false } => {
            let setup = open()?.enable_totp(name)?;
            println!("secret: {}", setup.secret);
            println!("uri: {}", setup.uri);
            eprintln!("add it to an authenticator app now (it is not shown again); {name} needs its code to sign in");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a `token` subcommand; `open` opens the archive.
pub fn token(which: &TokenCommand, open: impl FnOnce() -> Result<Archive>) -> Result<ExitCode> {
    let TokenCommand::Create { name, label } = which;
    let token = open()?.create_api_token(name, label.as_deref())?;
    println!("{token}");
    eprintln!("this token is shown only once: keep it now (it is stored only as a hash)");
    Ok(ExitCode::SUCCESS)
}

/// The first line of standard input when that is not a terminal, else a
/// password typed twice at a prompt without echo.
fn read_password(name: &str) -> Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).context("cannot read the password from standard input")?;
        let password = line.strip_suffix('\n').map(|line| line.strip_suffix('\r').unwrap_or(line)).unwrap_or(&line);
        if password.is_empty() {
            bail!("no password on standard input: give it as the first line, or run on a terminal to be prompted");
        }
        return Ok(password.to_owned());
    }
    let password = rpassword::prompt_password(format!("password for {name}: ")).context("cannot read the password")?;
    let again = rpassword::prompt_password("the same again: ").context("cannot read the password")?;
    if password != again {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(password)
}
