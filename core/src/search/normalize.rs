//! What "ignores case and accents" means: the one normal form every name and query is compared in.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Longer queries are cut to this many characters: every name the index holds is shorter (display names
/// are at most 64), and it bounds the work one query can ask for (trigrams, edit distances).
pub const MAX_QUERY_CHARS: usize = 64;

/// `text` lowercased, without accents, in single spaces: compatibility decomposition (NFKD: `ﬁ` → `fi`,
/// full-width letters → ASCII), combining marks dropped (`é` → `e`), the few letters that carry their
/// accent in themselves spelled out (`ß` → `ss`, `ø` → `o`, …), and every run of whitespace or control
/// characters one space, none at either end. Punctuation stays: `o'brien` and `a_b` are matched as
/// written, never as patterns.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        for lower in c.to_lowercase().filter(|c| !is_combining_mark(*c)) {
            match spelled_out(lower) {
                Some(spelling) => out.push_str(spelling),
                None => out.push(lower),
            }
        }
    }
    out
}

/// A query in normal form, cut to `MAX_QUERY_CHARS`.
pub(super) fn normalize_query(raw: &str) -> String {
    let mut query: String = normalize(raw).chars().take(MAX_QUERY_CHARS).collect();
    query.truncate(query.trim_end().len());
    query
}

/// Letters with no decomposition whose base letter a user types instead (Latin letters only: other scripts
/// are matched as they are).
fn spelled_out(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'đ' | 'ð' => "d",
        'ħ' => "h",
        'ı' => "i",
        'ł' => "l",
        'ŧ' => "t",
        'þ' => "th",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_accents_and_spacing_are_ignored() {
        assert_eq!(normalize("Élodie  DUPRÉ"), "elodie dupre");
        assert_eq!(normalize("  Zoë\tÅngström\n"), "zoe angstrom");
        assert_eq!(normalize("Straße Øster Łódź"), "strasse oster lodz");
        assert_eq!(normalize("İstanbul ŞİŞLİ"), "istanbul sisli");
        assert_eq!(normalize("ﬁnn Ｍａｘ"), "finn max");
        assert_eq!(normalize("Nguyễn Thị"), "nguyen thi");
    }

    #[test]
    fn punctuation_and_other_scripts_are_kept() {
        assert_eq!(normalize("O'Brien"), "o'brien");
        assert_eq!(normalize("a_b%c\"d"), "a_b%c\"d");
        assert_eq!(normalize("Ёлка 東京"), "елка 東京");
        assert_eq!(normalize(" \u{7}\u{0} "), "");
    }

    #[test]
    fn queries_are_cut_to_a_bound() {
        let long = "é".repeat(100);
        assert_eq!(normalize_query(&long), "e".repeat(MAX_QUERY_CHARS));
        // A cut that lands on a space leaves no trailing space behind.
        let spaced = format!("{} b", "a".repeat(MAX_QUERY_CHARS - 1));
        assert_eq!(normalize_query(&spaced), "a".repeat(MAX_QUERY_CHARS - 1));
    }
}
