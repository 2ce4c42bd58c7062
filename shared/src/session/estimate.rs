//! How long the steps left will take: for each step, the median time recent guests who
//! completed took on it (from first reaching it to first reaching the next, or to
//! completion for the last), or a default while there is no such history.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;
use uuid::Uuid;

use super::steps::TOTAL;
use crate::{analytics::Auto, entities::event};

/// Seconds per step (design, content, contact) when no completed session shows one.
pub const DEFAULT_STEP_SECONDS: [u64; 3] = [120, 180, 90];
/// Completed sessions the medians are taken over: the latest, within the window.
pub const HISTORY_SESSIONS: u64 = 500;
pub const HISTORY_DAYS: i64 = 30;

/// Median seconds per step, where recent completed sessions show it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StepTimes(pub [Option<f64>; 3]);

impl StepTimes {
    /// Seconds for one step (1-3): its median, else the default.
    pub fn seconds(&self, step: i16) -> u64 {
        let i = (step.clamp(1, TOTAL) - 1) as usize;
        self.0[i].map_or(DEFAULT_STEP_SECONDS[i], |s| s.round().max(0.0) as u64)
    }

    /// Seconds for the steps not completed yet.
    pub fn remaining(&self, completed: &[i16]) -> u64 {
        (1..=TOTAL)
            .filter(|s| !completed.contains(s))
            .map(|s| self.seconds(s))
            .sum()
    }
}

/// Reads the recent completed sessions' step times from their events.
pub async fn step_times<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<StepTimes, DbErr> {
    let since = now - chrono::Duration::days(HISTORY_DAYS);
    let completions: Vec<(Option<Uuid>, DateTime<Utc>)> = event::Entity::find()
        .select_only()
        .column(event::Column::GuestUuid)
        .column(event::Column::CreatedAt)
        .filter(event::Column::EventType.eq(Auto::OnboardingCompleted.as_str()))
        .filter(event::Column::CreatedAt.gte(since))
        .filter(event::Column::GuestUuid.is_not_null())
        .order_by_desc(event::Column::CreatedAt)
        .limit(HISTORY_SESSIONS)
        .into_tuple()
        .all(db)
        .await?;
    let completed: HashMap<Uuid, DateTime<Utc>> = completions
        .into_iter()
        .filter_map(|(g, at)| Some((g?, at)))
        .collect();
    if completed.is_empty() {
        return Ok(StepTimes::default());
    }
    let moves: Vec<(Option<Uuid>, Value, DateTime<Utc>)> = event::Entity::find()
        .select_only()
        .column(event::Column::GuestUuid)
        .column(event::Column::Data)
        .column(event::Column::CreatedAt)
        .filter(event::Column::EventType.eq(Auto::StepNavigated.as_str()))
        .filter(event::Column::GuestUuid.is_in(completed.keys().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let mut reached: HashMap<Uuid, [Option<DateTime<Utc>>; 3]> = HashMap::new();
    for (guest, data, at) in moves {
        let Some(guest) = guest else { continue };
        let firsts = reached.entry(guest).or_default();
        for step in data["reached"].as_array().into_iter().flatten() {
            if let Some(i) = step.as_i64().filter(|s| (1..=3).contains(s)) {
                let slot = &mut firsts[(i - 1) as usize];
                if slot.is_none_or(|t| at < t) {
                    *slot = Some(at);
                }
            }
        }
    }
    Ok(StepTimes(medians(&reached, &completed)))
}

fn medians(
    reached: &HashMap<Uuid, [Option<DateTime<Utc>>; 3]>,
    completed: &HashMap<Uuid, DateTime<Utc>>,
) -> [Option<f64>; 3] {
    let mut per_step: [Vec<f64>; 3] = Default::default();
    for (guest, firsts) in reached {
        let ends = [firsts[1], firsts[2], completed.get(guest).copied()];
        for i in 0..3 {
            if let (Some(start), Some(end)) = (firsts[i], ends[i])
                && end >= start
            {
                per_step[i].push((end - start).num_milliseconds() as f64 / 1000.0);
            }
        }
    }
    per_step.map(|mut times| {
        if times.is_empty() {
            return None;
        }
        times.sort_by(f64::total_cmp);
        let mid = times.len() / 2;
        Some(if times.len() % 2 == 0 {
            (times[mid - 1] + times[mid]) / 2.0
        } else {
            times[mid]
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_are_per_step_between_first_reaches() {
        let t0: DateTime<Utc> = "2026-11-30T10:00:00Z".parse().unwrap();
        let at = |s: i64| Some(t0 + chrono::Duration::seconds(s));
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let reached = HashMap::from([
            (a, [at(0), at(60), at(200)]),
            (b, [at(0), at(100), at(400)]),
        ]);
        let completed = HashMap::from([(a, at(230).unwrap()), (b, at(450).unwrap())]);
        let m = medians(&reached, &completed);
        assert_eq!(m, [Some(80.0), Some(220.0), Some(40.0)]);
        let times = StepTimes(m);
        assert_eq!(times.remaining(&[1]), 220 + 40);
        assert_eq!(StepTimes::default().remaining(&[]), 120 + 180 + 90);
    }
}
