//! Inline SVG charts: drawn on the server, so they need no script and no image requests.

use chrono::NaiveDate;
use maud::{Markup, html};

use crate::routes::analytics::{DailyStats, FunnelStage};

const WIDTH: f64 = 640.0;

/// One horizontal bar per stage, its length the guests who reached it.
pub fn funnel(stages: &[FunnelStage]) -> Markup {
    let row = 34.0;
    let (label_w, value_w) = (90.0, 110.0);
    let bar_max = WIDTH - label_w - value_w;
    let most = stages.iter().map(|s| s.guests).max().unwrap_or(0).max(1) as f64;
    let height = row * stages.len() as f64 + 8.0;
    html! {
        svg viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-label="Onboarding funnel" {
            @for (i, s) in stages.iter().enumerate() {
                @let y = 4.0 + row * i as f64;
                @let w = (s.guests as f64 / most * bar_max).max(if s.guests > 0 { 2.0 } else { 0.0 });
                g {
                    title { (s.stage.as_str()) ": " (s.guests) " guests" }
                    text x="0" y=(y + row * 0.6) { (s.stage.as_str()) }
                    rect.bar x=(label_w) y=(y + 4.0) width=(fmt(w)) height=(row - 10.0) rx="3" {}
                    text x=(fmt(label_w + w + 6.0)) y=(y + row * 0.6) {
                        (s.guests)
                        @if let Some(c) = s.conversion { " (" (percent(c)) ")" }
                    }
                }
            }
        }
    }
}

/// One bar per day of the range, its height the day's completion rate; a day with no
/// ended onboarding has no bar.
pub fn completion(days: &[DailyStats], from: NaiveDate, to: NaiveDate) -> Markup {
    let (left, bottom, top, height) = (40.0, 24.0, 8.0, 180.0);
    let plot_h = height - bottom - top;
    let count = (to - from).num_days().max(0) as usize + 1;
    let slot = (WIDTH - left) / count as f64;
    html! {
        svg viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-label="Completion rate by day" {
            @for pct in [0u32, 50, 100] {
                @let y = top + plot_h * (1.0 - f64::from(pct) / 100.0);
                line.axis x1=(left) x2=(WIDTH) y1=(fmt(y)) y2=(fmt(y)) {}
                text x="0" y=(fmt(y + 4.0)) { (pct) "%" }
            }
            @for (i, day) in from.iter_days().take(count).enumerate() {
                @let x = left + slot * i as f64;
                @if let Some(stats) = days.iter().find(|d| d.day.0 == day)
                    && let Some(rate) = stats.completion_rate {
                    @let h = plot_h * rate;
                    g {
                        title { (day) ": " (percent(rate)) " (" (stats.completed) " completed, " (stats.completed + stats.abandoned()) " ended)" }
                        rect.bar x=(fmt(x + slot * 0.15)) y=(fmt(top + plot_h - h)) width=(fmt(slot * 0.7)) height=(fmt(h.max(1.0))) data-day=(day) data-rate=(rate) {}
                    }
                }
                @if i % 7 == 0 || day == to {
                    text x=(fmt(x)) y=(fmt(height - 6.0)) { (day.format("%m-%d")) }
                }
            }
        }
    }
}

/// Coordinates to one decimal: shorter markup, no visible difference.
fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

/// A rate as a whole percentage.
pub fn percent(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

#[cfg(test)]
mod tests {
    use chrono::Days;

    use super::*;

    #[test]
    fn the_completion_chart_has_a_bar_per_day_with_a_rate() {
        let from = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let to = from + Days::new(6);
        let day = |d: NaiveDate, rate: Option<f64>| DailyStats {
            day: crate::day::Day(d),
            completion_rate: rate,
            ..crate::routes::analytics::tests::empty_day(d)
        };
        let days = [day(from, Some(0.5)), day(from + Days::new(2), None)];
        let svg = completion(&days, from, to).into_string();
        assert_eq!(svg.matches("data-rate=").count(), 1, "{svg}");
        assert!(svg.contains("data-day=\"2026-11-01\" data-rate=\"0.5\""));
    }
}
