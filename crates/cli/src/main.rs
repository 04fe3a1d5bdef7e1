//! The `evident` command: parses flags, starts tracing, calls the archive
//! library and maps the result to an exit code (0 ok, 1 a check failed,
//! 2 usage or I/O error). Everything else lives in the library crates.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::os::unix::fs::OpenOptionsExt;

use evident_archive::{
    AddConfig, AddObserver, AddOutcome, AddStatus, Archive, InitConfig, KekInit, KekUnlock, Sensitivity,
};

mod accounts;
mod analyze;
mod bench;
mod bench_http;
mod claims;
mod demo;
mod records;
mod redact;
mod search;

#[derive(Parser)]
#[command(name = "evident", version, about = "A tamper-evident evidence archive")]
struct Cli {
    /// The archive directory
    #[arg(long, global = true, env = "EVIDENT_ARCHIVE", value_name = "DIR")]
    archive: Option<PathBuf>,
    /// The log's signing key, when it is not where `init` put it
    #[arg(long, global = true, env = "EVIDENT_KEY_FILE", value_name = "PATH")]
    key_file: Option<PathBuf>,
    /// The archive's key-encryption key file, for sealed items (default: DIR.keys/kek beside the archive)
    #[arg(long, global = true, env = "EVIDENT_KEK_FILE", value_name = "PATH")]
    kek_file: Option<PathBuf>,
    /// Derive the key-encryption key from a passphrase (read from EVIDENT_KEK_PASSPHRASE, else asked for)
    #[arg(long, global = true)]
    passphrase: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum SealCommand {
    /// Create the key-encryption key (a key file outside the archive, by default DIR.keys/kek, or --passphrase)
    Init,
    /// Replace the key-encryption key: re-wrap every data key under a new one and destroy the old one (the log and
    /// the objects are not touched; run again after an interruption to finish)
    Rotate {
        /// Write the new key file here instead of where the current one is (outside the archive)
        #[arg(long, value_name = "PATH", conflicts_with = "new_passphrase")]
        new_kek_file: Option<PathBuf>,
        /// Rotate a passphrase to a new passphrase (read from EVIDENT_KEK_NEW_PASSPHRASE, else asked for)
        #[arg(long)]
        new_passphrase: bool,
        #[arg(long)]
        json: bool,
    },
    /// Let one person (an account) open a sealed item or record: its page, metadata and file (audited)
    Grant {
        /// the sealed item (itm_...) or record (per_..., ...)
        item: String,
        /// the account name
        user: String,
        /// who grants (default: the login name)
        #[arg(long)]
        actor: Option<String>,
    },
    /// Take one person's access to a sealed item or record away (audited)
    Revoke {
        item: String,
        user: String,
        #[arg(long)]
        actor: Option<String>,
    },
    /// List who may open a sealed item or record
    Grants { item: String },
}

fn parse_sensitivity(text: &str) -> Result<Sensitivity, String> {
    Sensitivity::parse(text)
}

/// How this command unlocks the key-encryption key, from --kek-file / EVIDENT_KEK_FILE or --passphrase.
fn kek_unlock(cli: &Cli) -> Result<Option<KekUnlock>> {
    if cli.passphrase {
        return Ok(Some(KekUnlock::Passphrase(read_passphrase("passphrase of the archive's key-encryption key: ")?)));
    }
    Ok(cli.kek_file.clone().map(KekUnlock::KeyFile))
}

fn read_passphrase(prompt: &str) -> Result<zeroize::Zeroizing<String>> {
    if let Ok(passphrase) = std::env::var("EVIDENT_KEK_PASSPHRASE") {
        return Ok(zeroize::Zeroizing::new(passphrase));
    }
    Ok(zeroize::Zeroizing::new(rpassword::prompt_password(prompt).context("cannot read the passphrase")?))
}

/// Gives a newly opened archive its key-encryption key: a key file (`--kek-file`, else `DIR.keys/kek`) or a
/// passphrase.
fn init_sealing(cli: &Cli, archive: &mut Archive) -> Result<()> {
    let init = if cli.passphrase {
        KekInit::Passphrase(read_passphrase("passphrase for the new key-encryption key (12 characters or more): ")?)
    } else {
        KekInit::KeyFile(cli.kek_file.clone())
    };
    let report = archive.init_sealing(&init).context("cannot create the key-encryption key")?;
    match &report.key_file {
        Some(path) => eprintln!(
            "key-encryption key {} in {} (back it up apart from the archive: without it sealed items are lost)",
            report.key_id,
            path.display()
        ),
        None => eprintln!("key-encryption key {} derived from the passphrase", report.key_id),
    }
    Ok(())
}

#[derive(Subcommand)]
enum Command {
    /// Create an archive: OCFL storage root, database, log key, empty signed log
    Init {
        /// Where to create it (or --archive / EVIDENT_ARCHIVE)
        dir: Option<PathBuf>,
        /// The log's name, e.g. archive.example.org/evident (default: evident.local/<DIR name>)
        #[arg(long)]
        origin: Option<String>,
    },
    /// Add files, folders (recursively) and .zip/.tar/.tar.gz archives
    Add {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Print one JSON object per input file
        #[arg(long)]
        json: bool,
        /// Who is adding (default: EVIDENT_ACTOR, else the login name)
        #[arg(long, env = "EVIDENT_ACTOR")]
        actor: Option<String>,
        /// Store .zip and .tar files as they are instead of adding their members
        #[arg(long)]
        no_unpack: bool,
        /// Refuse a zip member that expands more than this many times its compressed size
        #[arg(long, value_name = "RATIO", default_value_t = AddConfig::default().max_expansion_ratio)]
        max_expansion_ratio: u64,
        /// Refuse what a container unpacks beyond this many bytes in all
        #[arg(long, value_name = "BYTES", default_value_t = AddConfig::default().max_unpacked_bytes)]
        max_unpacked_bytes: u64,
        /// Commit (and report) at most this many items at a time
        #[arg(long, env = "EVIDENT_BATCH_ITEMS", value_name = "N", default_value_t = AddConfig::default().batch_items)]
        batch_items: usize,
        /// public (published at once), restricted (investigators and reviewers) or sealed (encrypted at rest)
        #[arg(long, value_name = "LEVEL", default_value = "restricted", value_parser = parse_sensitivity)]
        sensitivity: Sensitivity,
        /// Add public files even if they carry identifying metadata (EXIF GPS, device serials, authors); by default
        /// such a file is refused: publish a copy made with `evident redact` instead
        #[arg(long)]
        allow_identifying: bool,
    },
    /// Make a redacted copy of an item as a new item linked to it: text with strings or character spans replaced by
    /// █████, an image with regions blacked out; all file metadata stripped. The original may be sealed.
    Redact {
        item: String,
        /// Remove every occurrence of this text (case-insensitive); refused if it does not occur
        #[arg(long, value_name = "TEXT")]
        remove: Vec<String>,
        /// Remove the characters START..END of the item's extracted text (counted from 0, END excluded)
        #[arg(long, value_name = "START..END")]
        span: Vec<String>,
        /// Black out a rectangle of an image (PNG, JPEG), in pixels as displayed
        #[arg(long, value_name = "X,Y,W,H")]
        region: Vec<String>,
        /// public (published at once) or restricted
        #[arg(long, value_name = "LEVEL", default_value = "public", value_parser = parse_sensitivity)]
        sensitivity: Sensitivity,
        /// Who redacts (default: EVIDENT_ACTOR, else the login name)
        #[arg(long, env = "EVIDENT_ACTOR")]
        actor: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Sealing: give an archive made before sealing existed its key-encryption key
    Seal {
        #[command(subcommand)]
        command: SealCommand,
    },
    /// Write a sealed item's plaintext (decrypted with the key-encryption key) to a file or stdout
    Unseal {
        item: String,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Forget a sealed item: destroy its key (crypto-shredding) so that its content and metadata can never be read
    /// again; the log keeps its entry and records the forgetting
    Forget {
        item: String,
        /// Why (kept in the archive; the log carries only a salted digest of it)
        #[arg(long)]
        reason: String,
        /// Who forgets (default: EVIDENT_ACTOR, else the login name)
        #[arg(long, env = "EVIDENT_ACTOR")]
        actor: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print the latest signed checkpoint
    Checkpoint,
    /// Print the log's verifier key
    Key,
    /// Write a c2sp.org/tlog-proof receipt for an item
    Receipt {
        item: String,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// For a sealed item: also write the opening of its commitment (its salt) to FILE, for a named person
        #[arg(long, value_name = "FILE")]
        reveal: Option<PathBuf>,
        /// Who asks for the opening (recorded in the audit trail)
        #[arg(long, env = "EVIDENT_ACTOR")]
        actor: Option<String>,
    },
    /// Check a receipt offline against a file and a verifier key (no archive needed)
    CheckReceipt {
        receipt: PathBuf,
        #[arg(long, value_name = "PATH")]
        file: PathBuf,
        #[arg(long, value_name = "VKEY")]
        key: String,
        /// The opening of a sealed item's commitment (from `evident receipt ITEM --reveal FILE`)
        #[arg(long, value_name = "FILE")]
        opening: Option<PathBuf>,
    },
    /// Re-hash every object and check every inventory, entry, tile and the checkpoint
    Verify {
        #[arg(long)]
        json: bool,
        /// Check the checkpoint against this verifier key instead of the archive's own record of it
        #[arg(long, value_name = "VKEY")]
        key: Option<String>,
    },
    /// Create a record: source, person, facility, event, relation, claim, finding or series
    Create {
        kind: String,
        /// FIELD=VALUE; VALUE is text, or JSON when it starts with {, [ or "
        #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
        set: Vec<String>,
        #[arg(long, default_value = "created")]
        reason: String,
        #[arg(long, env = "EVIDENT_ACTOR")]
        actor: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Change fields of a record or describe an item; a new version with who, when and why
    Edit {
        id: String,
        /// FIELD=VALUE sets a field (VALUE is text, or JSON when it starts with {, [ or "); FIELD= removes it
        #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
        set: Vec<String>,
        #[arg(long)]
        reason: String,
        #[arg(long, env = "EVIDENT_ACTOR")]
        actor: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Retract a record: a new version marked retracted, with the reason; nothing is deleted
    Retract {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long, env = "EVIDENT_ACTOR")]
        actor: Option<String>,
    },
    /// Publish an item or record to the public portal: a logged new version with sensitivity public
    Publish {
        id: String,
        /// Why it is published (recorded as "published: REASON")
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long, env = "EVIDENT_ACTOR")]
        actor: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Take an item or record off the public portal: a logged new version with sensitivity restricted
    Unpublish {
        id: String,
        /// Why it is taken down (recorded as "unpublished: REASON")
        #[arg(long)]
        reason: String,
        #[arg(long, env = "EVIDENT_ACTOR")]
        actor: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show an item or a record, and with --history every version of it
    Show {
        id: String,
        #[arg(long)]
        history: bool,
        #[arg(long)]
        json: bool,
        /// Open the record's sealed fields, or a sealed item's name and metadata, with the key-encryption key
        /// (noted in the audit trail)
        #[arg(long)]
        reveal: bool,
        /// Who reveals (recorded in the audit trail); defaults to the login name
        #[arg(long)]
        actor: Option<String>,
    },
    /// Import records from JSON Lines, CSV or GeoJSON (all-or-nothing unless --skip-bad)
    Import {
        file: PathBuf,
        /// The kind of rows that do not name one (a kind column or field)
        #[arg(long)]
        kind: Option<String>,
        /// jsonl, csv or geojson (default: from the file name)
        #[arg(long)]
        format: Option<String>,
        /// Import the good rows and report the bad ones
        #[arg(long)]
        skip_bad: bool,
        /// Recorded in each record's first version (default: "imported from FILE")
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, env = "EVIDENT_ACTOR")]
        actor: Option<String>,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Export records of a kind (or all: the whole-archive dump) as jsonl, csv or geojson
    Export {
        /// A record kind, or `all`
        #[arg(long, default_value = "all")]
        kind: String,
        #[arg(long, default_value = "jsonl")]
        format: String,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Who exports (recorded in the audit trail); defaults to the login name
        #[arg(long)]
        actor: Option<String>,
        /// Write sealed record fields in plaintext (needs the key-encryption key; audited)
        #[arg(long)]
        reveal: bool,
    },
    /// The audit trail: reads of restricted material and exports (who, what, when, from where)
    Audit {
        /// Start at this event (1 is the first)
        #[arg(long, default_value_t = 1)]
        from: u64,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// The findings table: issue, standard of proof, outcome, claims relied on and the items behind them
    Findings {
        #[arg(long, default_value = "md")]
        format: String,
    },
    /// Search items and records in every language: words (AND), "phrases", OR, NOT, field:value
    Search {
        /// The query, e.g. `人權 lang:zh`, `"equal protection" OR asylum`, `transplant NOT kidney date:2010..2014`
        query: String,
        /// Print the results as one JSON object
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// relevance, newest or oldest
        #[arg(long, default_value = "relevance")]
        sort: String,
        /// Count matches by a facet (kind, type, lang, group, facility, province, source, access, year);
        /// NAME=VALUE also filters on it. Repeatable.
        #[arg(long = "facet", value_name = "NAME[=VALUE]")]
        facets: Vec<String>,
        /// Search as this access level sees it: public or restricted (sealed text is never indexed)
        #[arg(long = "as", default_value = "restricted", value_name = "LEVEL")]
        access: String,
    },
    /// Rebuild the search index from the archive, extracting every item's text again
    Reindex {
        #[arg(long)]
        json: bool,
    },
    /// Serve the JSON API (/api/v1/) and the log (/checkpoint, /tile/...) over HTTP
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
        listen: std::net::SocketAddr,
        /// The largest upload (one request to POST /api/v1/items) accepted, in bytes; larger ones get 413
        #[arg(long, env = "EVIDENT_MAX_UPLOAD", value_name = "BYTES", default_value_t = evident_server::ServerConfig::default().max_upload)]
        max_upload: u64,
    },
    /// A demo: an archive with a small sample (public texts, fictional testimonies), an admin account, served
    Demo {
        /// The demo archive (created if missing, else reused)
        #[arg(long, default_value = "evident-demo", value_name = "DIR")]
        dir: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
        listen: std::net::SocketAddr,
        /// Prepare the archive and the account, print them, and exit without serving
        #[arg(long)]
        no_serve: bool,
    },
    /// Find things in items' text: `extract claims` finds figures for review
    Extract {
        #[command(subcommand)]
        which: claims::ExtractCommand,
    },
    /// Review claim candidates: list, accept (each becomes a claim record) or reject
    Candidates {
        #[command(subcommand)]
        which: claims::CandidatesCommand,
    },
    /// Forensic tests of official statistics: fits, repeated figures, ratios, comparison across countries
    Analyze {
        #[command(subcommand)]
        which: analyze::AnalyzeCommand,
    },
    /// Benchmarks, printed with the physical limits measured in the same run
    Bench {
        #[command(subcommand)]
        which: bench::BenchCommand,
    },
    /// Accounts for the web app: add, list, disable, change role or password, revoke sessions and tokens
    User {
        #[command(subcommand)]
        which: accounts::UserCommand,
    },
    /// API tokens for programs: `token create NAME` prints a new one once
    Token {
        #[command(subcommand)]
        which: accounts::TokenCommand,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("EVIDENT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    quiet_extractor_panics();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("evident: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// The PDF and e-mail libraries panic on some damaged files; the extractor
/// catches that on its own threads and records the file as not extractable.
/// The default hook would still print the panic (and its message, which may
/// quote the file) to stderr, so on those threads it is a debug log line.
fn quiet_extractor_panics() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name().is_some_and(|name| name.starts_with("evident-extract")) {
            tracing::debug!("a text extractor gave up on a damaged file; it is recorded as not extractable");
            return;
        }
        default_hook(info);
    }));
}

fn archive_dir(cli_archive: &Option<PathBuf>) -> Result<PathBuf> {
    cli_archive.clone().context("no archive given: pass --archive DIR or set EVIDENT_ARCHIVE")
}

fn open(cli: &Cli) -> Result<Archive> {
    let dir = archive_dir(&cli.archive)?;
    let mut archive = Archive::open(&dir, cli.key_file.as_deref())
        .with_context(|| format!("cannot open the archive {}", dir.display()))?;
    if let Some(unlock) = kek_unlock(cli)? {
        archive.set_kek(unlock);
    }
    Ok(archive)
}

fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Init { dir, origin } => {
            let dir = match dir {
                Some(dir) => dir.clone(),
                None => archive_dir(&cli.archive)?,
            };
            let origin = match origin {
                Some(origin) => origin.clone(),
                None => default_origin(&dir),
            };
            let report = Archive::init(&dir, &InitConfig { origin, key_file: cli.key_file.clone() })
                .with_context(|| format!("cannot create an archive at {}", dir.display()))?;
            eprintln!("created the archive {} (log key in {})", dir.display(), report.key_file.display());
            let mut archive = Archive::open(&dir, cli.key_file.as_deref())
                .with_context(|| format!("cannot open the archive {}", dir.display()))?;
            init_sealing(&cli, &mut archive)?;
            eprintln!("the log's verifier key, to give to anyone who checks receipts:");
            println!("{}", report.verifier_key);
            Ok(ExitCode::SUCCESS)
        }
        Command::Add {
            paths,
            json,
            actor,
            no_unpack,
            max_expansion_ratio,
            max_unpacked_bytes,
            batch_items,
            sensitivity,
            allow_identifying,
        } => {
            let mut archive = open(&cli)?;
            let config = AddConfig {
                sensitivity: *sensitivity,
                allow_identifying: *allow_identifying,
                actor: actor.clone().unwrap_or_else(default_actor),
                unpack: !no_unpack,
                max_expansion_ratio: *max_expansion_ratio,
                max_unpacked_bytes: *max_unpacked_bytes,
                batch_items: (*batch_items).max(1),
                ..AddConfig::default()
            };
            let mut observer = AddPrinter::new(*json);
            let summary = archive.add(paths, &config, &mut observer)?;
            observer.finish();
            if !json {
                eprintln!(
                    "{} added, {} duplicate, {} rejected; log size {}",
                    summary.added, summary.duplicate, summary.rejected, summary.log_size
                );
            }
            Ok(if summary.rejected == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Checkpoint => {
            let archive = open(&cli)?;
            print!("{}", archive.checkpoint()?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Key => {
            let archive = open(&cli)?;
            println!("{}", archive.verifier_key());
            Ok(ExitCode::SUCCESS)
        }
        Command::Seal { command: SealCommand::Init } => {
            let mut archive = open(&cli)?;
            init_sealing(&cli, &mut archive)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Seal { command: SealCommand::Grant { item, user, actor } } => {
            let mut archive = open(&cli)?;
            let added = archive.grant_sealed(item, user, &actor.clone().unwrap_or_else(default_actor))?;
            archive.commit_audit()?;
            eprintln!("{user} {} open {item}", if added { "may now" } else { "could already" });
            Ok(ExitCode::SUCCESS)
        }
        Command::Seal { command: SealCommand::Revoke { item, user, actor } } => {
            let mut archive = open(&cli)?;
            let removed = archive.revoke_sealed(item, user, &actor.clone().unwrap_or_else(default_actor))?;
            archive.commit_audit()?;
            if removed {
                eprintln!("{user} may no longer open {item}");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("{user} had no grant on {item}; nothing changed");
                Ok(ExitCode::from(1))
            }
        }
        Command::Seal { command: SealCommand::Grants { item } } => {
            let archive = open(&cli)?;
            for grant in archive.sealed_grants(item)? {
                println!("{}\tgranted by {} at {}", grant.user_name, grant.granted_by, grant.granted_at);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Unseal { item, output } => {
            let archive = open(&cli)?;
            match output {
                Some(path) => {
                    // Written beside its destination and renamed into place only when complete and checked.
                    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                    let mut temp = tempfile::NamedTempFile::new_in(parent)
                        .with_context(|| format!("cannot write in {}", parent.display()))?;
                    archive.read_sealed(item, temp.as_file_mut())?;
                    temp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
                }
                None => {
                    // Checked before a byte is printed: a prefix of a damaged item is never shown as the item.
                    archive.read_sealed(item, &mut std::io::sink())?;
                    let mut stdout = std::io::stdout().lock();
                    archive.read_sealed(item, &mut stdout)?;
                    stdout.flush()?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Receipt { item, output, reveal, actor } => {
            let mut archive = open(&cli)?;
            let receipt = archive.receipt(item)?;
            if let Some(path) = reveal {
                let opening = archive.reveal_opening(item, &actor.clone().unwrap_or_else(default_actor))?;
                archive.commit_audit()?;
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
                file.write_all(opening.as_bytes())
                    .and_then(|()| file.write_all(b"\n"))
                    .and_then(|()| file.sync_all())
                    .with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!(
                    "wrote the opening of {item}'s commitment to {}: with it, anyone can test a guess of the file; \
                     give it only to the person it is for",
                    path.display()
                );
            }
            match output {
                Some(path) => {
                    std::fs::write(path, &receipt).with_context(|| format!("cannot write {}", path.display()))?
                }
                None => print!("{receipt}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckReceipt { receipt, file, key, opening } => {
            let text = std::fs::read_to_string(receipt)
                .with_context(|| format!("cannot read the receipt {}", receipt.display()))?;
            let mut bytes = std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
            let checked = match opening {
                Some(path) => {
                    let opening = zeroize::Zeroizing::new(
                        std::fs::read_to_string(path)
                            .with_context(|| format!("cannot read the opening {}", path.display()))?,
                    );
                    evident_archive::check_sealed_receipt(&text, &mut bytes, key, &opening)
                }
                None => evident_archive::check_receipt(&text, &mut bytes, key),
            };
            match checked {
                Ok(verdict) => {
                    println!(
                        "valid: {} (sha256 {}) is item {}, entry {} of log {} at tree size {}, recorded {}",
                        file.display(),
                        verdict.sha256,
                        verdict.item,
                        verdict.index,
                        verdict.origin,
                        verdict.tree_size,
                        verdict.time
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(reason) => {
                    println!("invalid: {reason}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Verify { json, key } => {
            let archive = open(&cli)?;
            let pinned = match key {
                Some(key) => {
                    Some(evident_tlog::NoteVerifier::parse(key.trim()).context("--key is not a verifier key")?)
                }
                None => None,
            };
            let mut stdout = std::io::stdout();
            let json = *json;
            let report = archive.verify(pinned.as_ref(), &mut |problem| {
                if !json {
                    let _ = writeln!(stdout, "{}: {}", problem.what, problem.detail);
                }
            })?;
            // What the web UI and GET /api/v1/verify show as the last verification.
            if let Err(error) = archive.save_verify_summary(&report) {
                eprintln!("warning: the verification's summary was not saved: {error}");
            }
            if json {
                let value = serde_json::json!({
                    "ok": report.ok(),
                    "items": report.items,
                    "records": report.records,
                    "record_versions": report.record_versions,
                    "objects": report.objects,
                    "log_size": report.log_size,
                    "sealed": report.sealed,
                    "sealed_unopened": report.sealed_unopened,
                    "forgotten": report.forgotten,
                    "forgotten_ids": report.forgotten_ids,
                    "problems": report.problems,
                });
                println!("{value}");
            } else if report.ok() {
                if report.sealed_unopened > 0 {
                    println!(
                        "{} of {} sealed items could not be opened (no key-encryption key: {}); their ciphertext, \
                         inventories and log entries were checked, their content against its commitments was not",
                        report.sealed_unopened,
                        report.sealed,
                        report.sealed_locked.as_deref().unwrap_or("unknown")
                    );
                }
                if report.forgotten > 0 {
                    println!(
                        "{} forgotten items (keys destroyed; ciphertext, inventories and entries checked): {}",
                        report.forgotten,
                        report.forgotten_ids.join(", ")
                    );
                }
                println!(
                    "ok: {} items, {} objects, {} records ({} versions), log size {}: all verified",
                    report.items, report.objects, report.records, report.record_versions, report.log_size
                );
            } else {
                println!(
                    "FAILED: {} problems ({} items, {} objects, log size {})",
                    report.problems.len(),
                    report.items,
                    report.objects,
                    report.log_size
                );
            }
            Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Create { kind, set, reason, actor, json } => {
            let kind = evident_core::RecordKind::parse(kind)?;
            let mut archive = open(&cli)?;
            let fields =
                records::parse_sets(set)?.into_iter().filter_map(|(field, value)| value.map(|v| (field, v))).collect();
            let actor = actor.clone().unwrap_or_else(default_actor);
            let change = archive.create_record(kind, fields, &actor, reason)?;
            records::print_change(&change, *json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Edit { id, set, reason, actor, json } => {
            let mut archive = open(&cli)?;
            let changes = records::parse_sets(set)?;
            let actor = actor.clone().unwrap_or_else(default_actor);
            let change = archive.edit_record(id, &changes, &actor, reason)?;
            records::print_change(&change, *json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Retract { id, reason, actor } => {
            let mut archive = open(&cli)?;
            let actor = actor.clone().unwrap_or_else(default_actor);
            let change = archive.retract_record(id, &actor, reason)?;
            records::print_change(&change, false);
            Ok(ExitCode::SUCCESS)
        }
        Command::Publish { id, reason, actor, json } => {
            let mut archive = open(&cli)?;
            let actor = actor.clone().unwrap_or_else(default_actor);
            let change = archive.publish_record(id, &actor, reason)?;
            records::print_change(&change, *json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Unpublish { id, reason, actor, json } => {
            let mut archive = open(&cli)?;
            let actor = actor.clone().unwrap_or_else(default_actor);
            let change = archive.unpublish_record(id, &actor, reason)?;
            records::print_change(&change, *json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id, history, json, reveal, actor } => {
            let mut archive = open(&cli)?;
            let revealed = if *reveal && !id.starts_with("itm_") {
                let view = archive.reveal_record(id, &actor.clone().unwrap_or_else(default_actor))?;
                archive.commit_audit()?;
                Some(view)
            } else {
                None
            };
            let sealed_item = id.starts_with("itm_") && archive.is_sealed(id)?;
            // Audited when it opens (a caller without the key is told so below).
            if sealed_item && *reveal && archive.forgotten(id)?.is_none() && archive.sealed_item(id).is_ok() {
                archive.audit(&evident_archive::AuditEvent {
                    actor: actor.clone().unwrap_or_else(default_actor),
                    role: "cli".to_owned(),
                    action: "reveal".to_owned(),
                    target: id.clone(),
                    client: "cli".to_owned(),
                })?;
                archive.commit_audit()?;
            }
            records::show(&archive, id, *history, *json, revealed)?;
            if sealed_item {
                show_sealed(&archive, id, *json, *reveal)?;
            }
            if id.starts_with("itm_") {
                redact::show(&archive, id, *json)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Redact { item, remove, span, region, sensitivity, actor, json } => {
            let mut archive = open(&cli)?;
            let flags = redact::RedactFlags {
                item,
                remove,
                spans: span,
                regions: region,
                sensitivity: *sensitivity,
                actor: actor.clone().unwrap_or_else(default_actor),
                json: *json,
            };
            redact::run(&mut archive, &flags)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { file, kind, format, skip_bad, reason, actor, json } => {
            let kind = kind.as_deref().map(evident_core::RecordKind::parse).transpose()?;
            let format = format.as_deref().map(evident_archive::Format::parse).transpose()?;
            let mut archive = open(&cli)?;
            let config = evident_archive::ImportConfig {
                kind,
                skip_bad: *skip_bad,
                actor: actor.clone().unwrap_or_else(default_actor),
                reason: reason.clone().unwrap_or_else(|| format!("imported from {}", file.display())),
            };
            let report = archive.import(file, format, &config)?;
            records::print_import(&report, *json);
            Ok(if report.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Export { kind, format, output, actor, reveal } => {
            let kind_name = kind;
            let kind = if kind == "all" { None } else { Some(evident_core::RecordKind::parse(kind)?) };
            let format = evident_archive::Format::parse(format)?;
            let mut archive = open(&cli)?;
            archive.audit(&evident_archive::AuditEvent {
                actor: actor.clone().unwrap_or_else(default_actor),
                role: "cli".to_owned(),
                action: "export".to_owned(),
                target: format!("kind={kind_name}"),
                client: "cli".to_owned(),
            })?;
            archive.commit_audit()?;
            let out: Box<dyn Write> = match output {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout())),
            };
            let count = if *reveal {
                eprintln!("warning: --reveal writes sealed fields in plaintext; keep the output as safe as the key");
                let count = archive.export_revealed(kind, format, out, &actor.clone().unwrap_or_else(default_actor))?;
                archive.commit_audit()?;
                count
            } else {
                archive.export(kind, format, out)?
            };
            eprintln!("exported {count} records");
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { from, limit, json } => {
            let archive = open(&cli)?;
            records::print_audit(&archive.audit_trail(*from, *limit)?, *json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Findings { format } => {
            let archive = open(&cli)?;
            records::print_findings(&archive.findings()?, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Search { query, json, limit, offset, sort, facets, access } => {
            let request = search::request(query, *limit, *offset, sort, facets, access)?;
            let mut archive = open(&cli)?;
            let results = archive.search(&request)?;
            search::print(&results, &request, *json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reindex { json } => {
            let mut archive = open(&cli)?;
            search::reindex(&mut archive, *json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { listen, max_upload } => {
            let archive = open(&cli)?;
            let config = evident_server::ServerConfig { max_upload: *max_upload };
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(async {
                let listener = evident_server::bind(*listen).await?;
                eprintln!("serving {} at http://{}/ (Ctrl-C stops)", archive.dir().display(), listener.local_addr()?);
                evident_server::serve_with(archive, config, listener).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { dir, listen, no_serve } => {
            let prepared = demo::prepare(dir)?;
            let archive = Archive::open(dir, None)?;
            let (items, checkpoint) = (archive.item_count()?, archive.checkpoint()?);
            let size = checkpoint.lines().nth(1).unwrap_or("?").to_owned();
            let what = if prepared.created { "created with the bundled sample" } else { "reused" };
            println!("demo archive {} ({what}: {items} items, log size {size})", prepared.dir.display());
            println!("user: admin");
            println!("password: {}", prepared.password);
            if *no_serve {
                return Ok(ExitCode::SUCCESS);
            }
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(async {
                let listener = evident_server::bind(*listen).await?;
                let address = listener.local_addr()?;
                println!("open http://{address}/ and sign in; the public portal is http://{address}/portal");
                println!("verify a receipt in the browser at http://{address}/verify (Ctrl-C stops)");
                std::io::stdout().flush()?;
                evident_server::serve(archive, listener).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract { which } => claims::extract(&mut open(&cli)?, which),
        Command::Candidates { which } => claims::candidates(&mut open(&cli)?, which),
        Command::Analyze { which } => analyze::run(which, cli.archive.as_deref(), cli.key_file.as_deref()),
        Command::Bench { which } => bench::run(which),
        Command::Forget { item, reason, actor, json } => {
            let mut archive = open(&cli)?;
            let report = archive.forget_item(item, &actor.clone().unwrap_or_else(default_actor), reason)?;
            if *json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "forgot {item} on {}: its key is destroyed; entry {} ({}) records it, log size {}",
                    report.forgotten_at, report.log_index, report.version, report.log_size
                );
                eprintln!(
                    "copies of its wrapped key may survive in backups: rotate the key-encryption key \
                     (`evident seal rotate`) and destroy old key backups to make them useless"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Seal { command: SealCommand::Rotate { new_kek_file, new_passphrase, json } } => {
            let mut archive = open(&cli)?;
            let to = if *new_passphrase {
                let new = match std::env::var("EVIDENT_KEK_NEW_PASSPHRASE") {
                    Ok(new) => zeroize::Zeroizing::new(new),
                    Err(_) => zeroize::Zeroizing::new(
                        rpassword::prompt_password("new passphrase (12 characters or more): ")
                            .context("cannot read the new passphrase")?,
                    ),
                };
                evident_archive::KekRotation::Passphrase(new)
            } else {
                evident_archive::KekRotation::KeyFile(new_kek_file.clone())
            };
            let report = archive.rotate_kek(&to)?;
            if *json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "rotated the key-encryption key {} -> {}{}: {} sealed item keys and {} sealed record keys \
                     re-wrapped; the old key is destroyed",
                    report.old_key_id,
                    report.new_key_id,
                    if report.resumed { " (finishing an interrupted rotation)" } else { "" },
                    report.items,
                    report.records
                );
                if let Some(path) = &report.key_file {
                    eprintln!("the new key file is {} (back it up apart from the archive)", path.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User { which } => accounts::user(which, || open(&cli)),
        Command::Token { which } => accounts::token(which, || open(&cli)),
    }
}

fn default_origin(dir: &Path) -> String {
    let name: String = std::path::absolute(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "archive".to_owned())
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '-' })
        .collect();
    format!("evident.local/{name}")
}

/// The login name: `USER`, `LOGNAME`, else the passwd entry of this uid.
pub(crate) fn default_actor() -> String {
    if let Ok(name) = std::env::var("USER").or_else(|_| std::env::var("LOGNAME"))
        && !name.is_empty()
    {
        return name;
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() }.to_string();
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                (fields.len() > 2 && fields[2] == uid).then(|| fields[0].to_owned())
            })
        })
        .unwrap_or_else(|| format!("uid {uid}"))
}

/// Prints outcomes: JSON lines on stdout with --json, else a progress bar
/// on a terminal and a line on stderr for each file that was not added.
struct AddPrinter {
    json: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl AddPrinter {
    fn new(json: bool) -> AddPrinter {
        let bar = (!json && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} {binary_bytes} ({binary_bytes_per_sec})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        AddPrinter { json, bar }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl AddObserver for AddPrinter {
    fn file_started(&mut self, path: &str, _size: Option<u64>) {
        if let Some(bar) = &self.bar {
            bar.set_message(path.to_owned());
        }
    }

    fn bytes_done(&mut self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    fn outcome(&mut self, outcome: &AddOutcome) {
        if self.json {
            let line = serde_json::to_string(outcome).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{line}");
            let _ = stdout.flush();
            return;
        }
        let line = match outcome.status {
            AddStatus::Added => return,
            AddStatus::Duplicate => {
                format!("duplicate: {} is already item {}", outcome.path, outcome.item.as_deref().unwrap_or("?"))
            }
            AddStatus::Rejected => format!("rejected: {}: {}", outcome.path, outcome.error.as_deref().unwrap_or("")),
        };
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
}

/// What `show` adds for a sealed item: its sealed metadata, opened with the key-encryption key, or why it
/// cannot be.
/// A sealed item's part of `show`: forgotten, or its sealed metadata —
/// opened only with `--reveal` (audited by the caller), so that a screen
/// shared or a terminal log kept shows nothing sealed by accident.
fn show_sealed(archive: &Archive, id: &str, json: bool, reveal: bool) -> Result<()> {
    if let Some(row) = archive.forgotten(id)? {
        if json {
            let value =
                serde_json::json!({"forgotten": {"on": row.forgotten_at, "by": row.actor, "reason": row.reason}});
            println!("{value}");
        } else {
            println!(
                "sealed: yes, forgotten on {} by {} ({}): its key was destroyed; its name, metadata and content can \
                 never be read again",
                row.forgotten_at, row.actor, row.reason
            );
        }
        return Ok(());
    }
    if !reveal {
        if json {
            println!("{}", serde_json::json!({"sealed": {"opened": false}}));
        } else {
            println!(
                "sealed: yes; its name, metadata and content are sealed (`evident show {id} --reveal` opens the \
                 metadata with the key-encryption key, noted in the audit trail; `evident unseal {id}` the content)"
            );
        }
        return Ok(());
    }
    match archive.sealed_item(id) {
        Ok(view) if json => println!("{}", serde_json::json!({"sealed": view})),
        Ok(view) => {
            println!("sealed: yes (opened with the key-encryption key)");
            println!("  original name: {}", view.original_name);
            println!("  original path: {}", view.original_path);
            println!("  media type:    {}", view.media_type);
            println!("  size:          {} bytes", view.size);
            println!("  sha256:        {}", view.sha256);
            if let Some(modified) = &view.modified {
                println!("  modified:      {modified}");
            }
        }
        Err(error) if json => println!("{}", serde_json::json!({"sealed": {"locked": error.to_string()}})),
        Err(error) => println!("sealed: yes; its name, metadata and content cannot be shown: {error}"),
    }
    Ok(())
}
