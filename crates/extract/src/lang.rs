//! Language detection: whatlang for most scripts, overridden by script
//! rules for the languages whatlang lacks (Uyghur, Tibetan) or confuses
//! (Chinese without kana is not Japanese).
//!
//! Letters are counted by script group; the largest group decides:
//! Tibetan → `bo`; Han with kana → `ja`, Han without → `zh`; Hangul → `ko`;
//! Arabic script with enough Uyghur-only letters → `ug` (or `kk` for the
//! Kazakh high-hamza letters), otherwise whatlang's Arabic-script answer
//! (`ar`, `fa`, `ur`); everything else goes to whatlang, whose answer counts
//! only when whatlang itself calls it reliable. Fewer than
//! [`MIN_LETTERS`] letters give no answer unless the script alone decides.

use std::ops::Range;

use crate::LangSpan;
use crate::builder::floor_char_boundary;

/// Below this many letters only a decisive script gives a language.
const MIN_LETTERS: usize = 20;
/// whatlang sees at most this much of one paragraph: enough to decide, and it
/// keeps detection linear in the number of paragraphs, not their length.
const WHATLANG_SAMPLE_BYTES: usize = 16 * 1024;
/// The most whatlang calls for one document (about 0.1 ms each).
const MAX_WHATLANG_CALLS: usize = 2000;

/// Letter counts by script group for one piece of text.
#[derive(Debug, Default)]
struct ScriptCounts {
    letters: usize,
    han: usize,
    kana: usize,
    hangul: usize,
    tibetan: usize,
    arabic: usize,
    /// Letters Uyghur uses and Arabic, Persian and Urdu do not (ې ۆ ۈ ۇ ڭ ە).
    uyghur_only: usize,
    /// ھ and ئ: frequent in Uyghur, present but rarer elsewhere.
    uyghur_frequent: usize,
    /// ێ ڵ ڕ ڤ: Kurdish (Sorani), which shares ە and ۆ with Uyghur.
    kurdish_only: usize,
    /// ٵ ٶ ٷ ٸ: Kazakh in Arabic script.
    kazakh_only: usize,
}

