//! How search cuts text into terms: Unicode words, lower-cased, stemmed in the site's
//! language, so "Refunds" finds "refund". Pages and queries go through the same cut.

use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

pub struct Words {
    stemmer: Option<Stemmer>,
}

impl Words {
    /// For an ISO 639-1 code such as `en` or `de-ch`; a language without a stemmer is only
    /// lower-cased.
    pub fn for_language(code: Option<&str>) -> Self {
        let primary = code
            .and_then(|c| c.split(['-', '_']).next())
            .unwrap_or("en")
            .to_ascii_lowercase();
        let algorithm = match primary.as_str() {
            "ar" => Some(Algorithm::Arabic),
            "da" => Some(Algorithm::Danish),
            "nl" => Some(Algorithm::Dutch),
            "en" => Some(Algorithm::English),
            "fi" => Some(Algorithm::Finnish),
            "fr" => Some(Algorithm::French),
            "de" => Some(Algorithm::German),
            "el" => Some(Algorithm::Greek),
            "hu" => Some(Algorithm::Hungarian),
            "it" => Some(Algorithm::Italian),
            "no" | "nb" | "nn" => Some(Algorithm::Norwegian),
            "pt" => Some(Algorithm::Portuguese),
            "ro" => Some(Algorithm::Romanian),
            "ru" => Some(Algorithm::Russian),
            "es" => Some(Algorithm::Spanish),
            "sv" => Some(Algorithm::Swedish),
            "ta" => Some(Algorithm::Tamil),
            "tr" => Some(Algorithm::Turkish),
            _ => None,
        };
        Words {
            stemmer: algorithm.map(Stemmer::create),
        }
    }

    /// The terms of `text`, in order, repeats kept.
    pub fn terms<'a>(&'a self, text: &'a str) -> impl Iterator<Item = String> + 'a {
        text.unicode_words().map(move |word| {
            let lower = word.to_lowercase();
            match &self.stemmer {
                Some(stemmer) => stemmer.stem(&lower).into_owned(),
                None => lower,
            }
        })
    }
}

impl bm25::Tokenizer for Words {
    fn tokenize(&self, text: &str) -> Vec<String> {
        self.terms(text).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_cased_and_stemmed_in_the_sites_language() {
        let en = Words::for_language(Some("en-GB"));
        assert_eq!(
            en.terms("Refunds, REFUNDING & shipping-costs")
                .collect::<Vec<_>>(),
            ["refund", "refund", "ship", "cost"]
        );
        let de = Words::for_language(Some("de"));
        assert_eq!(de.terms("Rückgaben").collect::<Vec<_>>(), ["ruckgab"]);
        let unknown = Words::for_language(Some("ja"));
        assert_eq!(
            unknown.terms("返品 Policy").collect::<Vec<_>>(),
            ["返", "品", "policy"]
        );
    }
}
