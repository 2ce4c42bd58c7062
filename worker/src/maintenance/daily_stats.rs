//! The daily aggregates of onboarding analytics: one `daily_stats` row per UTC day, computed
//! from that day's events only, so recomputing a day gives the same row. The monitor
//! refreshes today and yesterday (events of yesterday's last minute land after its last
//! run) and fills any missing day of the last [`BACKFILL_DAYS`].

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use onboard_shared::{
    analytics::{self, Auto},
    entities::{daily_stat, event},
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Iterable, QueryFilter,
    QuerySelect,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Days back the monitor fills in when their row is missing (a worker was down).
pub const BACKFILL_DAYS: u64 = 30;

/// Recomputes today's and yesterday's rows and computes any missing day of the last
/// [`BACKFILL_DAYS`]; returns how many days were written.
pub async fn refresh<C: ConnectionTrait>(db: &C, today: NaiveDate) -> Result<u64, DbErr> {
    let first = today - Days::new(BACKFILL_DAYS - 1);
    let yesterday = today - Days::new(1);
    let stored: Vec<NaiveDate> = daily_stat::Entity::find()
        .select_only()
        .column(daily_stat::Column::Day)
        .filter(daily_stat::Column::Day.gte(first))
        .into_tuple()
        .all(db)
        .await?;
    let mut written = 0;
    for day in first.iter_days().take_while(|d| *d <= today) {
        if day >= yesterday || !stored.contains(&day) {
            aggregate_day(db, day).await?;
            written += 1;
        }
    }
    Ok(written)
}

/// Computes one day's row and stores it, replacing the row the day had.
pub async fn aggregate_day<C: ConnectionTrait>(
    db: &C,
    day: NaiveDate,
) -> Result<daily_stat::Model, DbErr> {
    let row = compute(db, day).await?;
    let active = daily_stat::ActiveModel {
        day: Set(row.day),
        events: Set(row.events),
        events_by_type: Set(row.events_by_type.clone()),
        distinct_guests: Set(row.distinct_guests),
        started: Set(row.started),
        reached_design: Set(row.reached_design),
        reached_content: Set(row.reached_content),
        reached_contact: Set(row.reached_contact),
        completed: Set(row.completed),
        abandoned_at_start: Set(row.abandoned_at_start),
        abandoned_at_design: Set(row.abandoned_at_design),
        abandoned_at_content: Set(row.abandoned_at_content),
        abandoned_at_contact: Set(row.abandoned_at_contact),
        complete_seconds_median: Set(row.complete_seconds_median),
        complete_seconds_p90: Set(row.complete_seconds_p90),
        analyses_started: Set(row.analyses_started),
        analyses_succeeded: Set(row.analyses_succeeded),
        analyses_failed: Set(row.analyses_failed),
        analyses_cancelled: Set(row.analyses_cancelled),
        analysis_seconds_median: Set(row.analysis_seconds_median),
    };
    let others: Vec<daily_stat::Column> = daily_stat::Column::iter()
        .filter(|c| !matches!(c, daily_stat::Column::Day))
        .collect();
    daily_stat::Entity::insert(active)
        .on_conflict(
            OnConflict::column(daily_stat::Column::Day)
                .update_columns(others)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(row)
}

/// One day's figures from its events.
pub async fn compute<C: ConnectionTrait>(
    db: &C,
    day: NaiveDate,
) -> Result<daily_stat::Model, DbErr> {
    let start: DateTime<Utc> = day.and_time(chrono::NaiveTime::MIN).and_utc();
    let end = start + chrono::Duration::days(1);
    let on_day = Condition::all()
        .add(event::Column::CreatedAt.gte(start))
        .add(event::Column::CreatedAt.lt(end));

    let by_type: BTreeMap<String, i64> = event::Entity::find()
        .select_only()
        .column(event::Column::EventType)
        .column_as(event::Column::Id.count(), "n")
        .filter(on_day.clone())
        .group_by(event::Column::EventType)
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let distinct_guests: i64 = event::Entity::find()
        .select_only()
        .column_as(Expr::col(event::Column::GuestUuid).count_distinct(), "n")
        .filter(on_day.clone())
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or(0);

    // The events whose data the figures need; each type is written once per guest or run.
    let detailed = [
        Auto::StepNavigated,
        Auto::OnboardingCompleted,
        Auto::OnboardingAbandoned,
        Auto::AnalysisSucceeded,
    ];
    let details: Vec<(String, Value)> = event::Entity::find()
        .select_only()
        .column(event::Column::EventType)
        .column(event::Column::Data)
        .filter(on_day)
        .filter(event::Column::EventType.is_in(detailed.map(Auto::as_str)))
        .into_tuple()
        .all(db)
        .await?;
    let mut reached = [0i64; 4];
    let mut abandoned = [0i64; 4];
    let mut complete_seconds = Vec::new();
    let mut analysis_seconds = Vec::new();
    for (kind, data) in details {
        match kind.as_str() {
            t if t == Auto::StepNavigated.as_str() => {
                if let Some(moved) = parse::<analytics::StepNavigated>(data) {
                    for step in moved.reached {
                        if let Some(n) = reached.get_mut(step as usize) {
                            *n += 1;
                        }
                    }
                }
            }
            t if t == Auto::OnboardingCompleted.as_str() => {
                if let Some(done) = parse::<analytics::Completed>(data) {
                    complete_seconds.push(done.seconds);
                }
            }
            t if t == Auto::OnboardingAbandoned.as_str() => {
                if let Some(left) = parse::<analytics::Abandoned>(data)
                    && let Some(n) = abandoned.get_mut(left.last_step.clamp(0, 3) as usize)
                {
                    *n += 1;
                }
            }
            _ => {
                if let Some(seconds) =
                    parse::<analytics::AnalysisFinished>(data).and_then(|run| run.duration_seconds)
                {
                    analysis_seconds.push(seconds);
                }
            }
        }
    }
    let count = |kind: Auto| by_type.get(kind.as_str()).copied().unwrap_or(0);
    Ok(daily_stat::Model {
        day,
        events: by_type.values().sum(),
        events_by_type: serde_json::to_value(&by_type).unwrap_or_default(),
        distinct_guests,
        started: count(Auto::OnboardingStarted),
        reached_design: reached[1],
        reached_content: reached[2],
        reached_contact: reached[3],
        completed: count(Auto::OnboardingCompleted),
        abandoned_at_start: abandoned[0],
        abandoned_at_design: abandoned[1],
        abandoned_at_content: abandoned[2],
        abandoned_at_contact: abandoned[3],
        complete_seconds_median: percentile(&mut complete_seconds, 0.5),
        complete_seconds_p90: percentile(&mut complete_seconds, 0.9),
        analyses_started: count(Auto::AnalysisStarted),
        analyses_succeeded: count(Auto::AnalysisSucceeded),
        analyses_failed: count(Auto::AnalysisFailed),
        analyses_cancelled: count(Auto::AnalysisCancelled),
        analysis_seconds_median: percentile(&mut analysis_seconds, 0.5),
    })
}

/// An event's data as written; data that does not read (a hand-edited row) is skipped.
fn parse<T: DeserializeOwned>(data: Value) -> Option<T> {
    serde_json::from_value(data).ok()
}

/// The `p` quantile by linear interpolation between the closest ranks (the median of an
/// even count is the mean of the middle two); `None` for no values.
fn percentile(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = p * (values.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    let value = values[low] + (values[high] - values[low]) * (rank - low as f64);
    // Rounded to milliseconds so a recomputed row compares equal across backends.
    Some((value * 1000.0).round() / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_interpolate_between_ranks() {
        assert_eq!(percentile(&mut [], 0.5), None);
        assert_eq!(percentile(&mut [7.0], 0.9), Some(7.0));
        assert_eq!(percentile(&mut [4.0, 1.0, 3.0, 2.0], 0.5), Some(2.5));
        let mut ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&mut ten, 0.9), Some(9.1));
    }
}
