//! The portal's strings in English and Chinese (simplified), beside the
//! shared catalogue of `ui::i18n` (whose keys the layout uses): pages take
//! the shared ones with `layout.t("…")` and these with `text.t("portal.…")`.
//!
//! The `verify.*` strings are the in-browser check's messages: the
//! verification page hands them to `static/verify.js` as JSON (without the
//! `verify.` prefix), and the script fills in `{name}` parameters.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::ui::Lang;

/// The portal's strings in one language, for templates: `text.t("key")`.
#[derive(Clone, Copy, Debug)]
pub struct Text(pub Lang);

impl Text {
    /// The string `key` in this language (English for Uyghur, until it is
    /// translated). A key missing from [`CATALOG`] (a bug the tests catch)
    /// shows as `?`.
    pub fn t(&self, key: &str) -> &'static str {
        match STRINGS.get(key) {
            Some((en, zh)) => match self.0 {
                Lang::Zh => zh,
                _ => en,
            },
            None => {
                tracing::warn!(key, "a portal page asked for a string that is not in its catalogue");
                "?"
            }
        }
    }

    /// The verification messages as a JSON object for `verify.js`: every
    /// `verify.` key without its prefix. `<` is escaped, so the JSON can sit
    /// inside a `<script type="application/json">` element.
    pub fn verify_messages_json(&self) -> String {
        let messages: serde_json::Map<String, serde_json::Value> = CATALOG
            .iter()
            .filter_map(|(key, _, _)| key.strip_prefix("verify.").map(|short| (short.to_owned(), self.t(key).into())))
            .collect();
        serde_json::Value::Object(messages).to_string().replace('<', "\\u003c")
    }
}

static STRINGS: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| CATALOG.iter().map(|(key, en, zh)| (*key, (*en, *zh))).collect());