impl ScriptCounts {
    fn of(text: &str) -> ScriptCounts {
        let mut counts = ScriptCounts::default();
        for character in text.chars() {
            if !character.is_alphabetic() {
                continue;
            }
            counts.letters += 1;
            match character {
                '\u{3040}'..='\u{30ff}' | '\u{31f0}'..='\u{31ff}' | '\u{ff66}'..='\u{ff9d}' => counts.kana += 1,
                '\u{3400}'..='\u{4dbf}'
                | '\u{4e00}'..='\u{9fff}'
                | '\u{f900}'..='\u{faff}'
                | '\u{20000}'..='\u{3134f}'
                | '\u{3005}'
                | '\u{3007}' => counts.han += 1,
                '\u{1100}'..='\u{11ff}' | '\u{3130}'..='\u{318f}' | '\u{ac00}'..='\u{d7af}' => counts.hangul += 1,
                '\u{0f00}'..='\u{0fff}' => counts.tibetan += 1,
                '\u{0600}'..='\u{06ff}'
                | '\u{0750}'..='\u{077f}'
                | '\u{08a0}'..='\u{08ff}'
                | '\u{fb50}'..='\u{fdff}'
                | '\u{fe70}'..='\u{feff}' => {
                    counts.arabic += 1;
                    match character {
                        'ې' | 'ۆ' | 'ۈ' | 'ۇ' | 'ڭ' | 'ە' => counts.uyghur_only += 1,
                        'ھ' | 'ئ' => counts.uyghur_frequent += 1,
                        'ێ' | 'ڵ' | 'ڕ' | 'ڤ' => counts.kurdish_only += 1,
                        'ٵ' | 'ٶ' | 'ٷ' | 'ٸ' => counts.kazakh_only += 1,
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        counts
    }

    fn other(&self) -> usize {
        self.letters - self.han - self.kana - self.hangul - self.tibetan - self.arabic
    }
}

/// The language of a text: `"en"`, `"zh"`, `"ug"`, `"bo"` and others where
/// detectable (ISO 639-1 where it exists, else 639-3), `None` if unknown or
/// too short. See the crate documentation for the rules.
pub fn detect_language(text: &str) -> Option<String> {
    detect(text).map(|(language, _letters)| language.to_owned())
}

/// What the scripts of a text say about its language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// The script decides.
    Language(&'static str),
    /// whatlang must decide, among the languages of this script group.
    Whatlang(ScriptGroup),
    /// Too short, or no letters.
    Unknown,
}

/// Paragraphs that whatlang judges together must share a group, so that a
/// batch never mixes, say, Persian with English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScriptGroup {
    Arabic,
    Other,
}

/// The language and the number of letters it was decided on.
fn detect(text: &str) -> Option<(&'static str, usize)> {
    let counts = ScriptCounts::of(text);
    match verdict(&counts) {
        Verdict::Language(language) => Some((language, counts.letters)),
        Verdict::Whatlang(_) => whatlang_language(text).map(|language| (language, counts.letters)),
        Verdict::Unknown => None,
    }
}

fn verdict(counts: &ScriptCounts) -> Verdict {
    if counts.letters == 0 {
        return Verdict::Unknown;
    }
    let short = counts.letters < MIN_LETTERS;
    let cjk = counts.han + counts.kana;
    let largest = [counts.tibetan, cjk, counts.hangul, counts.arabic, counts.other()].into_iter().max().unwrap_or(0);
    if counts.tibetan == largest {
        Verdict::Language("bo")
    } else if cjk == largest {
        // Japanese prose is about a third kana; a stray katakana name in
        // Chinese text is not Japanese.
        Verdict::Language(if counts.kana * 20 >= cjk { "ja" } else { "zh" })
    } else if counts.hangul == largest {
        Verdict::Language("ko")
    } else if let Some(language) = (counts.arabic == largest).then(|| arabic_script_language(counts)).flatten() {
        Verdict::Language(language)
    } else if short {
        Verdict::Unknown
    } else if counts.arabic == largest {
        Verdict::Whatlang(ScriptGroup::Arabic)
    } else {
        Verdict::Whatlang(ScriptGroup::Other)
    }
}

fn arabic_script_language(counts: &ScriptCounts) -> Option<&'static str> {
    let uyghur = counts.uyghur_only + counts.uyghur_frequent;
    if counts.kazakh_only >= 2 && counts.kazakh_only * 100 >= counts.arabic {
        return Some("kk");
    }
    let enough_uyghur = counts.uyghur_only >= 2 && uyghur * 100 >= counts.arabic * 8;
    (enough_uyghur && counts.kurdish_only * 4 <= counts.uyghur_only).then_some("ug")
}

fn whatlang_language(text: &str) -> Option<&'static str> {
    let sample = &text[..floor_char_boundary(text, WHATLANG_SAMPLE_BYTES)];
    let info = whatlang::detect(sample)?;
    info.is_reliable().then(|| iso_639_1(info.lang()))
}

/// whatlang's ISO 639-3 codes as ISO 639-1, which exists for all of them.
fn iso_639_1(language: whatlang::Lang) -> &'static str {
    use whatlang::Lang;
    match language {
        Lang::Epo => "eo",
        Lang::Eng => "en",
        Lang::Rus => "ru",
        Lang::Cmn => "zh",
        Lang::Spa => "es",
        Lang::Por => "pt",
        Lang::Ita => "it",
        Lang::Ben => "bn",
        Lang::Fra => "fr",
        Lang::Deu => "de",
        Lang::Ukr => "uk",
        Lang::Kat => "ka",
        Lang::Ara => "ar",
        Lang::Hin => "hi",
        Lang::Jpn => "ja",
        Lang::Heb => "he",
        Lang::Yid => "yi",
        Lang::Pol => "pl",
        Lang::Amh => "am",
        Lang::Jav => "jv",
        Lang::Kor => "ko",
        Lang::Nob => "nb",
        Lang::Dan => "da",
        Lang::Swe => "sv",
        Lang::Fin => "fi",
        Lang::Tur => "tr",
        Lang::Nld => "nl",
        Lang::Hun => "hu",
        Lang::Ces => "cs",
        Lang::Ell => "el",
        Lang::Bul => "bg",
        Lang::Bel => "be",
        Lang::Mar => "mr",
        Lang::Kan => "kn",
        Lang::Ron => "ro",
        Lang::Slv => "sl",
        Lang::Hrv => "hr",
        Lang::Srp => "sr",
        Lang::Mkd => "mk",
        Lang::Lit => "lt",
        Lang::Lav => "lv",
        Lang::Est => "et",
        Lang::Tam => "ta",
        Lang::Vie => "vi",
        Lang::Urd => "ur",
        Lang::Tha => "th",
        Lang::Guj => "gu",
        Lang::Uzb => "uz",
        Lang::Pan => "pa",
        Lang::Aze => "az",
        Lang::Ind => "id",
        Lang::Tel => "te",
        Lang::Pes => "fa",
        Lang::Mal => "ml",
        Lang::Ori => "or",
        Lang::Mya => "my",
        Lang::Nep => "ne",
        Lang::Sin => "si",
        Lang::Khm => "km",
        Lang::Tuk => "tk",
        Lang::Aka => "ak",
        Lang::Zul => "zu",
        Lang::Sna => "sn",
        Lang::Afr => "af",
        Lang::Lat => "la",
        Lang::Slk => "sk",
        Lang::Cat => "ca",
        Lang::Tgl => "tl",
        Lang::Hye => "hy",
        Lang::Cym => "cy",
    }
}

