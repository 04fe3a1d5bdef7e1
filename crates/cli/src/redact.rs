//! `evident redact` and what `show` says about redacted copies and
//! identifying metadata.

use anyhow::Result;
use evident_archive::{Archive, RedactConfig, Region, Sensitivity, parse_span};
use serde_json::json;

/// The raw flags of `evident redact`.
pub struct RedactFlags<'a> {
    pub item: &'a str,
    pub remove: &'a [String],
    pub spans: &'a [String],
    pub regions: &'a [String],
    pub sensitivity: Sensitivity,
    pub actor: String,
    pub json: bool,
}

/// Makes the redacted copy and prints what was made (never what was
/// removed).
pub fn run(archive: &mut Archive, flags: &RedactFlags<'_>) -> Result<()> {
    let config = RedactConfig {
        actor: flags.actor.clone(),
        remove: flags.remove.to_vec(),
        spans: flags.spans.iter().map(|span| parse_span(span)).collect::<Result<_, _>>()?,
        regions: flags.regions.iter().map(|region| Region::parse(region)).collect::<Result<_, _>>()?,
        sensitivity: flags.sensitivity,
    };
    let report = archive.redact(flags.item, &config)?;
    archive.commit_audit()?;
    if flags.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{}", report.item);
        eprintln!(
            "made {} ({} {}, {} redaction{}) from {}: {}; logged as derived (log entry {}); log size {}",
            report.item,
            match report.sensitivity {
                Sensitivity::Public => "public",
                Sensitivity::Restricted => "restricted",
                Sensitivity::Sealed => "sealed",
            },
            report.kind,
            report.redactions,
            if report.redactions == 1 { "" } else { "s" },
            report.source,
            report.name,
            report.derive_index,
            report.log_size
        );
    }
    Ok(())
}

/// The kinds of identifying metadata recorded in an item's provenance (for
/// a sealed one, in its sealed metadata when the key is at hand).
fn identifying(archive: &Archive, id: &str) -> Vec<String> {
    let provenance = match archive.is_sealed(id) {
        Ok(true) => archive.sealed_item(id).ok().and_then(|view| view.provenance),
        _ => archive.item(id).ok().and_then(|item| item.provenance),
    };
    provenance
        .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok())
        .and_then(|p| p.get("identifying").cloned())
        .and_then(|kinds| serde_json::from_value::<Vec<String>>(kinds).ok())
        .unwrap_or_default()
}

/// `show ITEM`: which redacted copy it is, which copies were made from it,
/// and which kinds of identifying metadata it carries (never the values).
pub fn show(archive: &Archive, id: &str, as_json: bool) -> Result<()> {
    let derivation = archive.item_derivation(id)?;
    let derivatives = archive.item_derivatives(id)?;
    let identifying = identifying(archive, id);
    if derivation.is_none() && derivatives.is_empty() && identifying.is_empty() {
        return Ok(());
    }
    if as_json {
        let mut value = json!({});
        if let Some(derivation) = &derivation {
            value["redacted_from"] = json!({"item": derivation.source, "log_index": derivation.log_index});
        }
        if !derivatives.is_empty() {
            value["derivatives"] = json!(
                derivatives.iter().map(|d| json!({"item": d.item, "log_index": d.log_index})).collect::<Vec<_>>()
            );
        }
        if !identifying.is_empty() {
            value["identifying"] = json!(identifying);
        }
        println!("{value}");
        return Ok(());
    }
    if let Some(derivation) = &derivation {
        println!("redacted from {} (log entry {})", derivation.source, derivation.log_index);
    }
    for derivative in &derivatives {
        println!("redacted copy: {} (log entry {})", derivative.item, derivative.log_index);
    }
    if !identifying.is_empty() {
        println!(
            "identifying metadata: {} (values never shown; publish a copy made with `evident redact`)",
            identifying.join(", ")
        );
    }
    Ok(())
}
