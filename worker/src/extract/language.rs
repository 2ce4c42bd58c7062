//! The page's language: what it declares (html lang, Content-Language) unless that is absent
//! or the text reliably says otherwise, detected with whatlang.

use serde::Serialize;

/// Texts shorter than this are not detected: too few trigrams to trust.
const MIN_DETECT_CHARS: usize = 80;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Language {
    /// ISO 639-1 where one exists (`en`), else ISO 639-3; a declared region is kept
    /// (`en-gb`) when the text agrees with the declaration.
    pub code: Option<String>,
    pub declared: Option<String>,
    pub detected: Option<String>,
    /// `declared`, `detected`, or `none`.
    pub source: &'static str,
}

pub fn decide(declared: Option<&str>, text: &str) -> Language {
    let declared = declared
        .and_then(|d| d.split(',').next())
        .map(|d| d.trim().to_ascii_lowercase().replace('_', "-"))
        .filter(|d| !d.is_empty() && d != "x-default");
    let detected = detect(text);
    let primary = declared
        .as_deref()
        .map(|d| d.split('-').next().unwrap_or(d));
    let (code, source) = match (&declared, &detected) {
        (Some(_), Some(found)) if primary != Some(found.as_str()) => {
            (Some(found.clone()), "detected")
        }
        (Some(d), _) => (Some(d.clone()), "declared"),
        (None, Some(found)) => (Some(found.clone()), "detected"),
        (None, None) => (None, "none"),
    };
    Language {
        code,
        declared,
        detected,
        source,
    }
}

/// The text's language when whatlang is sure of it.
pub fn detect(text: &str) -> Option<String> {
    if text.len() < MIN_DETECT_CHARS {
        return None;
    }
    // A few kilobytes decide the language; the whole of a long page only costs time.
    let sample = match text.char_indices().nth(4000) {
        Some((end, _)) => &text[..end],
        None => text,
    };
    let info = whatlang::detect(sample).filter(whatlang::Info::is_reliable)?;
    let code = info.lang().code();
    Some(iso_639_1(code).unwrap_or(code).to_owned())
}

/// ISO 639-1 for whatlang's ISO 639-3 codes.
fn iso_639_1(code: &str) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("afr", "af"),
        ("aka", "ak"),
        ("amh", "am"),
        ("ara", "ar"),
        ("aze", "az"),
        ("bel", "be"),
        ("ben", "bn"),
        ("bul", "bg"),
        ("cat", "ca"),
        ("ces", "cs"),
        ("cmn", "zh"),
        ("dan", "da"),
        ("deu", "de"),
        ("ell", "el"),
        ("eng", "en"),
        ("epo", "eo"),
        ("est", "et"),
        ("fin", "fi"),
        ("fra", "fr"),
        ("guj", "gu"),
        ("heb", "he"),
        ("hin", "hi"),
        ("hrv", "hr"),
        ("hun", "hu"),
        ("hye", "hy"),
        ("ind", "id"),
        ("ita", "it"),
        ("jav", "jv"),
        ("jpn", "ja"),
        ("kan", "kn"),
        ("kat", "ka"),
        ("khm", "km"),
        ("kor", "ko"),
        ("lat", "la"),
        ("lav", "lv"),
        ("lit", "lt"),
        ("mal", "ml"),
        ("mar", "mr"),
        ("mkd", "mk"),
        ("mya", "my"),
        ("nep", "ne"),
        ("nld", "nl"),
        ("nob", "nb"),
        ("ori", "or"),
        ("pan", "pa"),
        ("pes", "fa"),
        ("pol", "pl"),
        ("por", "pt"),
        ("ron", "ro"),
        ("rus", "ru"),
        ("sin", "si"),
        ("slk", "sk"),
        ("slv", "sl"),
        ("sna", "sn"),
        ("spa", "es"),
        ("srp", "sr"),
        ("swe", "sv"),
        ("tam", "ta"),
        ("tel", "te"),
        ("tgl", "tl"),
        ("tha", "th"),
        ("tuk", "tk"),
        ("tur", "tr"),
        ("ukr", "uk"),
        ("urd", "ur"),
        ("uzb", "uz"),
        ("vie", "vi"),
        ("yid", "yi"),
        ("zul", "zu"),
    ];
    TABLE
        .iter()
        .find(|(three, _)| *three == code)
        .map(|(_, two)| *two)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENGLISH: &str = "Our support team answers every question within one business day, \
        and the help centre explains how to set up your account, invite colleagues and pay.";
    const GERMAN: &str = "Unser Support-Team beantwortet jede Frage innerhalb eines Werktages, \
        und das Hilfezentrum erklärt, wie Sie Ihr Konto einrichten und Kollegen einladen.";

    #[test]
    fn declared_detected_or_corrected() {
        let l = decide(Some("en-GB"), ENGLISH);
        assert_eq!((l.code.as_deref(), l.source), (Some("en-gb"), "declared"));
        let l = decide(None, GERMAN);
        assert_eq!((l.code.as_deref(), l.source), (Some("de"), "detected"));
        // A template that says "en" over German text.
        let l = decide(Some("en"), GERMAN);
        assert_eq!((l.code.as_deref(), l.source), (Some("de"), "detected"));
        assert_eq!(l.declared.as_deref(), Some("en"));
        // Too little text to contradict the declaration.
        let l = decide(Some("fr"), "OK");
        assert_eq!((l.code.as_deref(), l.source), (Some("fr"), "declared"));
        assert_eq!(decide(None, "").source, "none");
    }
}
