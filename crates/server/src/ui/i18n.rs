//! The languages of the web pages: English and Chinese (simplified), and
//! right-to-left readiness for Uyghur.
//!
//! Every string a page shows comes from [`CATALOG`] by key, in both
//! languages (a test checks every entry, and that every key the templates
//! and pages use is in it). The language is chosen, in order, by a `lang`
//! query parameter (remembered in the `evident_lang` cookie by
//! [`remember_language`]: a preference, `SameSite=Lax`, nothing else), by
//! that cookie, by the browser's `Accept-Language`, else English.
//!
//! Uyghur (`ug`) has no translated strings yet: asking for it lays the page
//! out right to left (`<html lang="ug" dir="rtl">`) with the English strings,
//! so that the layout can be checked before the translation arrives.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "evident_lang";

/// A language the pages can be shown in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    /// Chinese, simplified script
    Zh,
    /// Uyghur: right to left; strings fall back to English for now
    Ug,
}

impl Lang {
    /// Every language, in the order the language switch offers them.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Zh, Lang::Ug];

    /// The code used in `?lang=` and the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
            Lang::Ug => "ug",
        }
    }

    /// The BCP 47 tag for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-Hans",
            Lang::Ug => "ug",
        }
    }

    /// The writing direction for `<html dir>`.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::En | Lang::Zh => "ltr",
            Lang::Ug => "rtl",
        }
    }

    /// The language's own name, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "中文",
            Lang::Ug => "ئۇيغۇرچە",
        }
    }

    /// A code as `?lang=`, the cookie or `Accept-Language` give it:
    /// `zh`, `zh-CN`, `zh-Hans`, `EN-gb`, ... (`None` for others).
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            "ug" => Some(Lang::Ug),
            _ => None,
        }
    }

    /// The language a request asks for: `?lang=`, else the cookie, else
    /// `Accept-Language`, else English.
    pub fn of_request(query: Option<&str>, headers: &HeaderMap) -> Lang {
        query_language(query)
            .or_else(|| cookie_language(headers))
            .or_else(|| accept_language(headers))
            .unwrap_or_default()
    }

    /// The string `key` in this language. A key missing from the catalog
    /// (a bug the catalog test catches) shows as the key itself.
    pub fn t(self, key: &str) -> &'static str {
        match STRINGS.get(key) {
            Some((en, zh)) => match self {
                Lang::Zh => zh,
                Lang::En | Lang::Ug => en,
            },
            None => {
                tracing::warn!(key, "a page asked for a string that is not in the catalog");
                "?"
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Lang, Self::Rejection> {
        Ok(Lang::of_request(parts.uri.query(), &parts.headers))
    }
}

/// The `lang` parameter of a query string, if it names a language.
fn query_language(query: Option<&str>) -> Option<Lang> {
    query?.split('&').filter_map(|pair| pair.strip_prefix("lang=")).find_map(Lang::parse)
}

fn cookie_language(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .find_map(|cookie| cookie.trim().strip_prefix(LANG_COOKIE)?.strip_prefix('='))
        .and_then(Lang::parse)
}

/// The most preferred language of `Accept-Language` that we have.
fn accept_language(headers: &HeaderMap) -> Option<Lang> {
    let value = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut best: Option<(f32, Lang)> = None;
    for (position, part) in value.split(',').enumerate() {
        let mut pieces = part.split(';');
        let Some(lang) = pieces.next().and_then(Lang::parse) else { continue };
        let quality = pieces
            .filter_map(|piece| piece.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        // Earlier entries win ties, as the header lists them by preference.
        let quality = quality - position as f32 * 1e-4;
        if quality > 0.0 && best.is_none_or(|(best_quality, _)| quality > best_quality) {
            best = Some((quality, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

/// Middleware: a request with `?lang=CODE` gets the `evident_lang` cookie
/// set on its response, so that the choice holds on the next pages.
pub async fn remember_language(request: Request, next: Next) -> Response {
    // The intake pages set no cookie at all (a witness's browser keeps no trace).
    let path = request.uri().path();
    if path == "/intake" || path.starts_with("/intake/") {
        return next.run(request).await;
    }
    let chosen = query_language(request.uri().query());
    let mut response = next.run(request).await;
    if let Some(lang) = chosen {
        let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

static STRINGS: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| CATALOG.iter().map(|(key, en, zh)| (*key, (*en, *zh))).collect());

/// Every UI string: (key, English, Chinese simplified).
pub const CATALOG: &[(&str, &str, &str)] = &[
    // The layout
    ("site.name", "Evident", "Evident 证据库"),
    ("site.tagline", "Tamper-evident evidence archive", "防篡改证据档案库"),
    ("nav.label", "Main", "主导航"),
    ("nav.dashboard", "Dashboard", "概览"),
    ("nav.search", "Search", "搜索"),
    ("nav.upload", "Upload", "上传"),
    ("nav.intake", "Give testimony", "提交证词"),
    ("nav.cases", "Testimonies received", "收到的证词"),
    ("nav.records", "Records", "记录"),
    ("nav.findings", "Findings", "裁定"),
    ("nav.timeline", "Timeline", "时间线"),
    ("nav.portal", "Public portal", "公开门户"),
    ("nav.statistics", "Statistics", "统计数据"),
    ("nav.verify", "Verify", "验证"),
    ("nav.login", "Log in", "登录"),
    ("nav.logout", "Log out", "退出登录"),
    ("nav.language", "Language", "语言"),
    ("nav.skip", "Skip to content", "跳到正文"),
    ("nav.signed_in_as", "Signed in as", "当前用户"),
    (
        "footer.about",
        "Every change is recorded in a public, append-only transparency log.",
        "每一项变更都记录在公开、只增不改的透明日志中。",
    ),
    ("footer.checkpoint", "Log checkpoint", "日志检查点"),
    ("footer.keys", "Press / to search", "按 / 键搜索"),
    // Roles
    ("role.admin", "administrator", "管理员"),
    ("role.investigator", "investigator", "调查员"),
    ("role.reviewer", "reviewer", "审阅人"),
    ("role.intake", "intake", "接收员"),
    // Access levels
    ("access.public", "public", "公开"),
    ("access.restricted", "restricted", "受限"),
    ("access.sealed", "sealed", "密封"),
    // Log in
    ("login.title", "Log in", "登录"),
    (
        "login.intro",
        "Investigators and reviewers log in here. The public portal needs no account.",
        "调查员和审阅人在此登录。公开门户无需账户。",
    ),
    ("login.username", "User name", "用户名"),
    ("login.password", "Password", "密码"),
    ("login.submit", "Log in", "登录"),
    ("login.failed", "Wrong user name or password.", "用户名或密码错误。"),
    (
        "login.rate_limited",
        "Too many failed attempts for this user name. Wait a few minutes and try again.",
        "该用户名登录失败次数过多，请几分钟后再试。",
    ),
    (
        "login.cross_site",
        "This form was sent from another site. Open the log-in page of this site and try again.",
        "该表单来自其他网站。请打开本站的登录页面后重试。",
    ),
    ("login.missing", "Enter a user name and a password.", "请输入用户名和密码。"),
    ("login.totp", "One-time code", "一次性验证码"),
    ("audit.title", "Audit trail", "审计记录"),
    (
        "audit.intro",
        "Every read of restricted material and every export: who, what, when and from where. Each event is committed \
         to the transparency log in batches, so none can be removed or changed afterwards without verification noticing.",
        "每一次查看受限材料和每一次导出：谁、什么、何时、从何处。每条记录都分批写入透明日志，事后删除或修改都会被验证发现。",
    ),
    ("audit.none", "No audited events yet.", "尚无审计记录。"),
    ("audit.time", "When", "时间"),
    ("audit.who", "Who", "用户"),
    ("audit.action", "Action", "操作"),
    ("audit.target", "What", "对象"),
    ("audit.client", "From", "来源"),
    ("audit.log", "Log entry", "日志条目"),
    ("audit.waiting", "waiting for the next batch", "等待下一批写入"),
    ("audit.earlier", "Earlier events", "更早的记录"),
    ("audit.later", "Later events", "更晚的记录"),
    ("nav.audit", "Audit trail", "审计记录"),
    ("publish.title", "Publish on the portal", "发布到公开门户"),
    ("publish.unpublish_title", "Take off the portal", "从公开门户撤下"),
    (
        "publish.intro",
        "Publishing makes this public on the portal for anyone to read, and is recorded in the log. It publishes \
         nothing else: linked items and records stay as they are.",
        "发布后任何人都可以在公开门户上阅读此内容，发布操作记入日志。不会连带发布其他内容：关联的条目和记录保持原状。",
    ),
    (
        "publish.unpublish_intro",
        "Taking it off the portal is recorded in the log with your reason; what was public before stays in the history.",
        "撤下操作连同理由记入日志；此前公开过的内容仍保留在历史中。",
    ),
    ("publish.reason", "Reason (optional)", "理由（可选）"),
    ("publish.reason_required", "Reason (required)", "理由（必填）"),
    ("publish.publish", "Publish", "发布"),
    ("publish.unpublish", "Take off the portal", "撤下"),
    (
        "login.totp_hint",
        "Only if your account has a second factor: the six digits your authenticator app shows.",
        "仅当您的账户启用了第二重验证时填写：身份验证器应用显示的六位数字。",
    ),
    (
        "login.totp_required",
        "This account needs the one-time code from its authenticator app as well.",
        "此账户还需要身份验证器应用中的一次性验证码。",
    ),
    ("login.expired", "Your session has ended. Log in again.", "会话已结束，请重新登录。"),
    // Error pages
    ("error.title", "Something went wrong", "出现错误"),
    ("error.400", "The request could not be understood", "请求无法理解"),
    ("error.403", "You may not open this page", "您无权打开此页面"),
    (
        "error.403.help",
        "Your role does not allow this. Ask an administrator if you need it.",
        "您的角色不允许此操作。如有需要，请联系管理员。",
    ),
    ("error.404", "Nothing here", "此处没有内容"),
    (
        "error.404.help",
        "There is no page, item or record at this address, or you may not see it.",
        "此地址没有页面、条目或记录，或者您无权查看。",
    ),
    ("error.413", "The upload is too large", "上传内容过大"),
    ("error.429", "Too many requests", "请求过多"),
    // Safe testimony intake (src/intake.rs)
    ("intake.title", "Give testimony", "提交证词"),
    ("intake.follow_up_title", "Add to your testimony", "补充您的证词"),
    (
        "intake.intro",
        "Write what you saw or know, in any language, and attach files if you have them. You need no account.",
        "请用任何语言写下您所见所知，如有文件可一并附上。无需注册账户。",
    ),
    (
        "intake.safety",
        "Everything you send is encrypted as it arrives and can be read only by our intake staff. This page sets no \
         cookies and we do not record your address. For more safety, use Tor Browser.",
        "您发送的一切在到达时即被加密，只有我们的证词接收人员能够阅读。本页面不设置任何 Cookie，我们也不记录您的地址。为了更安全，请使用 Tor 浏览器。",
    ),
    ("intake.code", "Your follow-up code", "您的后续代码"),
    ("intake.testimony", "Your testimony", "您的证词"),
    (
        "intake.testimony_help",
        "Any language and script; right-to-left text such as Uyghur is fine.",
        "可使用任何语言和文字；维吾尔文等从右向左书写的文字也可以。",
    ),
    ("intake.files", "Files (optional)", "文件（可选）"),
    (
        "intake.files_help",
        "Photos, documents, audio or video. Most files per submission:",
        "照片、文件、音频或视频。每次提交的文件数量上限：",
    ),
    ("intake.send", "Send securely", "安全发送"),
    (
        "intake.have_code",
        "Sent a testimony before? Add to it with your follow-up code.",
        "已经提交过证词？请用您的后续代码补充。",
    ),
    ("intake.done_title", "Thank you. What you sent is stored, encrypted.", "谢谢。您发送的内容已加密保存。"),
    ("intake.your_code", "Your secret follow-up code", "您的秘密后续代码"),
    (
        "intake.code_help",
        "Write this code down and keep it safe: it is shown only once, and whoever has it can add to your testimony \
         and download its receipts. We cannot recover it.",
        "请抄下此代码并妥善保管：它只显示这一次，任何持有它的人都可以补充您的证词并下载回执。我们无法找回它。",
    ),
    ("intake.receipts", "Receipts", "回执"),
    (
        "intake.receipts_help",
        "A receipt proves that your item is in our public, tamper-evident log. It contains nothing of your testimony.",
        "回执证明您的内容已记录在我们公开、防篡改的日志中。回执不包含您证词的任何内容。",
    ),
    ("intake.download_receipt", "Download receipt", "下载回执"),
    ("intake.add_more", "Add more later with your code", "日后可凭代码补充"),
    ("intake.item", "Item", "条目"),
    ("intake.cases", "Intake cases", "证词案件"),
    ("intake.case", "Intake case", "证词案件"),
    ("intake.created", "Received", "接收时间"),
    ("intake.items", "Items", "条目数"),
    ("intake.no_cases", "No testimony has been received yet.", "尚未收到任何证词。"),
    ("intake.download", "Download", "下载"),
    ("intake.media_type", "Type", "类型"),
    ("intake.size", "Size (bytes)", "大小（字节）"),
    ("item.sealed_grants", "May open it", "可查看者"),
    ("error.500", "The server could not answer", "服务器无法响应"),
    ("error.500.help", "The problem has been logged. Try again in a moment.", "问题已记录，请稍后再试。"),
    ("error.home", "Go to the start page", "返回首页"),
    ("error.csrf", "This form has expired. Reload the page and send it again.", "表单已过期。请刷新页面后重新提交。"),
    // Dashboard
    ("dashboard.title", "Dashboard", "概览"),
    ("dashboard.recent_items", "Recent items", "最近的条目"),
    ("dashboard.recent_records", "Recent records", "最近的记录"),
    ("dashboard.log", "Transparency log", "透明日志"),
    ("dashboard.log_size", "Entries in the log", "日志条目数"),
    ("dashboard.items", "Items in the archive", "档案中的条目"),
    ("dashboard.checkpoint", "Latest signed checkpoint", "最新签名检查点"),
    ("dashboard.verify", "Last full verification", "最近一次完整验证"),
    (
        "dashboard.verify_none",
        "Not recorded yet. Run `evident verify` to check every object, entry and tile.",
        "尚无记录。运行 `evident verify` 以检查所有对象、条目和瓦片。",
    ),
    ("dashboard.verify_ok", "passed", "通过"),
    ("dashboard.verify_failed", "found problems", "发现问题"),
    ("dashboard.none", "Nothing yet.", "暂无内容。"),
    ("dashboard.upload_first", "Upload the first files", "上传第一批文件"),
    // Upload
    ("upload.title", "Upload evidence", "上传证据"),
    (
        "upload.intro",
        "Files are hashed as they arrive, preserved unchanged and recorded in the log. You can download a receipt for each.",
        "文件在接收时即计算哈希，原样保存并记录到日志中。每个文件都可下载收据。",
    ),
    ("upload.drop", "Drop files here", "将文件拖放到此处"),
    ("upload.or", "or", "或"),
    ("upload.choose", "Choose files", "选择文件"),
    ("upload.sensitivity", "Who may see these files", "谁可以查看这些文件"),
    (
        "upload.restricted_help",
        "Restricted: investigators, reviewers and administrators only",
        "受限：仅调查员、审阅人和管理员",
    ),
    ("upload.public_help", "Public: anyone, once published", "公开：发布后任何人均可查看"),
    (
        "upload.sealed_help",
        "Sealed: encrypted on arrival; only you, and the people you name, may open it",
        "密封：到达即加密；只有您和您指定的人可以打开",
    ),
    ("upload.submit", "Upload", "上传"),
    ("upload.outcomes", "Uploads", "上传结果"),
    ("upload.waiting", "waiting", "等待中"),
    ("upload.sending", "sending", "发送中"),
    ("upload.added", "added", "已添加"),
    ("upload.duplicate", "already in the archive", "档案中已存在"),
    ("upload.failed", "failed", "失败"),
    ("upload.open", "open", "打开"),
    (
        "upload.no_js",
        "Uploading needs JavaScript for progress; without it, use the command line: evident add FILE.",
        "上传进度需要 JavaScript；也可以使用命令行：evident add FILE。",
    ),
    // Items
    ("item.title", "Item", "条目"),
    ("item.preview", "Preview", "预览"),
    ("item.no_preview", "No preview for this kind of file.", "此类文件无法预览。"),
    ("item.text_loading", "Loading the text…", "正在加载文本…"),
    ("item.text_none", "No text could be extracted from this file.", "无法从此文件中提取文本。"),
    ("item.metadata", "File", "文件"),
    ("item.description", "Description", "描述"),
    ("item.name", "Name", "名称"),
    ("item.media_type", "Type", "类型"),
    ("item.size", "Size", "大小"),
    ("item.bytes", "bytes", "字节"),
    ("item.sha256", "SHA-256", "SHA-256"),
    ("item.added", "Added", "添加时间"),
    ("item.added_by", "Added by", "添加人"),
    ("item.log_index", "Log entry", "日志条目"),
    ("item.access", "Access", "访问级别"),
    ("item.text", "Extracted text", "提取的文本"),
    ("item.text_lang", "Language", "语言"),
    ("item.download", "Download the file", "下载文件"),
    ("item.receipt", "Download the receipt", "下载收据"),
    (
        "item.receipt_help",
        "The receipt proves, with the file and the log's public key, that the file was in the archive at a checkpoint.",
        "收据连同文件和日志公钥，可证明该文件在某一检查点时已存于档案中。",
    ),
    ("item.describe", "Describe this item", "描述此条目"),
    // Redaction
    ("redact.title", "Make a redacted copy", "制作删节副本"),
    ("redact.link", "Redact", "删节"),
    (
        "redact.intro",
        "The copy is a new item that records which item it was made from; all file metadata is stripped. The original is not changed.",
        "副本是一个新条目，记录其来源条目；所有文件元数据都会被去除。原件保持不变。",
    ),
    ("redact.text", "Text", "文本"),
    ("redact.remove", "Remove these (one per line)", "删除以下内容（每行一项）"),
    (
        "redact.remove_help",
        "Every occurrence is replaced by █████, regardless of case. A line that does not occur stops the redaction.",
        "每处出现都会被替换为 █████，不区分大小写。若某行内容未出现，删节将停止。",
    ),
    ("redact.spans", "Character spans START..END (one per line)", "字符范围 START..END（每行一项）"),
    ("redact.image", "Image (PNG, JPEG)", "图像（PNG、JPEG）"),
    ("redact.region", "Black out X, Y, width, height", "涂黑区域：X、Y、宽、高"),
    ("redact.more_regions", "More regions X,Y,W,H (one per line)", "更多区域 X,Y,W,H（每行一项）"),
    ("redact.sensitivity", "The copy is", "副本级别"),
    ("redact.submit", "Make the copy", "制作副本"),
    ("redact.redacted_from", "Redacted copy of", "删节自"),
    ("redact.archived_item", "an archived item", "一个已归档条目"),
    ("redact.log_entry", "log entry", "日志条目"),
    ("redact.copies", "Redacted copies", "删节副本"),
    // Records
    ("records.title", "Records", "记录"),
    ("records.kind", "Kind", "类型"),
    ("records.count", "records", "条记录"),
    ("records.new", "New record", "新建记录"),
    ("records.none", "No records of this kind that you may see.", "没有您可查看的此类记录。"),
    ("records.name", "Name", "名称"),
    ("records.updated", "Updated", "更新时间"),
    ("records.version", "Version", "版本"),
    ("records.retracted", "retracted", "已撤回"),
    ("records.fields", "Fields", "字段"),
    ("records.edit", "Edit", "编辑"),
    ("records.history", "History", "历史"),
    ("records.change", "Change", "变更"),
    ("records.actor", "By", "操作人"),
    ("records.time", "When", "时间"),
    ("records.reason", "Reason", "原因"),
    ("records.digest", "Digest", "摘要"),
    ("records.references", "Refers to", "引用"),
    ("records.referenced_by", "Referred to by", "被引用"),
    ("records.field", "Field", "字段"),
    ("records.nothing", "Nothing.", "无。"),
    ("records.change.create", "created", "创建"),
    ("records.change.edit", "edited", "编辑"),
    ("records.change.retract", "retracted", "撤回"),
    // Record forms
    ("form.new_title", "New record", "新建记录"),
    ("form.edit_title", "Edit record", "编辑记录"),
    ("form.fields_json", "Fields (JSON object)", "字段（JSON 对象）"),
    (
        "form.fields_help",
        "One JSON object: field names and values. Remove a field by deleting its line. Dates may be written as text (\"June-July 2017\").",
        "一个 JSON 对象：字段名和值。删除某行即可移除该字段。日期可写为文本（如 \"2017年6-7月\"）。",
    ),
    ("form.known_fields", "Fields of this kind", "此类型的字段"),
    ("form.reason", "Reason for the change", "变更原因"),
    (
        "form.reason_help",
        "Required: the history keeps it with the new version.",
        "必填：历史记录会将其与新版本一同保存。",
    ),
    ("form.save", "Save", "保存"),
    ("form.cancel", "Cancel", "取消"),
    ("form.error", "The record was not saved", "记录未保存"),
    ("form.bad_json", "The fields are not a JSON object", "字段不是有效的 JSON 对象"),
    ("form.no_reason", "Give a reason for the change.", "请填写变更原因。"),
    ("form.no_change", "Nothing was changed.", "没有任何更改。"),
    ("form.saved", "Saved as version", "已保存为版本"),
    // Relation view
    ("relations.title", "Who, where, when, on what evidence", "人物、地点、时间与证据"),
    ("relations.what", "What", "事项"),
    ("relations.who", "Who", "人物"),
    ("relations.where", "Where", "地点"),
    ("relations.when", "When", "时间"),
    ("relations.certainty", "Certainty", "确定程度"),
    ("relations.evidence", "Evidence", "证据"),
    ("relations.none", "No event or relation cites this record yet.", "尚无事件或关系引用此记录。"),
    // Search
    ("search.title", "Search", "搜索"),
    ("search.label", "Search the archive", "搜索档案"),
    (
        "search.placeholder",
        "Words, \"a phrase\", lang:zh, kind:facility, date:2015..2018",
        "词语、\"短语\"、lang:zh、kind:facility、date:2015..2018",
    ),
    ("search.submit", "Search", "搜索"),
    ("search.results", "results", "条结果"),
    ("search.none", "Nothing found. Try fewer words, or other spellings.", "未找到结果。请减少关键词或尝试其他写法。"),
    ("search.sort", "Sort", "排序"),
    ("search.sort.relevance", "Best match", "最相关"),
    ("search.sort.newest", "Newest", "最新"),
    ("search.sort.oldest", "Oldest", "最早"),
    ("search.filters", "Narrow down", "筛选"),
    ("search.remove_filter", "Remove filter", "移除筛选"),
    ("search.previous", "Previous", "上一页"),
    ("search.next", "Next", "下一页"),
    ("search.page", "Page", "第"),
    ("search.error", "The query could not be read", "无法解析查询"),
    ("search.notes", "How the query was read", "查询的解读方式"),
    ("facet.kind", "Kind", "类型"),
    ("facet.type", "Type", "类别"),
    ("facet.lang", "Language", "语言"),
    ("facet.year", "Year", "年份"),
    ("facet.access", "Access", "访问级别"),
    ("facet.province", "Province", "省份"),
    ("facet.group", "Group", "群体"),
    // Findings
    ("findings.title", "Findings", "裁定"),
    (
        "findings.intro",
        "Each issue, the standard of proof it was decided on, the outcome, and the claims relied on with the evidence behind them.",
        "每个问题、裁定所依据的证明标准、结论，以及所依据的主张及其证据。",
    ),
    ("findings.issue", "Issue", "问题"),
    ("findings.standard", "Standard of proof", "证明标准"),
    ("findings.outcome", "Outcome", "结论"),
    ("findings.claims", "Claims relied on", "所依据的主张"),
    ("findings.supporting", "Supported by", "支持证据"),
    ("findings.contradicting", "Contradicted by", "反驳证据"),
    ("findings.none", "No findings yet.", "暂无裁定。"),
    // Timeline
    ("timeline.title", "Timeline", "时间线"),
    (
        "timeline.intro",
        "Events by date. Uncertain dates are shown as recorded.",
        "按日期排列的事件。不确定的日期按记录原样显示。",
    ),
    ("timeline.undated", "Undated", "日期不详"),
    ("timeline.none", "No events yet.", "暂无事件。"),
    // Record kinds
    ("kind.item", "Item", "条目"),
    ("kind.source", "Source", "来源"),
    ("kind.person", "Person", "人物"),
    ("kind.facility", "Facility", "机构"),
    ("kind.event", "Event", "事件"),
    ("kind.relation", "Relation", "关系"),
    ("kind.claim", "Claim", "主张"),
    ("kind.finding", "Finding", "裁定"),
    ("kind.series", "Series", "统计序列"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_key_has_both_languages_and_appears_once() {
        let mut seen = HashSet::new();
        for (key, en, zh) in CATALOG {
            assert!(seen.insert(*key), "{key} is in the catalog twice");
            assert!(!en.trim().is_empty(), "{key} has no English");
            assert!(!zh.trim().is_empty(), "{key} has no Chinese");
            assert!(key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'), "{key}");
        }
    }

    /// Every `layout.t("key")` in the templates and every catalog-like
    /// string literal in the pages' code names a key of the catalog.
    #[test]
    fn every_key_the_pages_use_is_in_the_catalog() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let prefixes: HashSet<&str> = CATALOG.iter().filter_map(|(key, _, _)| key.split('.').next()).collect();
        let mut missing = Vec::new();
        let mut files = Vec::new();
        for dir in ["templates", "src/ui"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                files.push(entry.unwrap().path());
            }
        }
        let mut used = 0;
        for path in files.iter().filter(|path| path.is_file()) {
            let text = std::fs::read_to_string(path).unwrap();
            let is_template = path.extension().is_some_and(|ext| ext == "html");
            for piece in text.split('"').skip(1).step_by(2) {
                let looks_like_key = piece.contains('.')
                    && prefixes.contains(piece.split('.').next().unwrap_or(""))
                    && piece.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
                    && ![".html", ".js", ".css"].iter().any(|file| piece.ends_with(file));
                if looks_like_key && !STRINGS.contains_key(piece) && !piece.ends_with('.') {
                    missing.push(format!("{}: {piece}", path.display()));
                }
                used += looks_like_key as usize;
            }
            if is_template {
                for call in text.split("layout.t(").skip(1) {
                    let literal = call.trim_start().strip_prefix('"').and_then(|rest| rest.split('"').next());
                    if let Some(key) = literal
                        && !STRINGS.contains_key(key)
                    {
                        missing.push(format!("{}: layout.t({key:?})", path.display()));
                    }
                }
            }
        }
        assert!(used > 100, "the scan found only {used} keys; is it looking in the right place?");
        assert!(missing.is_empty(), "not in the catalog:\n{}", missing.join("\n"));
    }

    #[test]
    fn the_language_comes_from_the_query_then_the_cookie_then_the_browser() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::of_request(None, &headers), Lang::En);
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("fr-FR, zh-CN;q=0.9, en;q=0.8"));
        assert_eq!(Lang::of_request(None, &headers), Lang::Zh);
        headers.insert(header::COOKIE, HeaderValue::from_static("a=b; evident_lang=en"));
        assert_eq!(Lang::of_request(None, &headers), Lang::En);
        assert_eq!(Lang::of_request(Some("q=x&lang=zh"), &headers), Lang::Zh);
        assert_eq!(Lang::of_request(Some("lang=ug"), &headers).dir(), "rtl");
        assert_eq!(Lang::of_request(Some("lang=xx"), &headers), Lang::En);
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en;q=0.5, zh"));
        headers.remove(header::COOKIE);
        assert_eq!(Lang::of_request(None, &headers), Lang::Zh);
    }

    #[test]
    fn chinese_strings_are_chinese() {
        assert_eq!(Lang::Zh.t("nav.search"), "搜索");
        assert_eq!(Lang::En.t("nav.search"), "Search");
        assert_eq!(Lang::Ug.t("nav.search"), "Search");
        assert_eq!(Lang::En.t("no.such.key"), "?");
    }
}
