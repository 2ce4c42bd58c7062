//! The page's HTML. Figures carry `data-*` names matching the ops API's fields, so what
//! the page shows can be checked against what the API answers.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};
use onboard_shared::maintenance::Report;
use poem::http::StatusCode;
use serde_json::Value;

use super::{
    EndpointDeliveries, Overview, RecentRun,
    charts::{self, percent},
};
use onboard_shared::{entities::webhook_delivery::DeliveryStatus, webhooks::endpoints};

fn layout(title: &str, signed_in: bool, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Onboard" }
                link rel="stylesheet" href="/ops/static/ops.css";
                @if signed_in {
                    script src="/ops/static/ops.js" defer {}
                }
            }
            body { (body) }
        }
    }
}

pub fn login(problem: Option<&str>) -> Markup {
    layout(
        "Sign in",
        false,
        html! {
            main {
                section.login {
                    h1 { "Onboard operations" }
                    @if let Some(problem) = problem {
                        p.flash.error role="alert" { (problem) }
                    }
                    form method="post" action="/ops/login" {
                        label for="token" { "Admin token" }
                        input #token type="password" name="token" autocomplete="current-password" required;
                        button type="submit" { "Sign in" }
                    }
                    p.muted { "The token is ONBOARD_ADMIN_TOKEN; this browser keeps the session until it closes." }
                }
            }
        },
    )
}

pub fn error(status: StatusCode, message: &str) -> Markup {
    layout(
        "Error",
        false,
        html! {
            main {
                section {
                    h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("Error")) }
                    p.error { (message) }
                    p { a href="/ops" { "Back to the operators' page" } }
                }
            }
        },
    )
}

pub fn dashboard(data: &Overview, started: Option<i64>, redelivered: Option<i64>) -> Markup {
    let now = Utc::now();
    layout(
        "Operations",
        true,
        html! {
            header {
                h1 { "Onboard operations" }
                span #updated .muted { "Updated " (now.format("%H:%M:%S UTC")) }
                a href="/ops" { "Refresh" }
                form method="post" action="/ops/logout" {
                    button.secondary type="submit" { "Sign out" }
                }
            }
            main {
                @if let Some(id) = started {
                    p.flash role="status" { "Maintenance run #" (id) " queued; its report appears below when it finishes." }
                }
                @if let Some(id) = redelivered {
                    p.flash role="status" { "Webhook delivery #" (id) " is pending again; it goes out within a second or so." }
                }
                div #data {
                    (queues(data))
                    (maintenance(data))
                    (analysis_runs(&data.analysis_runs, now))
                    (funnel(data))
                    (completion(data))
                    (webhooks(data, now))
                    (flags(data))
                }
            }
        },
    )
}