/// Every portal string: (key, English, Chinese simplified).
pub const CATALOG: &[(&str, &str, &str)] = &[
    // Home
    ("portal.home.title", "Evidence, preserved and verifiable", "证据：妥善保存，可供核验"),
    (
        "portal.home.intro",
        "Evident is an archive of evidence about forced organ harvesting in China: testimonies, documents, web captures and official statistics. This portal shows what investigators have published: findings with the evidence they rest on, the evidence itself, a timeline of events and the statistical series.",
        "Evident 是一个关于中国强制摘取器官问题的证据档案库，收录证词、文件、网页存档和官方统计数据。本门户展示调查人员已公开发布的内容：裁定及其所依据的证据、证据本身、事件时间线以及统计序列。",
    ),
    (
        "portal.home.integrity",
        "Every file and every change is recorded in an append-only transparency log whose checkpoints are signed. Anyone can check, without trusting this site, that a published file is exactly the one the archive recorded, and when.",
        "每个文件和每次变更都记录在只增不改的透明日志中，日志检查点均经过签名。任何人都可以在无需信任本网站的情况下核验：已发布的文件正是档案库当时记录的那个文件，以及记录的时间。",
    ),
    (
        "portal.home.nothing_unpublished",
        "Nothing is shown here until an investigator publishes it. Testimonies and the names of witnesses stay protected.",
        "在调查人员发布之前，任何内容都不会在此显示。证词和证人姓名始终受到保护。",
    ),
    ("portal.home.log", "The transparency log", "透明日志"),
    ("portal.home.log_size", "Entries in the log", "日志条目数"),
    ("portal.home.checkpoint_time", "Latest checkpoint signed", "最新检查点签署时间"),
    ("portal.home.key", "The log's public key", "日志公钥"),
    (
        "portal.home.key_help",
        "With this key, a file and its receipt, anyone can check the file offline (evident check-receipt) or on the verification page.",
        "凭此公钥、文件及其收据，任何人都可以离线核验文件（evident check-receipt），或在核验页面上核验。",
    ),
    ("portal.home.sections", "What is published", "已发布内容"),
    ("portal.home.findings", "Findings", "裁定"),
    ("portal.home.items", "Evidence", "证据"),
    ("portal.home.events", "Events", "事件"),
    ("portal.home.series", "Statistical series", "统计序列"),
    ("portal.home.verify", "Verify a file or a receipt", "核验文件或收据"),
    // Lists and pages
    ("portal.items.title", "Published evidence", "已发布的证据"),
    (
        "portal.items.intro",
        "Each item is a file preserved unchanged. Download it with its receipt and check it on the verification page.",
        "每个条目都是原样保存的文件。下载文件及其收据，即可在核验页面上进行核验。",
    ),
    ("portal.items.none", "No evidence has been published yet.", "尚未发布任何证据。"),
    ("portal.items.type", "Type", "类型"),
    ("portal.items.date", "Date", "日期"),
    ("portal.items.file", "File", "文件"),
    ("portal.item.kind", "Published evidence", "已发布的证据"),
    ("portal.item.text", "Text of the file", "文件文本"),
    (
        "portal.item.text_cut",
        "The preview shows the beginning of the text; download the file for all of it.",
        "预览仅显示文本开头部分；如需全文，请下载文件。",
    ),
    ("portal.item.no_text", "This file has no text to preview.", "此文件没有可预览的文本。"),
    ("portal.item.published", "Published", "发布时间"),
    ("portal.item.redacted_copy", "Redacted copy of an archived item", "已归档条目的删节副本"),
    ("portal.item.log_entry", "log entry", "日志条目"),
    ("portal.item.publication_entry", "log entry", "日志条目"),
    ("portal.item.verify", "Verify this file", "核验此文件"),
    ("portal.item.cited_by", "Cited by", "被以下内容引用"),
    ("portal.findings.title", "Published findings", "已发布的裁定"),
    (
        "portal.findings.intro",
        "Each finding states an issue, the standard of proof it was decided on and the outcome, with the published claims and evidence it relies on.",
        "每项裁定均说明所涉问题、裁定所依据的证明标准和结论，并列出其所依据的已发布主张和证据。",
    ),
    ("portal.findings.none", "No findings have been published yet.", "尚未发布任何裁定。"),
    ("portal.finding.kind", "Finding", "裁定"),
    ("portal.finding.reasoning", "Reasoning", "理由"),
    ("portal.finding.claims", "Claims relied on", "所依据的主张"),
    (
        "portal.finding.no_claims",
        "None of the claims this finding relies on has been published.",
        "此裁定所依据的主张均未发布。",
    ),
    ("portal.finding.supporting", "Supported by", "支持证据"),
    ("portal.finding.contradicting", "Contradicted by", "反驳证据"),
    ("portal.finding.no_evidence", "No published evidence.", "无已发布的证据。"),
    ("portal.finding.figure", "Figure", "数字"),
    ("portal.record.kind", "Published record", "已发布的记录"),
    ("portal.record.fields", "Details", "详情"),
    ("portal.record.links", "Linked published evidence and records", "相关的已发布证据和记录"),
    ("portal.timeline.title", "Timeline", "时间线"),
    (
        "portal.timeline.intro",
        "Published events by date. Uncertain dates are shown as recorded (\"June–July 2017\").",
        "按日期排列的已发布事件。不确定的日期按记录原样显示（如“2017年6–7月”）。",
    ),
    ("portal.timeline.none", "No events have been published yet.", "尚未发布任何事件。"),
    ("portal.timeline.undated", "Undated", "日期不详"),
    ("portal.timeline.place", "Place", "地点"),
    ("portal.timeline.who", "Who", "人物"),
    ("portal.timeline.evidence", "Evidence", "证据"),
    ("portal.statistics.title", "Published statistical series", "已发布的统计序列"),
    (
        "portal.statistics.intro",
        "Each series is tested as in the published forensic analyses: least-squares fits with R², runs of repeated figures, residuals.",
        "每个序列均按已发表的法证分析方法进行检验：带 R² 的最小二乘拟合、重复数字串、残差。",
    ),
    ("portal.statistics.none", "No statistical series has been published yet.", "尚未发布任何统计序列。"),
    ("portal.statistics.points", "points", "个数据点"),
    ("portal.statistics.analysis", "Analysis", "分析"),
    ("portal.statistics.back", "All published series", "所有已发布的序列"),
    // The verification page
    ("portal.verify.title", "Verify a file or a receipt", "核验文件或收据"),
    (
        "portal.verify.intro",
        "Drop a file and its receipt (or only a receipt). Your browser checks them against the log's published key and checkpoint: nothing is uploaded, and no answer from this server is trusted without a signature.",
        "拖入文件及其收据（或仅拖入收据）。您的浏览器会根据日志公布的公钥和检查点进行核验：不会上传任何内容，且本服务器的任何回应未经签名验证均不予信任。",
    ),
    ("portal.verify.drop", "Drop the file and its receipt here", "将文件及其收据拖放到此处"),
    ("portal.verify.receipt", "Receipt (.tlog-proof or .txt)", "收据（.tlog-proof 或 .txt）"),
    ("portal.verify.file", "File (optional)", "文件（可选）"),
    ("portal.verify.run", "Check", "核验"),
    ("portal.verify.clear", "Clear", "清除"),
    ("portal.verify.key", "Published verifier key", "公布的验证公钥"),
    ("portal.verify.results", "Checks", "核验项目"),
    (
        "portal.verify.how",
        "How it works: the receipt holds the file's log entry, its position in the log, a Merkle inclusion proof and a signed checkpoint. The browser computes the file's SHA-256, the entry's leaf hash and the proof up to the checkpoint's root, checks the Ed25519 signature, then compares the checkpoint with the log's current one.",
        "工作原理：收据包含文件的日志条目、其在日志中的位置、Merkle 包含证明以及已签名的检查点。浏览器计算文件的 SHA-256、条目的叶哈希，并沿证明计算到检查点的根哈希，验证 Ed25519 签名，然后将该检查点与日志当前的检查点进行比较。",
    ),
    (
        "portal.verify.offline",
        "The same check runs offline with the command line: evident check-receipt RECEIPT --file FILE --key KEY.",
        "也可以使用命令行离线进行相同的核验：evident check-receipt 收据 --file 文件 --key 公钥。",
    ),
    (
        "portal.verify.no_js",
        "This check runs in your browser and needs JavaScript.",
        "此核验在您的浏览器中运行，需要启用 JavaScript。",
    ),
    // Messages of static/verify.js (keys as the script names them, after `verify.`)
    (
        "verify.receipt.pass",
        "The receipt is a well-formed c2sp.org/tlog-proof for entry {index} of a log of {size} entries.",
        "收据是格式正确的 c2sp.org/tlog-proof，对应日志（共 {size} 条）中的第 {index} 条。",
    ),
    (
        "verify.receipt.fail",
        "This is not a usable receipt. A receipt is the text file an item page offers as \"receipt\".",
        "这不是可用的收据。收据是条目页面上以“收据”提供的文本文件。",
    ),
    (
        "verify.key.pass",
        "The log's published verifier key is well formed: {key}.",
        "日志公布的验证公钥格式正确：{key}。",
    ),
    (
        "verify.key.fail",
        "The verifier key is not usable, so no signature can be checked.",
        "验证公钥不可用，因此无法验证任何签名。",
    ),
    (
        "verify.signature.pass",
        "The checkpoint (log {origin}, {size} entries) is signed by the archive's published key.",
        "该检查点（日志 {origin}，共 {size} 条）由档案库公布的公钥签名。",
    ),
    (
        "verify.signature.fail",
        "The checkpoint is not signed by the archive's published key: the receipt was altered, or it comes from another log.",
        "该检查点并非由档案库公布的公钥签名：收据已被篡改，或来自其他日志。",
    ),
    (
        "verify.signature.skip",
        "The signature was not checked, because the receipt or the key is unusable.",
        "由于收据或公钥不可用，未验证签名。",
    ),
    (
        "verify.entry.pass",
        "The log entry records {type} {id} at {time} by {actor}; files: {files}.",
        "日志条目记录了 {type} {id}，时间 {time}，操作人 {actor}；文件：{files}。",
    ),
    (
        "verify.entry.fail",
        "The log entry inside the receipt is damaged or not in Evident's format.",
        "收据中的日志条目已损坏，或不符合 Evident 的格式。",
    ),
    (
        "verify.entry.missing",
        "The receipt carries no log entry (no extra line), so it cannot say which file it is for.",
        "收据不含日志条目（缺少 extra 行），因此无法说明它对应哪个文件。",
    ),
    (
        "verify.entry.skip",
        "The log entry was not read, because the receipt is unusable.",
        "由于收据不可用，未读取日志条目。",
    ),
    (
        "verify.file.none",
        "No file was given: only the receipt was checked. Add the file to check that it is the one recorded.",
        "未提供文件：仅核验了收据。请添加文件，以核验它是否为所记录的文件。",
    ),
    (
        "verify.file.no_entry",
        "Your file's SHA-256 is {sha256} ({size} bytes); it could not be compared, because the receipt's entry is unusable.",
        "您的文件的 SHA-256 为 {sha256}（{size} 字节）；由于收据中的条目不可用，无法进行比对。",
    ),
    (
        "verify.file.not_item",
        "This receipt is for a log entry that records no file, so your file cannot match it.",
        "此收据对应的日志条目未记录任何文件，因此您的文件无法与之匹配。",
    ),
    (
        "verify.file.pass",
        "Your file (SHA-256 {sha256}, {size} bytes) is exactly the file the log recorded.",
        "您的文件（SHA-256 {sha256}，{size} 字节）正是日志所记录的文件。",
    ),
    (
        "verify.file.fail",
        "Your file (SHA-256 {sha256}, {size} bytes) is not the file this receipt is for (recorded: {expected}). Even one changed byte changes the hash.",
        "您的文件（SHA-256 {sha256}，{size} 字节）不是此收据所对应的文件（记录的是：{expected}）。哪怕只改动一个字节，哈希值也会改变。",
    ),
    (
        "verify.inclusion.pass",
        "The inclusion proof leads from the entry to the signed root: it is entry {index} of the log of {size} entries.",
        "包含证明从该条目一直计算到已签名的根哈希：它是日志（共 {size} 条）中的第 {index} 条。",
    ),
    (
        "verify.inclusion.fail",
        "The inclusion proof does not lead from the entry to the signed root: the entry, the index or the proof was altered.",
        "包含证明无法从该条目计算到已签名的根哈希：条目、序号或证明已被篡改。",
    ),
    (
        "verify.inclusion.skip",
        "The inclusion proof was not checked, because the receipt is unusable.",
        "由于收据不可用，未验证包含证明。",
    ),
    (
        "verify.current.same",
        "The receipt's checkpoint is the log's current checkpoint.",
        "收据中的检查点就是日志当前的检查点。",
    ),
    (
        "verify.current.older",
        "The log has grown since this receipt was made ({size} entries then, {current} now). An older checkpoint stays valid.",
        "自此收据生成以来，日志已经增长（当时 {size} 条，现在 {current} 条）。较早的检查点依然有效。",
    ),
    (
        "verify.current.fork",
        "The log's current checkpoint has the same size as the receipt's but a different root: the log was rewritten. Keep this receipt and report it.",
        "日志当前检查点的大小与收据中的相同，但根哈希不同：日志已被改写。请保留此收据并报告此情况。",
    ),
    (
        "verify.current.behind",
        "The log's current checkpoint ({current} entries) is older than the receipt's ({size}): the server is showing a log that went backwards.",
        "日志当前的检查点（{current} 条）比收据中的（{size} 条）更旧：服务器展示的日志出现了倒退。",
    ),
    (
        "verify.current.unavailable",
        "The log's current checkpoint could not be fetched or is not signed by the published key.",
        "无法获取日志当前的检查点，或该检查点并非由公布的公钥签名。",
    ),
    (
        "verify.current.skip",
        "The current checkpoint was not compared, because the receipt did not verify.",
        "由于收据未通过核验，未与当前检查点进行比较。",
    ),
    (
        "verify.consistency.pass",
        "The current log contains the receipt's log unchanged: a consistency proof from {size} to {current} entries, computed from the published tiles, verifies against both signed roots.",
        "当前日志完整无改地包含收据所对应的日志：根据已发布的瓦片计算出的从 {size} 条到 {current} 条的一致性证明，与两个已签名的根哈希均相符。",
    ),
    (
        "verify.consistency.fail",
        "The current log does not contain the receipt's log unchanged, or its tiles could not be read: the log may have been rewritten.",
        "当前日志并未完整无改地包含收据所对应的日志，或无法读取其瓦片：日志可能已被改写。",
    ),
    ("verify.verdict.pass", "Verified: every check passed.", "核验通过：所有项目均已通过。"),
    (
        "verify.verdict.pass_receipt",
        "The receipt is genuine. Add the file to check that it is the one recorded.",
        "收据真实有效。请添加文件，以核验它是否为所记录的文件。",
    ),
    (
        "verify.verdict.fail",
        "Not verified: at least one check failed (see below).",
        "核验未通过：至少有一项未通过（见下文）。",
    ),
    ("verify.status.pass", "passed", "通过"),
    ("verify.status.fail", "failed", "未通过"),
    ("verify.status.skip", "not checked", "未核验"),
    ("verify.status.info", "note", "说明"),
    ("verify.check.receipt", "Receipt", "收据"),
    ("verify.check.key", "Verifier key", "验证公钥"),
    ("verify.check.signature", "Signature", "签名"),
    ("verify.check.entry", "Log entry", "日志条目"),
    ("verify.check.file", "File", "文件"),
    ("verify.check.inclusion", "Inclusion proof", "包含证明"),
    ("verify.check.current", "Current checkpoint", "当前检查点"),
    ("verify.check.consistency", "Log history", "日志历史"),
    (
        "verify.input.need_receipt",
        "Add a receipt (the file an item page offers), and optionally the file it is for.",
        "请添加收据（条目页面提供的文件），也可同时添加其对应的文件。",
    ),
    (
        "verify.input.file_only",
        "Your file's SHA-256 is {sha256}. Add its receipt to check it.",
        "您的文件的 SHA-256 为 {sha256}。请添加其收据以进行核验。",
    ),
    ("verify.input.working", "Checking…", "正在核验…"),
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_key_has_both_languages_once_and_the_same_parameters() {
        let mut seen = HashSet::new();
        let parameters = |text: &str| -> Vec<String> {
            let mut names: Vec<String> = text
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}'))
                .map(|(name, _)| name.to_owned())
                .collect();
            names.sort();
            names
        };
        for (key, en, zh) in CATALOG {
            assert!(seen.insert(*key), "{key} twice");
            assert!(key.starts_with("portal.") || key.starts_with("verify."), "{key}");
            assert!(!en.trim().is_empty() && !zh.trim().is_empty(), "{key}");
            assert_eq!(parameters(en), parameters(zh), "{key}: the translations fill different parameters");
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{key}: the Chinese has no Chinese");
        }
    }

    /// Every `text.t("key")` in the portal's templates is in this catalogue,
    /// and every `layout.t("key")` in the shared one.
    #[test]
    fn every_key_the_portal_templates_use_is_in_a_catalogue() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/portal");
        let mut missing = Vec::new();
        let mut used = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let template = std::fs::read_to_string(&path).unwrap();
            for (call, known) in [
                ("text.t(", &(|key: &str| STRINGS.contains_key(key)) as &dyn Fn(&str) -> bool),
                ("layout.t(", &|key: &str| Lang::En.t(key) != "?"),
            ] {
                for rest in template.split(call).skip(1) {
                    let key = rest.strip_prefix('"').and_then(|rest| rest.split('"').next()).unwrap_or("");
                    used += 1;
                    if !known(key) {
                        missing.push(format!("{}: {call}{key:?})", path.display()));
                    }
                }
            }
        }
        assert!(used > 80, "only {used} strings found under {}", dir.display());
        assert!(missing.is_empty(), "not in a catalogue:\n{}", missing.join("\n"));
    }

    #[test]
    fn every_message_of_verify_js_is_translated() {
        let script = include_str!("../../static/verify.js");
        let start = script.find("const MESSAGES = {").expect("verify.js defines MESSAGES");
        let block = &script[start..start + script[start..].find("\n  };").expect("MESSAGES ends")];
        let keys: Vec<&str> = block
            .lines()
            .filter_map(|line| line.trim().strip_prefix('\'')?.split_once('\'').map(|(key, _)| key))
            .collect();
        assert!(keys.len() > 30, "{keys:?}");
        for key in keys {
            assert!(
                STRINGS.contains_key(format!("verify.{key}").as_str()),
                "verify.js message {key} has no translation"
            );
        }
        let json: serde_json::Value = serde_json::from_str(&Text(Lang::Zh).verify_messages_json()).unwrap();
        assert_eq!(json["status.pass"], "通过");
    }
}
