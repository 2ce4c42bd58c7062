//! The operators' analytics (admin token): the onboarding funnel and the daily aggregates
//! over a range of days, as JSON or, with `Accept: text/csv`, as CSV of the same content.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate, Utc};
use onboard_shared::entities::daily_stat::{self, ratio};
use poem::{FromRequest, Request, web::Data};
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi, ResponseContent, param::Query, payload::PlainText,
    types::ToJSON,
};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

use super::Tag;
use crate::{
    admin::AdminToken,
    day::Day,
    error::{ApiError, ErrorCode, operation_errors},
    json::Json,
    state::AppState,
};

operation_errors!(RangeErrors {
    bad_request: "`invalid_from`, `invalid_to`: not a day written `YYYY-MM-DD`; \
                  `invalid_range`: `from` is after `to`; `range_too_long`: the range spans \
                  more than 366 days.",
    Unauthorized = 401: "`unauthorized`: no bearer token was sent.",
    Forbidden = 403: "`invalid_admin_token`: the bearer token is not the admin token; \
                      `ops_disabled`: the service has no admin token, so the ops API is off.",
});

#[derive(Default)]
pub struct AnalyticsApi;

/// Days shown when the range is not given: the last 30, today included.
pub const DEFAULT_DAYS: u64 = 30;
/// The longest range one request may ask for.
pub const MAX_DAYS: i64 = 366;

/// A range of UTC days, both ends included.
#[derive(Clone, Copy, Debug)]
pub struct DayRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DayRange {
    /// The given ends, or the last [`DEFAULT_DAYS`] up to `to` (default today).
    pub fn new(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Self, ApiError> {
        let to = to.unwrap_or_else(|| Utc::now().date_naive());
        let from = from.unwrap_or(to - Days::new(DEFAULT_DAYS - 1));
        if from > to {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidRange,
                format!("from ({from}) is after to ({to}); give the earlier day as from."),
            ));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(ApiError::bad_request(
                ErrorCode::RangeTooLong,
                format!(
                    "The range from {from} to {to} spans {} days; at most {MAX_DAYS} are accepted.",
                    (to - from).num_days() + 1
                ),
            ));
        }
        Ok(Self { from, to })
    }
}

/// One day of onboarding analytics. Counts are of what happened that day (UTC).
#[derive(Object, Clone, Debug)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct DailyStats {
    pub day: Day,
    /// Events of every type.
    pub events: i64,
    /// Distinct guests with an event.
    pub distinct_guests: i64,
    /// Guests who started onboarding (their session was created).
    pub started: i64,
    /// Guests who reached the design step for the first time.
    pub reached_design: i64,
    pub reached_content: i64,
    pub reached_contact: i64,
    pub completed: i64,
    /// Guests marked abandoned (idle past the threshold, not completed), by the step they
    /// were last at: the drop-off per step.
    pub abandoned_at_start: i64,
    pub abandoned_at_design: i64,
    pub abandoned_at_content: i64,
    pub abandoned_at_contact: i64,
    /// Completed over completed plus abandoned; absent when neither happened.
    pub completion_rate: Option<f64>,
    /// Seconds from first activity to completion: median and 90th percentile.
    pub complete_seconds_median: Option<f64>,
    pub complete_seconds_p90: Option<f64>,
    pub analyses_started: i64,
    pub analyses_succeeded: i64,
    pub analyses_failed: i64,
    pub analyses_cancelled: i64,
    /// Succeeded over succeeded plus failed; absent when none ended so.
    pub analysis_success_rate: Option<f64>,
    /// Median seconds of a successful analysis.
    pub analysis_seconds_median: Option<f64>,
    /// Events by type.
    pub events_by_type: BTreeMap<String, i64>,
}

impl DailyStats {
    /// Guests whose onboarding ended this day without completing.
    pub fn abandoned(&self) -> i64 {
        self.abandoned_at_start
            + self.abandoned_at_design
            + self.abandoned_at_content
            + self.abandoned_at_contact
    }
}