fn queues(data: &Overview) -> Markup {
    html! {
        section #queues {
            h2 { "Queues " span.muted { "(" (data.queues.backend.as_str()) ")" } }
            div.scroll {
                table {
                    thead { tr {
                        th { "Queue" } th.num { "Waiting" } th.num { "Running" }
                        th.num { "Failed" } th.num { "Dead" } th.num { "Oldest waiting" }
                    } }
                    tbody {
                        @for q in &data.queues.queues {
                            tr data-queue=(q.name.as_str()) {
                                td { (q.name.as_str()) }
                                td.num data-field="waiting" { (q.waiting) }
                                td.num data-field="running" { (q.running) }
                                td.num data-field="failed" { (q.failed) }
                                td.num data-field="dead" { (q.dead) }
                                td.num { (q.oldest_waiting_seconds.map(seconds).unwrap_or_else(|| "–".into())) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn maintenance(data: &Overview) -> Markup {
    html! {
        section #maintenance {
            h2 { "Maintenance runs" }
            div.actions {
                form method="post" action="/ops/jobs/cleanup" {
                    button type="submit" { "Run cleanup now" }
                }
                form method="post" action="/ops/jobs/monitor" {
                    button type="submit" { "Run monitor now" }
                }
            }
            @if data.maintenance_runs.is_empty() {
                p.muted { "None yet." }
            } @else {
                div.scroll {
                    table {
                        thead { tr {
                            th { "Run" } th { "Kind" } th { "Trigger" } th { "Status" }
                            th { "Queued" } th { "Report" }
                        } }
                        tbody {
                            @for run in &data.maintenance_runs {
                                tr data-run=(run.id) data-kind=(run.kind.as_str()) data-status=(run.status.as_str()) {
                                    td.num { "#" (run.id) }
                                    td { (run.kind.as_str()) }
                                    td { (run.trigger.as_str()) }
                                    td class=(format!("status-{}", run.status.as_str())) { (run.status.as_str()) }
                                    td { (time(run.queued_at)) }
                                    td {
                                        @if let Some(error) = &run.error {
                                            p.error { (error) }
                                        }
                                        (report(run.report.as_ref()))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn report(report: Option<&Report>) -> Markup {
    let stored = report.map(Report::to_value);
    html! {
        @if let Some(fields) = stored.as_ref().and_then(Value::as_object) {
            dl.report {
                @for (name, value) in fields {
                    dt { (name) }
                    dd data-report=(name) { (match value {
                        Value::Null => "–".to_owned(),
                        Value::Number(n) => n.as_f64().filter(|f| f.fract() != 0.0)
                            .map_or_else(|| n.to_string(), |f| format!("{f:.3}")),
                        v => v.to_string(),
                    }) }
                }
            }
        }
    }
}

fn analysis_runs(runs: &[RecentRun], now: DateTime<Utc>) -> Markup {
    html! {
        section #runs {
            h2 { "Recent analysis runs" }
            @if runs.is_empty() {
                p.muted { "None yet." }
            } @else {
                div.scroll {
                    table {
                        thead { tr {
                            th { "Run" } th { "Site" } th { "Status" } th { "Queued" }
                            th.num { "Duration" } th.num { "Pages" } th { "Error" }
                        } }
                        tbody {
                            @for RecentRun { run, domain } in runs {
                                tr data-analysis=(run.id) data-status=(run.status) {
                                    td.num { "#" (run.id) }
                                    td { (domain.as_deref().unwrap_or("–")) }
                                    td class=(format!("status-{}", run.status)) { (run.status) }
                                    td { (time(run.queued_at)) }
                                    td.num { (run.started_at.map(|s| seconds((run.completed_at.unwrap_or(now) - s).num_seconds().max(0) as u64)).unwrap_or_else(|| "–".into())) }
                                    td.num { (run.pages_crawled) " / " (run.pages_discovered) }
                                    // Operators see the technical reason; the guest saw the message.
                                    td.error { (run.error_detail.as_deref().or(run.error_message.as_deref()).unwrap_or("")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn funnel(data: &Overview) -> Markup {
    let f = &data.funnel;
    html! {
        section #funnel {
            h2 { "Onboarding funnel " span.muted { (f.from) " to " (f.to) } }
            (charts::funnel(&f.stages))
            div.scroll {
                table {
                    thead { tr { th { "Stage" } th.num { "Guests" } th.num { "Of started" } th.num { "Dropped off here" } } }
                    tbody {
                        @for s in &f.stages {
                            tr data-stage=(s.stage.as_str()) {
                                td { (s.stage.as_str()) }
                                td.num data-field="guests" { (s.guests) }
                                td.num { (s.conversion.map(percent).unwrap_or_else(|| "–".into())) }
                                td.num data-field="dropOff" { (s.drop_off) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn completion(data: &Overview) -> Markup {
    html! {
        section #completion {
            h2 { "Completion rate by day " span.muted { (data.funnel.from) " to " (data.funnel.to) } }
            p.muted { "Of the guests whose onboarding ended that day, the share that completed (the rest were marked abandoned)." }
            (charts::completion(&data.days, data.funnel.from.0, data.funnel.to.0))
        }
    }
}

fn webhooks(data: &Overview, now: DateTime<Utc>) -> Markup {
    html! {
        section #webhooks {
            h2 { "Webhook endpoints" }
            @if data.webhooks.is_empty() {
                p.muted { "None registered; add one with POST /api/ops/webhooks." }
            }
            @for EndpointDeliveries { endpoint, deliveries } in &data.webhooks {
                article.endpoint data-endpoint=(endpoint.id) data-enabled=(endpoint.enabled) {
                    h3 { "#" (endpoint.id) " " code { (endpoint.url) } }
                    p {
                        (if endpoint.enabled { "Enabled" } else { "Disabled" })
                        " · " (endpoint.format.as_str())
                        " · " (endpoints::event_types(endpoint).map_or_else(
                            || "every event".to_owned(),
                            |types| types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", "),
                        ))
                        " · " span data-field="consecutiveFailures" { (endpoint.consecutive_failures) } " failed in a row"
                        @if !endpoint.description.is_empty() { " · " (endpoint.description) }
                    }
                    @if let Some(reason) = &endpoint.disabled_reason {
                        p.error { (reason) }
                    }
                    @if deliveries.is_empty() {
                        p.muted { "No deliveries yet." }
                    } @else {
                        div.scroll {
                            table {
                                thead { tr {
                                    th { "Delivery" } th { "Event" } th { "Status" } th.num { "Attempts" }
                                    th { "Next attempt" } th.num { "Last code" } th { "Last answer" } th {}
                                } }
                                tbody {
                                    @for l in deliveries {
                                        @let d = &l.delivery;
                                        tr data-delivery=(d.id) data-status=(d.status.as_str()) {
                                            td.num { "#" (d.id) }
                                            td { (l.event_type) }
                                            td class=(format!("status-{}", d.status.as_str())) { (d.status.as_str()) }
                                            td.num data-field="attempts" { (d.attempts) }
                                            td { (if d.status == DeliveryStatus::Pending {
                                                seconds((d.next_attempt_at - now).num_seconds().max(0) as u64)
                                            } else { "–".to_owned() }) }
                                            td.num { (d.last_status_code.map_or_else(|| "–".to_owned(), |c| c.to_string())) }
                                            // Response bodies are the receiver's text: shown escaped, cut short.
                                            td.error { (excerpt(d.last_error.as_deref().or(d.last_response.as_deref()).unwrap_or(""))) }
                                            td {
                                                @if d.status != DeliveryStatus::Sending {
                                                    form method="post" action=(format!("/ops/webhook-deliveries/{}/redeliver", d.id)) {
                                                        button.secondary type="submit" { "Redeliver" }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn flags(data: &Overview) -> Markup {
    html! {
        section #flags {
            h2 { "Feature flags" }
            p.muted { "Change them with PUT /api/ops/flags/{name}; every api replica sees a change within a second or two." }
            div.scroll {
                table {
                    thead { tr {
                        th { "Flag" } th { "Enabled" } th.num { "Rollout" } th { "Always on" }
                        th { "Always off" } th { "Updated" }
                    } }
                    tbody {
                        @for f in &data.flags {
                            tr data-flag=(f.name) data-enabled=(f.enabled) {
                                td { code { (f.name) } @if f.kill_switch { " " span.muted { "(kill switch)" } } br; span.muted { (f.description) } }
                                td class=(if f.enabled { "status-succeeded" } else { "status-failed" }) { (if f.enabled { "on" } else { "off" }) }
                                td.num { (f.rollout_percentage) " %" }
                                td { (f.on_domains.join(", ")) }
                                td { (f.off_domains.join(", ")) }
                                td { (time(f.updated_at)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn excerpt(text: &str) -> String {
    const SHOWN: usize = 160;
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn seconds(s: u64) -> String {
    match s {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
    }
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}
