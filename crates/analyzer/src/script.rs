//! Character classes the analyzer needs and the Unicode crates do not give
//! directly: which characters are Han ideographs, which are Arabic-script
//! letters, which are Tibetan and which Tibetan marks end a syllable.

/// Han ideographs, including the iteration mark 々 and the ideographic zero 〇
/// that Chinese text uses as characters of words.
pub(crate) fn is_han(character: char) -> bool {
    matches!(character,
        '\u{3005}' | '\u{3007}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{323AF}')
}

/// Letters of the Arabic block (after folding, so presentation forms are
/// already base letters), without digits, punctuation or marks.
pub(crate) fn is_arabic_letter(character: char) -> bool {
    matches!(character,
        '\u{0620}'..='\u{063F}'
        | '\u{0641}'..='\u{064A}'
        | '\u{066E}'..='\u{066F}'
        | '\u{0671}'..='\u{06D3}'
        | '\u{06D5}'
        | '\u{06EE}'..='\u{06EF}'
        | '\u{06FA}'..='\u{06FF}')
}

pub(crate) fn is_tibetan(character: char) -> bool {
    ('\u{0F00}'..='\u{0FFF}').contains(&character)
}

/// Tibetan marks that end a syllable or a clause: the tsheg (and its
/// non-breaking form), the shads and the gter tsheg.
pub(crate) fn is_tibetan_syllable_end(character: char) -> bool {
    matches!(character, '\u{0F0B}'..='\u{0F12}' | '\u{0F14}')
}