impl From<daily_stat::Model> for DailyStats {
    fn from(row: daily_stat::Model) -> Self {
        DailyStats {
            completion_rate: row.completion_rate(),
            analysis_success_rate: row.analysis_success_rate(),
            events_by_type: serde_json::from_value(row.events_by_type.clone()).unwrap_or_default(),
            day: Day(row.day),
            events: row.events,
            distinct_guests: row.distinct_guests,
            started: row.started,
            reached_design: row.reached_design,
            reached_content: row.reached_content,
            reached_contact: row.reached_contact,
            completed: row.completed,
            abandoned_at_start: row.abandoned_at_start,
            abandoned_at_design: row.abandoned_at_design,
            abandoned_at_content: row.abandoned_at_content,
            abandoned_at_contact: row.abandoned_at_contact,
            complete_seconds_median: row.complete_seconds_median,
            complete_seconds_p90: row.complete_seconds_p90,
            analyses_started: row.analyses_started,
            analyses_succeeded: row.analyses_succeeded,
            analyses_failed: row.analyses_failed,
            analyses_cancelled: row.analyses_cancelled,
            analysis_seconds_median: row.analysis_seconds_median,
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct DailyStatsList {
    pub from: Day,
    pub to: Day,
    /// One entry per aggregated day, oldest first; a day not aggregated yet (or before
    /// analytics began) is absent.
    pub days: Vec<DailyStats>,
}

/// The stages of the onboarding funnel, in order.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum Stage {
    Started,
    Design,
    Content,
    Contact,
    Completed,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Started => "started",
            Stage::Design => "design",
            Stage::Content => "content",
            Stage::Contact => "contact",
            Stage::Completed => "completed",
        }
    }
}

/// One stage of the funnel over the range.
#[derive(Object, Clone, Debug)]
#[oai(rename_all = "camelCase", skip_serializing_if_is_none)]
pub struct FunnelStage {
    pub stage: Stage,
    /// Guests who reached the stage in the range (first reach; each guest once).
    pub guests: i64,
    /// `guests` over the guests who started; absent when none started.
    pub conversion: Option<f64>,
    /// Guests marked abandoned in the range while at this stage.
    pub drop_off: i64,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct Funnel {
    pub from: Day,
    pub to: Day,
    /// In order: started, design, content, contact, completed.
    pub stages: Vec<FunnelStage>,
}

#[derive(ResponseContent)]
pub enum DailyBody {
    Json(Json<DailyStatsList>),
    /// One row per day; a column per event type seen (`eventsByType.<type>`).
    #[oai(content_type = "text/csv; charset=utf-8")]
    Csv(PlainText<String>),
}

#[derive(ResponseContent)]
pub enum FunnelBody {
    Json(Json<Funnel>),
    /// One row per stage.
    #[oai(content_type = "text/csv; charset=utf-8")]
    Csv(PlainText<String>),
}

#[derive(ApiResponse)]
pub enum DailyResponse {
    /// The days' aggregates.
    #[oai(status = 200)]
    Ok(DailyBody),
}

#[derive(ApiResponse)]
pub enum FunnelResponse {
    /// The funnel.
    #[oai(status = 200)]
    Ok(FunnelBody),
}

#[OpenApi(tag = "Tag::Ops")]
impl AnalyticsApi {
    /// The onboarding funnel over a range of days
    ///
    /// Guests who started, reached each step and completed, and where they dropped off.
    /// JSON, or CSV with `Accept: text/csv`.
    #[oai(path = "/api/ops/funnel", method = "get", operation_id = "getFunnel")]
    async fn funnel(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        req: &Request,
        /// First day (UTC, `YYYY-MM-DD`); default 29 days before `to`.
        from: Query<Option<Day>>,
        /// Last day (UTC, `YYYY-MM-DD`), included; default today.
        to: Query<Option<Day>>,
    ) -> Result<FunnelResponse, RangeErrors> {
        auth.check(&state)?;
        let range = DayRange::new(from.0.map(|d| d.0), to.0.map(|d| d.0))?;
        let funnel = funnel(&stored_days(&state.db, range).await?, range);
        Ok(FunnelResponse::Ok(if wants_csv(req).await {
            FunnelBody::Csv(PlainText(csv_of(&funnel.stages, "stage")))
        } else {
            FunnelBody::Json(Json(funnel))
        }))
    }

