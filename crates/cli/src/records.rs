//! Printing and argument parsing for `create`, `edit`, `retract` and `show`.

use std::io::Write;

use anyhow::{Context, Result, bail};
use evident_archive::{Archive, ArchiveError, FieldChange, RecordChange};
use serde_json::{Value, json};

/// `FIELD=VALUE` arguments: VALUE is text, or JSON when it starts with
/// `{`, `[` or `"`; an empty VALUE removes the field.
pub fn parse_sets(sets: &[String]) -> Result<Vec<FieldChange>> {
    sets.iter()
        .map(|set| {
            let Some((field, value)) = set.split_once('=') else {
                bail!("--set {set:?}: expected FIELD=VALUE");
            };
            let field = field.trim();
            if field.is_empty() {
                bail!("--set {set:?}: the field name is empty");
            }
            let value = value.trim();
            let parsed = if value.is_empty() {
                None
            } else if value.starts_with(['{', '[', '"']) {
                Some(
                    serde_json::from_str::<Value>(value)
                        .with_context(|| format!("--set {field}: the value is not valid JSON"))?,
                )
            } else {
                Some(Value::String(value.to_owned()))
            };
            Ok((field.to_owned(), parsed))
        })
        .collect()
}

pub fn print_change(change: &RecordChange, json: bool) {
    for warning in &change.warnings {
        eprintln!("warning: {warning}");
    }
    if json {
        println!("{}", json!({"id": change.id, "version": change.version, "warnings": change.warnings}));
    } else {
        println!("{} v{}", change.id, change.version);
    }
}

/// Prints an item or record; `revealed` is the record with its sealed
/// fields opened (`show --reveal`), else they print as `[sealed]`.
pub fn show(
    archive: &Archive,
    id: &str,
    history: bool,
    as_json: bool,
    revealed: Option<evident_archive::RecordView>,
) -> Result<()> {
    let item = if id.starts_with("itm_") { Some(archive.item(id)?) } else { None };
    let record = match revealed.map(Ok).unwrap_or_else(|| archive.record(id)) {
        Ok(view) => Some(view),
        Err(ArchiveError::NotFound(_)) if item.is_some() => None,
        Err(e) => return Err(e.into()),
    };
    let versions = if history { archive.record_history(id)? } else { Vec::new() };
    let referenced_by = archive.references_to(id)?;
    let text = if item.is_some() { archive.item_text(id)? } else { None };
    if as_json {
        let mut value = match &record {
            Some(view) => serde_json::to_value(view)?,
            None => json!({"id": id, "kind": "item", "version": 0, "retracted": false, "fields": {}}),
        };
        if let Some(item) = &item {
            value["file"] = json!({
                "sha256": item.sha256, "size": item.size, "media_type": item.media_type,
                "original_name": item.original_name, "original_path": item.original_path,
                "modified": item.modified, "added_by": item.added_by, "added_at": item.added_at,
                "provenance": item.provenance.as_deref().and_then(|p| serde_json::from_str::<Value>(p).ok()),
                "log_index": item.log_index,
            });
            value["text"] = match &text {
                Some(text) => json!({
                    "status": text.status, "format": text.format, "lang": text.lang, "chars": text.chars,
                    "detail": text.detail, "extracted_at": text.extracted_at,
                }),
                None => json!({"status": "not_yet_extracted"}),
            };
        }
        value["referenced_by"] =
            json!(referenced_by.iter().map(|(from, field)| json!({"id": from, "field": field})).collect::<Vec<_>>());
        if history {
            value["history"] = json!(
                versions
                    .iter()
                    .map(|v| json!({
                        "version": v.version, "change": v.change, "time": v.time, "actor": v.actor,
                        "reason": v.reason, "retracted": v.retracted, "log_index": v.log_index,
                        "fields": serde_json::from_str::<Value>(&v.fields).unwrap_or(Value::Null),
                    }))
                    .collect::<Vec<_>>()
            );
        }
        println!("{value}");
        return Ok(());
    }
    match &record {
        Some(view) => println!(
            "{} ({}, version {}){}",
            view.id,
            view.kind,
            view.version,
            if view.retracted { "  RETRACTED" } else { "" }
        ),
        None => println!("{id} (item)"),
    }
    if let Some(item) = &item {
        println!("  file: {} ({} bytes, {})", item.original_path, item.size, item.media_type);
        println!("  sha256: {}", item.sha256);
        println!("  added: {} by {}", item.added_at, item.added_by);
        println!("  text: {}", describe_text(text.as_ref()));
    }
    if let Some(view) = &record {
        for (field, value) in &view.fields {
            println!("  {field}: {}", display_value(value));
        }
    }
    if !referenced_by.is_empty() {
        println!("  referred to by:");
        for (from, field) in &referenced_by {
            println!("    {from} ({field})");
        }
    }
    if history {
        println!("history:");
        for version in &versions {
            println!(
                "  v{} {} {} by {}: {}",
                version.version, version.time, version.change, version.actor, version.reason
            );
        }
    }
    Ok(())
}

