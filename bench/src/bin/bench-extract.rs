//! Main-content extraction on the WCXB development split: word-level F1 per page (the
//! dataset README's metric), overall and per page type, the share of `with` snippets found
//! and `without` snippets absent, and pages per second on one core (the whole per-page
//! analysis; decompression and scoring not counted), with the parse alone timed apart.
//! Prints one JSON object.
//! Usage: bench-extract DATASET_DIR [WORST_N]; with `EXTRACT_DUMP=DIR`, each page's
//! extracted text is written to `DIR/ID.txt` for reading beside its reference.

use std::{collections::BTreeMap, fs, io::Read, path::Path, time::Instant};

use serde_json::{Value, json};

#[derive(Default)]
struct Sums {
    pages: usize,
    precision: f64,
    recall: f64,
    f1: f64,
    with_found: usize,
    with_total: usize,
    without_absent: usize,
    without_total: usize,
}

impl Sums {
    fn add(&mut self, p: f64, r: f64, f: f64, with: (usize, usize), without: (usize, usize)) {
        self.pages += 1;
        self.precision += p;
        self.recall += r;
        self.f1 += f;
        self.with_found += with.0;
        self.with_total += with.1;
        self.without_absent += without.0;
        self.without_total += without.1;
    }

    fn json(&self) -> Value {
        let n = self.pages.max(1) as f64;
        json!({
            "pages": self.pages,
            "precision": self.precision / n,
            "recall": self.recall / n,
            "f1": self.f1 / n,
            "with_found": self.with_found as f64 / self.with_total.max(1) as f64,
            "without_absent": self.without_absent as f64 / self.without_total.max(1) as f64,
        })
    }
}

/// Lower-cased `\w+` tokens.
fn tokens(text: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for token in text
        .to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
    {
        *counts.entry(token.to_owned()).or_insert(0) += 1;
    }
    counts
}

fn scores(extracted: &str, reference: &str) -> (f64, f64, f64) {
    let (e, r) = (tokens(extracted), tokens(reference));
    let (ne, nr): (usize, usize) = (e.values().sum(), r.values().sum());
    if nr == 0 {
        let v = if ne == 0 { 1.0 } else { 0.0 };
        return (v, v, v);
    }
    if ne == 0 {
        return (0.0, 0.0, 0.0);
    }
    let overlap: usize = e
        .iter()
        .map(|(t, n)| (*n).min(r.get(t).copied().unwrap_or(0)))
        .sum();
    let p = overlap as f64 / ne as f64;
    let rc = overlap as f64 / nr as f64;
    let f = if p + rc == 0.0 {
        0.0
    } else {
        2.0 * p * rc / (p + rc)
    };
    (p, rc, f)
}

fn squash(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .expect("usage: bench-extract DATASET_DIR [WORST_N]");
    let worst_n: usize = args.next().map_or(Ok(0), |n| n.parse())?;
    let dir = Path::new(&dir);
    let dump = std::env::var_os("EXTRACT_DUMP");
    let mut names: Vec<_> = fs::read_dir(dir.join("ground-truth"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();

    let mut overall = Sums::default();
    let mut by_type: BTreeMap<String, Sums> = BTreeMap::new();
    let mut seconds = 0.0;
    let mut parse_seconds = 0.0;
    let mut bytes = 0usize;
    let mut per_page = Vec::new();
    // The dataset keeps no page addresses; main content does not need them.
    let base = url::Url::parse("https://page.test/")?;
    for name in &names {
        let id = name.trim_end_matches(".json");
        let truth: Value = serde_json::from_slice(&fs::read(dir.join("ground-truth").join(name))?)?;
        let mut html = String::new();
        let gz = fs::read(dir.join("html").join(format!("{id}.html.gz")))?;
        let mut decoder = flate2::read::GzDecoder::new(&gz[..]);
        let mut raw = Vec::new();
        decoder.read_to_end(&mut raw)?;
        html.push_str(&String::from_utf8_lossy(&raw));
        bytes += html.len();

        // The whole per-page analysis the pipeline runs (main content, Markdown, metadata,
        // language, category, FAQ, quality, hashes, channels, brand), as it is timed.
        let started = Instant::now();
        let page = onboard_worker::extract::analyse(&html, &base, None, &[]);
        seconds += started.elapsed().as_secs_f64();
        // The parse alone (the streaming pass and the DOM), timed apart for the breakdown.
        let started = Instant::now();
        std::hint::black_box(onboard_worker::extract::prepare(&html, &base, false));
        parse_seconds += started.elapsed().as_secs_f64();
        let content = page.content;

        let gt = &truth["ground_truth"];
        let reference = gt["main_content"].as_str().unwrap_or_default();
        let (p, r, f) = scores(&content.text, reference);
        if let Some(dump) = &dump {
            fs::write(Path::new(dump).join(format!("{id}.txt")), &content.text)?;
        }
        let extracted = squash(&content.text);
        let count = |key: &str, want_present: bool| {
            let snippets = gt[key].as_array().cloned().unwrap_or_default();
            let hits = snippets
                .iter()
                .filter_map(Value::as_str)
                .filter(|s| extracted.contains(&squash(s)) == want_present)
                .count();
            (hits, snippets.len())
        };
        let (with, without) = (count("with", true), count("without", false));
        let mut page_type = truth["_internal"]["page_type"]["primary"]
            .as_str()
            .unwrap_or("unknown")
            .to_owned();
        if page_type == "category" {
            page_type = "collection".into();
        }
        overall.add(p, r, f, with, without);
        by_type
            .entry(page_type.clone())
            .or_default()
            .add(p, r, f, with, without);
        per_page.push((f, p, r, id.to_owned(), page_type, content.source));
    }
    per_page.sort_by(|a, b| a.0.total_cmp(&b.0));
    let worst: Vec<Value> = per_page
        .iter()
        .take(worst_n)
        .map(|(f, p, r, id, t, s)| json!({"id": id, "type": t, "f1": f, "precision": p, "recall": r, "source": s}))
        .collect();
    println!(
        "{}",
        json!({
            "overall": overall.json(),
            "by_type": by_type.iter().map(|(t, s)| (t.clone(), s.json())).collect::<BTreeMap<_, _>>(),
            "seconds": seconds,
            "parse_seconds": parse_seconds,
            "pages_per_second": names.len() as f64 / seconds,
            "mb": bytes as f64 / 1e6,
            "worst": worst,
        })
    );
    Ok(())
}