    /// Daily onboarding aggregates over a range of days
    ///
    /// One entry per day: events, guests per step, completions and drop-off, analyses.
    /// JSON, or CSV with `Accept: text/csv`.
    #[oai(
        path = "/api/ops/stats/daily",
        method = "get",
        operation_id = "getDailyStats"
    )]
    async fn daily(
        &self,
        state: Data<&AppState>,
        auth: AdminToken,
        req: &Request,
        /// First day (UTC, `YYYY-MM-DD`); default 29 days before `to`.
        from: Query<Option<Day>>,
        /// Last day (UTC, `YYYY-MM-DD`), included; default today.
        to: Query<Option<Day>>,
    ) -> Result<DailyResponse, RangeErrors> {
        auth.check(&state)?;
        let range = DayRange::new(from.0.map(|d| d.0), to.0.map(|d| d.0))?;
        let days = stored_days(&state.db, range).await?;
        Ok(DailyResponse::Ok(if wants_csv(req).await {
            DailyBody::Csv(PlainText(csv_of(&days, "day")))
        } else {
            DailyBody::Json(Json(DailyStatsList {
                from: Day(range.from),
                to: Day(range.to),
                days,
            }))
        }))
    }
}

/// The aggregated days of the range, oldest first.
pub async fn stored_days(
    db: &DatabaseConnection,
    range: DayRange,
) -> Result<Vec<DailyStats>, DbErr> {
    Ok(daily_stat::Entity::find()
        .filter(daily_stat::Column::Day.between(range.from, range.to))
        .order_by_asc(daily_stat::Column::Day)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The funnel is the sum of the days: each guest starts, first reaches a step, completes
/// and is marked abandoned once, so the days add up without counting anyone twice.
pub fn funnel(days: &[DailyStats], range: DayRange) -> Funnel {
    let sum = |f: fn(&DailyStats) -> i64| days.iter().map(f).sum::<i64>();
    let started = sum(|d| d.started);
    let stages = [
        (Stage::Started, started, sum(|d| d.abandoned_at_start)),
        (
            Stage::Design,
            sum(|d| d.reached_design),
            sum(|d| d.abandoned_at_design),
        ),
        (
            Stage::Content,
            sum(|d| d.reached_content),
            sum(|d| d.abandoned_at_content),
        ),
        (
            Stage::Contact,
            sum(|d| d.reached_contact),
            sum(|d| d.abandoned_at_contact),
        ),
        (Stage::Completed, sum(|d| d.completed), 0),
    ];
    Funnel {
        from: Day(range.from),
        to: Day(range.to),
        stages: stages
            .into_iter()
            .map(|(stage, guests, drop_off)| FunnelStage {
                stage,
                guests,
                conversion: ratio(guests, started),
                drop_off,
            })
            .collect(),
    }
}

/// Whether the client prefers CSV to JSON (`Accept`, by quality); JSON otherwise.
async fn wants_csv(req: &Request) -> bool {
    let accept = poem::web::Accept::from_request_without_body(req)
        .await
        .map(|a| a.0)
        .unwrap_or_default();
    accept.iter().map(|m| m.essence_str()).find(|m| {
        matches!(
            *m,
            "text/csv" | "application/json" | "*/*" | "application/*"
        )
    }) == Some("text/csv")
}

/// Rows as CSV, columns named as in the JSON: `first` (the row's key), then each field one
/// column, then an object field one column per key (`eventsByType.step.viewed`); absent
/// values empty.
pub fn csv_of<T: ToJSON>(rows: &[T], first: &str) -> String {
    let rows: Vec<Vec<(String, String)>> = rows
        .iter()
        .map(|row| flatten(row.to_json().unwrap_or(Value::Null)))
        .collect();
    let mut columns: Vec<String> = Vec::new();
    for row in &rows {
        for (name, _) in row {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
    }
    // The row's key first, then the fields by name, then the object fields' keys by name.
    columns.sort_by_key(|c| (c != first, c.contains('.'), c.clone()));
    if columns.is_empty() {
        return String::new();
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    out.write_record(&columns).ok();
    for row in &rows {
        let cell = |c: &String| {
            row.iter()
                .find(|(name, _)| name == c)
                .map_or("", |(_, v)| v.as_str())
        };
        out.write_record(columns.iter().map(cell)).ok();
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn flatten(value: Value) -> Vec<(String, String)> {
    let Value::Object(fields) = value else {
        return Vec::new();
    };
    let mut cells = Vec::new();
    for (name, value) in fields {
        match value {
            Value::Object(inner) => {
                for (key, v) in inner {
                    cells.push((format!("{name}.{key}"), scalar(v)));
                }
            }
            v => cells.push((name, scalar(v))),
        }
    }
    cells
}

fn scalar(value: Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s,
        v => v.to_string(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn empty_day(day: NaiveDate) -> DailyStats {
        DailyStats {
            day: Day(day),
            events: 0,
            distinct_guests: 0,
            started: 0,
            reached_design: 0,
            reached_content: 0,
            reached_contact: 0,
            completed: 0,
            abandoned_at_start: 0,
            abandoned_at_design: 0,
            abandoned_at_content: 0,
            abandoned_at_contact: 0,
            completion_rate: None,
            complete_seconds_median: None,
            complete_seconds_p90: None,
            analyses_started: 0,
            analyses_succeeded: 0,
            analyses_failed: 0,
            analyses_cancelled: 0,
            analysis_success_rate: None,
            analysis_seconds_median: None,
            events_by_type: BTreeMap::new(),
        }
    }

    #[test]
    fn the_funnel_sums_the_days() {
        let d1 = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let d2 = d1 + Days::new(1);
        let days = [
            DailyStats {
                started: 4,
                reached_design: 3,
                reached_content: 1,
                abandoned_at_start: 1,
                ..empty_day(d1)
            },
            DailyStats {
                started: 6,
                reached_design: 5,
                reached_content: 4,
                reached_contact: 3,
                completed: 2,
                abandoned_at_content: 2,
                ..empty_day(d2)
            },
        ];
        let f = funnel(&days, DayRange { from: d1, to: d2 });
        let got: Vec<(&str, i64, i64)> = f
            .stages
            .iter()
            .map(|s| (s.stage.as_str(), s.guests, s.drop_off))
            .collect();
        assert_eq!(
            got,
            [
                ("started", 10, 1),
                ("design", 8, 0),
                ("content", 5, 2),
                ("contact", 3, 0),
                ("completed", 2, 0)
            ]
        );
        assert_eq!(f.stages[4].conversion, Some(0.2));
    }

    #[test]
    fn csv_has_a_column_per_field_and_per_event_type() {
        let d1 = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let mut a = empty_day(d1);
        a.events_by_type.insert("step.viewed".into(), 2);
        let mut b = empty_day(d1 + Days::new(1));
        b.events_by_type.insert("custom.x,y".into(), 1);
        b.completion_rate = Some(0.5);
        let csv = csv_of(&[a, b], "day");
        let mut lines = csv.lines();
        let header = lines.next().unwrap();
        assert!(header.starts_with("day,abandonedAtContact,"), "{header}");
        assert!(
            header.ends_with(",\"eventsByType.custom.x,y\",eventsByType.step.viewed"),
            "{header}"
        );
        let second = lines.nth(1).unwrap();
        assert!(second.starts_with("2026-11-02,"), "{second}");
        assert!(second.ends_with(",1,"), "{second}");
        assert!(second.contains(",0.5,"), "{second}");
    }
}
