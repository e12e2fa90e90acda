//! Captions and comments: bounded text, with the hashtags and @mentions found in it.

use super::ValidationError;

/// A post's caption, with its hashtags and mentions parsed once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Caption {
    pub text: String,
    /// Lowercase, without `#`, each once, in order of first appearance.
    pub hashtags: Vec<String>,
    /// Lowercase usernames, without `@`, each once, in order of first appearance.
    pub mentions: Vec<String>,
}

impl Caption {
    /// As Instagram allows.
    pub const MAX_CHARS: usize = 2200;
    /// More than this many tags or mentions in one caption is spam, not a caption.
    pub const MAX_TAGS: usize = 30;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let text = checked_text("caption", raw, Lines::Many, 0, Self::MAX_CHARS)?;
        let hashtags = words_after('#', &text, 100);
        let mentions = words_after('@', &text, 30)
            .into_iter()
            .filter(|name| name.len() >= 3)
            .collect::<Vec<_>>();
        if hashtags.len() > Self::MAX_TAGS || mentions.len() > Self::MAX_TAGS {
            return Err(ValidationError::new(
                "caption",
                format!(
                    "may hold at most {} hashtags and {} mentions",
                    Self::MAX_TAGS,
                    Self::MAX_TAGS
                ),
            ));
        }
        Ok(Self {
            text,
            hashtags,
            mentions,
        })
    }
}

/// A comment's text: 1 to 1000 characters, mentions parsed like a caption's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentText {
    pub text: String,
    pub mentions: Vec<String>,
}

impl CommentText {
    pub const MAX_CHARS: usize = 1000;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let text = checked_text("text", raw, Lines::Many, 1, Self::MAX_CHARS)?;
        let mentions = words_after('@', &text, 30)
            .into_iter()
            .filter(|name| name.len() >= 3)
            .take(Caption::MAX_TAGS)
            .collect();
        Ok(Self { text, mentions })
    }
}

/// Whether a text may span lines: multi-line texts (captions, comments, bios) may hold `\n` and `\t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

impl Lines {
    /// The rule as a regular expression, for the OpenAPI document (it must accept exactly what
    /// `checked_text` does, length aside): no C0 or C1 control characters, but newlines and tabs in
    /// multi-line texts.
    pub const ONE_PATTERN: &'static str = r"^[^\x00-\x1f\x7f-\x9f]*$";
    pub const MANY_PATTERN: &'static str = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$";
}

/// `raw` as given, if it has `min..=max` characters and no control characters (but newlines and tabs in
/// multi-line texts). Texts are kept as written: what the document's pattern accepts is stored.
pub fn checked_text(
    field: &'static str,
    raw: &str,
    lines: Lines,
    min: usize,
    max: usize,
) -> Result<String, ValidationError> {
    let chars = raw.chars().count();
    if chars < min || chars > max {
        return Err(ValidationError::new(
            field,
            format!("must be {min} to {max} characters"),
        ));
    }
    let allowed = |c: char| lines == Lines::Many && (c == '\n' || c == '\t');
    if raw.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(raw.to_owned())
}

/// The words that follow `sigil` (letters, digits, `_`; at most `max_len` characters), lowercased, each
/// once. A sigil inside a word (`a#b`, `mail@example.org`) starts nothing.
fn words_after(sigil: char, text: &str, max_len: usize) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut previous: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let starts_word = previous.is_none_or(|p| !(p.is_alphanumeric() || p == '_'));
        previous = Some(c);
        if c != sigil || !starts_word {
            continue;
        }
        let body_start = start + c.len_utf8();
        let mut end = body_start;
        while let Some(&(i, next)) = chars.peek() {
            if next.is_alphanumeric() || next == '_' {
                end = i + next.len_utf8();
                previous = Some(next);
                chars.next();
            } else {
                break;
            }
        }
        let word = text[body_start..end].to_lowercase();
        if !word.is_empty() && word.chars().count() <= max_len && !found.contains(&word) {
            found.push(word);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtags_and_mentions_are_found_once_in_order() {
        let caption = Caption::parse(
            "  Sunset with @Ada and @bob_1 #Sunset #sea #sunset mail@example.org a#b @x ",
        )
        .unwrap();
        assert_eq!(
            caption.text,
            "  Sunset with @Ada and @bob_1 #Sunset #sea #sunset mail@example.org a#b @x ",
            "kept as written"
        );
        assert_eq!(caption.hashtags, ["sunset", "sea"]);
        // `@x` is too short to be a username; an email address is not a mention.
        assert_eq!(caption.mentions, ["ada", "bob_1"]);
    }

    #[test]
    fn the_patterns_state_the_rule() {
        // The document's patterns must accept what `checked_text` accepts and nothing else.
        let one = class_accepts(Lines::ONE_PATTERN);
        let many = class_accepts(Lines::MANY_PATTERN);
        for c in ['\u{0}', '\u{1f}', '\u{7f}', '\u{85}', '\u{9f}'] {
            assert!(!one(c) && !many(c), "{c:?}");
        }
        assert!(!one('\n') && many('\n') && many('\t'));
        assert!(one('a') && one('\u{a0}') && many('é'));
    }

    /// Whether the pattern's one character class `[^…]` accepts `c` (the patterns are of that one form).
    fn class_accepts(pattern: &'static str) -> impl Fn(char) -> bool {
        let class = pattern
            .trim_start_matches("^[^")
            .trim_end_matches("]*$")
            .to_owned();
        let mut ranges = Vec::new();
        let parts: Vec<&str> = class.split("\\x").filter(|p| !p.is_empty()).collect();
        let mut i = 0;
        while i < parts.len() {
            let start = u32::from_str_radix(&parts[i][..2], 16).unwrap();
            if parts[i].ends_with('-') {
                let end = u32::from_str_radix(&parts[i + 1][..2], 16).unwrap();
                ranges.push(start..=end);
                i += 2;
            } else {
                ranges.push(start..=start);
                i += 1;
            }
        }
        move |c: char| !ranges.iter().any(|r| r.contains(&(c as u32)))
    }

    #[test]
    fn captions_and_comments_are_bounded() {
        assert!(Caption::parse("").is_ok());
        assert!(Caption::parse(&"x".repeat(2201)).is_err());
        assert!(Caption::parse("bell\u{7}").is_err());
        assert!(CommentText::parse("").is_err());
        assert!(CommentText::parse("line one\nline two").is_ok());
        assert!(CommentText::parse("c1 \u{85} control").is_err());
        assert_eq!(CommentText::parse("nice @Ada!").unwrap().mentions, ["ada"]);
    }
}