/// A language tag from a document (`<html lang="zh-CN">`) as a primary
/// language code: lower case, region and script dropped, the common
/// three-letter codes of our languages made two-letter. `None` for empty or
/// malformed tags.
pub(crate) fn normalize_language_tag(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    if !(2..=8).contains(&primary.len()) || !primary.bytes().all(|byte| byte.is_ascii_lowercase()) {
        return None;
    }
    let primary = match primary.as_str() {
        "eng" => "en",
        "zho" | "chi" | "cmn" => "zh",
        "uig" => "ug",
        "bod" | "tib" => "bo",
        "kaz" => "kk",
        "rus" => "ru",
        "ara" => "ar",
        "tur" => "tr",
        "deu" | "ger" => "de",
        "fra" | "fre" => "fr",
        "jpn" => "ja",
        "kor" => "ko",
        other => other,
    };
    Some(primary.to_owned())
}

/// Per-paragraph languages of `text` (paragraphs are separated by blank
/// lines) and the language with the most letters overall. Paragraphs that
/// overlap a range in `skip` (e-mail headers) are left out. Consecutive
/// paragraphs of one language become one span, even across a paragraph in
/// between whose language is unknown (a heading such as "2024").
///
/// A whatlang call costs about 0.1 ms however short its text, so a document
/// with more than [`MAX_WHATLANG_CALLS`] paragraphs that need whatlang has
/// its consecutive such paragraphs judged in equal batches instead of one
/// by one: detection stays well under a second for the largest text, at the
/// price of a batch taking the language of its majority.
pub(crate) fn analyse(text: &str, skip: &[Range<usize>]) -> (Option<String>, Vec<LangSpan>) {
    struct Paragraph {
        range: Range<usize>,
        letters: usize,
        verdict: Verdict,
        language: Option<&'static str>,
    }
    let mut found: Vec<Paragraph> = paragraphs(text)
        .into_iter()
        .filter(|paragraph| !skip.iter().any(|range| range.start < paragraph.end && paragraph.start < range.end))
        .map(|range| {
            let counts = ScriptCounts::of(&text[range.clone()]);
            let verdict = verdict(&counts);
            let language = match verdict {
                Verdict::Language(language) => Some(language),
                _ => None,
            };
            Paragraph { range, letters: counts.letters, verdict, language }
        })
        .collect();

    // Batches of consecutive paragraphs for whatlang, one paragraph each
    // unless there are too many.
    let needing = found.iter().filter(|paragraph| matches!(paragraph.verdict, Verdict::Whatlang(_))).count();
    let batch_size = needing.div_ceil(MAX_WHATLANG_CALLS).max(1);
    let mut index = 0;
    while index < found.len() {
        let Verdict::Whatlang(group) = found[index].verdict else {
            index += 1;
            continue;
        };
        let mut end = index;
        let mut sample = String::new();
        while end < found.len() && end - index < batch_size && found[end].verdict == Verdict::Whatlang(group) {
            let room = WHATLANG_SAMPLE_BYTES.saturating_sub(sample.len() + 1);
            if room > 0 {
                if !sample.is_empty() {
                    sample.push('\n');
                }
                let paragraph = &text[found[end].range.clone()];
                sample.push_str(&paragraph[..floor_char_boundary(paragraph, room)]);
            }
            end += 1;
        }
        let language = whatlang_language(&sample);
        for paragraph in &mut found[index..end] {
            paragraph.language = language;
        }
        index = end;
    }

    let mut spans: Vec<LangSpan> = Vec::new();
    let mut letters_by_language: Vec<(&'static str, usize)> = Vec::new();
    for paragraph in found {
        let Some(language) = paragraph.language else {
            continue;
        };
        match letters_by_language.iter_mut().find(|(known, _)| *known == language) {
            Some((_, letters)) => *letters += paragraph.letters,
            None => letters_by_language.push((language, paragraph.letters)),
        }
        match spans.last_mut() {
            Some(last) if last.lang == language => last.end = paragraph.range.end,
            _ => spans.push(LangSpan {
                start: paragraph.range.start,
                end: paragraph.range.end,
                lang: language.to_owned(),
            }),
        }
    }
    // Ties go to the language that came first.
    let mut dominant: Option<(&'static str, usize)> = None;
    for (language, letters) in letters_by_language {
        if dominant.is_none_or(|(_, best)| letters > best) {
            dominant = Some((language, letters));
        }
    }
    (dominant.map(|(language, _)| language.to_owned()), spans)
}

/// Byte ranges of the paragraphs of `text`: maximal runs of lines that are
/// not blank, without the line break after the last line.
fn paragraphs(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut current: Option<Range<usize>> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        if content.trim().is_empty() {
            if let Some(range) = current.take() {
                ranges.push(range);
            }
            continue;
        }
        let end = start + content.len();
        match current.as_mut() {
            Some(range) => range.end = end,
            None => current = Some(start..end),
        }
    }
    if let Some(range) = current {
        ranges.push(range);
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    const UYGHUR: &str = "ھەممە ئادەم تۇغۇلۇشىدىنلا ئەركىن، ئىززەت-ھۆرمەت ۋە ھوقۇقتا باب-باراۋەر بولۇپ تۇغۇلغان.";
    const TIBETAN: &str = "འགྲོ་བ་མིའི་རིགས་རྒྱུད་ཡོངས་ལ་སྐྱེས་ཙམ་ཉིད་ནས་ཆེ་མཐོངས་དང༌། ཐོབ་ཐང་གི་རང་དབང་འདྲ་མཉམ་དུ་ཡོད་ལ།";
    const CHINESE: &str = "人人生而自由，在尊严和权利上一律平等。";

    #[test]
    fn scripts_decide_where_whatlang_cannot() {
        assert_eq!(detect_language(UYGHUR).as_deref(), Some("ug"));
        assert_eq!(detect_language(TIBETAN).as_deref(), Some("bo"));
        assert_eq!(detect_language(CHINESE).as_deref(), Some("zh"));
        assert_eq!(detect_language("医院").as_deref(), Some("zh"));
        assert_eq!(detect_language("すべての人間は、生まれながらにして自由であり").as_deref(), Some("ja"));
    }

    #[test]
    fn other_arabic_script_languages_are_not_uyghur() {
        assert_eq!(detect_language("يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق.").as_deref(), Some("ar"));
        assert_eq!(
            detect_language("تمام افراد بشر آزاد به دنیا می‌آیند و از لحاظ حیثیت و حقوق با هم برابرند.").as_deref(),
            Some("fa")
        );
    }

    #[test]
    fn whatlang_languages_come_back_as_two_letter_codes() {
        assert_eq!(
            detect_language("The patient waited three weeks for a kidney transplant at the hospital.").as_deref(),
            Some("en")
        );
        assert_eq!(
            detect_language("Все люди рождаются свободными и равными в своем достоинстве и правах.").as_deref(),
            Some("ru")
        );
    }

    #[test]
    fn short_or_letterless_text_has_no_language() {
        assert_eq!(detect_language("Hospital"), None);
        assert_eq!(detect_language("2024-01-01 12:00 +++"), None);
        assert_eq!(detect_language(""), None);
    }

    #[test]
    fn paragraphs_are_found_between_blank_lines() {
        let text = "a\nb\n\n \n c\n\nd";
        let found: Vec<&str> = paragraphs(text).into_iter().map(|range| &text[range]).collect();
        assert_eq!(found, ["a\nb", " c", "d"]);
    }

    #[test]
    fn spans_merge_across_unknown_paragraphs_and_skip_ranges() {
        let english = "The patient waited three weeks for a kidney transplant at the hospital.";
        let more = "Doctors said the waiting time was unusually short for this region.";
        let text = format!("{english}\n\n2024\n\n{more}\n\n{CHINESE}");
        let (dominant, spans) = analyse(&text, &[]);
        assert_eq!(dominant.as_deref(), Some("en"));
        let languages: Vec<&str> = spans.iter().map(|span| span.lang.as_str()).collect();
        assert_eq!(languages, ["en", "zh"]);
        assert_eq!(&text[spans[0].start..spans[0].end], format!("{english}\n\n2024\n\n{more}"));
        assert_eq!(&text[spans[1].start..spans[1].end], CHINESE);

        let english_part = 0..english.len() + 2 + 4 + 2 + more.len();
        let (dominant, spans) = analyse(&text, std::slice::from_ref(&english_part));
        assert_eq!(dominant.as_deref(), Some("zh"));
        assert_eq!(spans.len(), 1);
    }

    #[test]
    fn many_paragraphs_are_judged_in_batches() {
        let english = "The patient waited three weeks for a kidney transplant at the hospital.";
        let count = MAX_WHATLANG_CALLS * 2 + 1;
        let text = vec![english; count].join("\n\n");
        let (dominant, spans) = analyse(&text, &[]);
        assert_eq!(dominant.as_deref(), Some("en"));
        assert_eq!(spans, [LangSpan { start: 0, end: text.len(), lang: "en".into() }]);
    }

    #[test]
    fn language_tags_are_reduced_to_the_primary_subtag() {
        assert_eq!(normalize_language_tag("zh-CN").as_deref(), Some("zh"));
        assert_eq!(normalize_language_tag(" ug_Arab ").as_deref(), Some("ug"));
        assert_eq!(normalize_language_tag("bod").as_deref(), Some("bo"));
        assert_eq!(normalize_language_tag(""), None);
        assert_eq!(normalize_language_tag("e1"), None);
    }
}