/// One line on what extraction made of an item's file.
fn describe_text(text: Option<&evident_store::ItemText>) -> String {
    let Some(text) = text else {
        return "not extracted yet (run `evident reindex`)".to_owned();
    };
    let detail = text.detail.as_deref().map(|detail| format!("; {detail}")).unwrap_or_default();
    match text.status.as_str() {
        "extracted" => format!(
            "{} characters from {}{}{detail}",
            text.chars,
            text.format,
            text.lang.as_deref().map(|lang| format!(", language {lang}")).unwrap_or_default()
        ),
        "no_text" => format!("none: {} files have no text to extract", text.format),
        _ => format!("could not be extracted ({}){detail}; the file is archived all the same", text.format),
    }
}

fn display_value(value: &Value) -> String {
    match value {
        _ if evident_core::is_sealed_placeholder(value) => evident_archive::SEALED_FIELD_TEXT.to_owned(),
        Value::String(s) => s.clone(),
        Value::Object(map) if map.contains_key("text") && map.contains_key("precision") => {
            format!("{} ({} to {})", map["text"].as_str().unwrap_or(""), map["start"], map["end"])
        }
        other => other.to_string(),
    }
}

pub fn print_import(report: &evident_archive::ImportReport, as_json: bool) {
    if as_json {
        println!("{}", serde_json::to_string(report).unwrap_or_default());
        return;
    }
    let separator = report.separator.as_deref().map(|s| format!(", separator {s}")).unwrap_or_default();
    eprintln!("read {} rows ({}, {}{separator})", report.rows, report.format, report.encoding);
    for (note, count) in &report.notes {
        eprintln!("  {count} x {note}");
    }
    for problem in &report.problems {
        match &problem.field {
            Some(field) => println!("{}, field {field}: {}", problem.at, problem.message),
            None => println!("{}: {}", problem.at, problem.message),
        }
    }
    if report.committed {
        println!(
            "imported {} records{}",
            report.imported,
            if report.problems.is_empty() {
                String::new()
            } else {
                format!("; {} problems above were skipped", report.problems.len())
            }
        );
    } else {
        println!(
            "imported nothing: {} problems; fix them or pass --skip-bad to import the good rows",
            report.problems.len()
        );
    }
}

pub fn print_findings(findings: &[evident_archive::FindingRow], format: &str) -> Result<()> {
    match format {
        "json" => println!("{}", serde_json::to_string_pretty(findings)?),
        "md" | "markdown" => {
            println!("| issue | standard of proof | outcome | claims relied on | evidence |");
            println!("|---|---|---|---|---|");
            for finding in findings {
                let claims: Vec<String> = finding
                    .claims
                    .iter()
                    .map(|c| {
                        let figure = c.figure.as_deref().map(|f| format!(" [{f}]")).unwrap_or_default();
                        let retracted = if c.retracted { " (retracted)" } else { "" };
                        format!("{}{figure}{retracted} ({})", c.text, c.id)
                    })
                    .collect();
                let evidence: Vec<String> = finding.claims.iter().flat_map(|c| c.supporting.iter().cloned()).collect();
                println!(
                    "| {} | {} | {} | {} | {} |",
                    markdown_cell(&finding.issue),
                    finding.standard,
                    finding.outcome,
                    markdown_cell(&claims.join("; ")),
                    evidence.join(", ")
                );
            }
        }
        "csv" => {
            let mut writer = csv::Writer::from_writer(std::io::stdout());
            writer.write_record([
                "finding",
                "issue",
                "standard",
                "outcome",
                "claim",
                "claim_text",
                "figure",
                "supporting",
                "contradicting",
            ])?;
            for finding in findings {
                if finding.claims.is_empty() {
                    writer.write_record([
                        finding.id.as_str(),
                        &finding.issue,
                        &finding.standard,
                        &finding.outcome,
                        "",
                        "",
                        "",
                        "",
                        "",
                    ])?;
                }
                for claim in &finding.claims {
                    writer.write_record([
                        finding.id.as_str(),
                        &finding.issue,
                        &finding.standard,
                        &finding.outcome,
                        &claim.id,
                        &claim.text,
                        claim.figure.as_deref().unwrap_or(""),
                        &claim.supporting.join(";"),
                        &claim.contradicting.join(";"),
                    ])?;
                }
            }
            writer.flush()?;
        }
        other => bail!("--format {other:?}: use md, csv or json"),
    }
    Ok(())
}

fn markdown_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// `evident audit`: one line per event (or JSON Lines), saying whether a
/// log entry commits to it yet.
pub fn print_audit(events: &[evident_archive::AuditRecord], as_json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for event in events {
        if as_json {
            writeln!(out, "{}", serde_json::to_string(event)?)?;
        } else {
            let committed =
                event.log_index.map_or_else(|| "not yet in the log".to_owned(), |i| format!("log entry {i}"));
            writeln!(
                out,
                "{:>6}  {}  {} ({})  {}  {}  from {}  [{committed}]",
                event.seq,
                event.time,
                event.event.actor,
                event.event.role,
                event.event.action,
                event.event.target,
                event.event.client
            )?;
        }
    }
    if events.is_empty() && !as_json {
        writeln!(out, "no audit events from there on")?;
    }
    Ok(())
}
