//! `evident search` and `evident reindex`: flags into a request, results
//! onto the terminal or as JSON.

use std::io::IsTerminal;

use anyhow::{Result, bail};
use evident_archive::{Access, Archive, SearchRequest, SearchResults, Sort};
use serde_json::json;

/// The request the flags describe; `--facet NAME=VALUE` filters by adding
/// `NAME:VALUE` to the query and counts NAME.
pub fn request(
    query: &str,
    limit: usize,
    offset: usize,
    sort: &str,
    facets: &[String],
    access: &str,
) -> Result<SearchRequest> {
    let access = match Access::parse(access)? {
        Access::Sealed => {
            bail!("--as sealed: sealed text is never in the search index; search as public or restricted")
        }
        level => level,
    };
    let mut request = SearchRequest::new(query, access);
    request.limit = limit;
    request.offset = offset;
    request.sort = Sort::parse(sort)?;
    for facet in facets {
        match facet.split_once('=') {
            Some((name, value)) => {
                let value = value.replace('"', "");
                request.query = format!("({}) {name}:\"{value}\"", request.query);
                request.facets.push(name.trim().to_owned());
            }
            None => request.facets.push(facet.trim().to_owned()),
        }
    }
    request.facets.dedup();
    Ok(request)
}

pub fn print(results: &SearchResults, request: &SearchRequest, as_json: bool) -> Result<()> {
    if as_json {
        let hits: Vec<_> = results
            .hits
            .iter()
            .map(|hit| {
                json!({
                    "id": hit.id, "kind": hit.kind, "title": hit.title, "score": hit.score,
                    "snippet": hit.snippet.text, "highlights": hit.snippet.highlights,
                    "lang": hit.lang, "date": hit.date,
                })
            })
            .collect();
        let facets: serde_json::Map<String, serde_json::Value> = results
            .facets
            .iter()
            .map(|(name, counts)| {
                (
                    name.clone(),
                    json!(
                        counts.iter().map(|(value, count)| json!({"value": value, "count": count})).collect::<Vec<_>>()
                    ),
                )
            })
            .collect();
        println!(
            "{}",
            json!({
                "query": request.query, "total": results.total, "offset": request.offset, "limit": request.limit,
                "hits": hits, "facets": facets, "notes": results.notes,
            })
        );
        return Ok(());
    }
    for note in &results.notes {
        eprintln!("note: {note}");
    }
    let (open, close) = if std::io::stdout().is_terminal() { ("\x1b[1m", "\x1b[0m") } else { ("[", "]") };
    let shown_to = request.offset + results.hits.len();
    println!(
        "{} match{}{}",
        results.total,
        if results.total == 1 { "" } else { "es" },
        if results.hits.is_empty() { String::new() } else { format!(", showing {}–{shown_to}", request.offset + 1) }
    );
    for hit in &results.hits {
        let score = hit.score.map(|score| format!("  {score:.2}")).unwrap_or_default();
        let lang = hit.lang.as_deref().map(|lang| format!("  [{lang}]")).unwrap_or_default();
        let date = hit.date.as_deref().map(|date| format!("  {date}")).unwrap_or_default();
        println!("\n{}  {}  {}{lang}{date}{score}", hit.id, hit.kind, hit.title);
        if !hit.snippet.text.is_empty() {
            println!("    {}", hit.snippet.marked(open, close));
        }
    }
    for (name, counts) in &results.facets {
        let counts: Vec<String> = counts.iter().map(|(value, count)| format!("{value} {count}")).collect();
        println!("\n{name}: {}", if counts.is_empty() { "none".to_owned() } else { counts.join(", ") });
    }
    if shown_to < results.total && !results.hits.is_empty() {
        println!("\nmore: --offset {shown_to}");
    }
    Ok(())
}

pub fn reindex(archive: &mut Archive, as_json: bool) -> Result<()> {
    let bar = (!as_json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("indexing {pos}/{len} {wide_bar} {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let report = archive.reindex(&mut |done: u64, total: u64| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if as_json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    println!(
        "indexed {} items and {} records in {:.1} s: text extracted from {}, {} without text, {} failed",
        report.items,
        report.records,
        report.seconds,
        report.extracted,
        report.no_text,
        report.failed.len()
    );
    for (id, reason) in &report.failed {
        println!("  {id}: {reason}");
    }
    Ok(())
}
