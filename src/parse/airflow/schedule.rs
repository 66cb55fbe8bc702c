//! A DAG's schedule → cadence.
//!
//! `schedule=` (Airflow 2.4+ and 3), `schedule_interval=` and `timetable=`
//! (Airflow 2 only) are read alike:
//! - a preset (`@hourly`, `@daily`, `@once`, …) via `Cadence::from_preset`,
//!   a cron string via `Cadence::parse`; anything else is `invalid-config`;
//! - `timedelta(...)` → `Every(seconds)`; `None` → `Manual`;
//! - `CronTriggerTimetable` / `CronDataIntervalTimetable` with a literal cron,
//!   `DeltaDataIntervalTimetable` / `DeltaTriggerTimetable` with a literal delta;
//! - `MultipleCronTriggerTimetable` → its most frequent cron;
//! - a Dataset/Asset, a list of them, an `AssetAlias` or an `|`/`&` expression
//!   → `OnData`, the assets going to `DagFact::triggered_by`;
//!   `DatasetOrTimeSchedule` / `AssetOrTimeSchedule` keep the timetable's
//!   cadence and the assets.
//! - a custom timetable (a `…Timetable(...)` call pipelint does not know) is
//!   `Scheduled`: Airflow runs it, pipelint cannot say when.
//!
//! No schedule at all: Airflow 3 (a file importing `airflow.sdk`) defaults to
//! `None` → `Manual`; Airflow 2 defaults to `timedelta(days=1)` → `Every(1 day)`
//! (origin `airflow 2 default`). A schedule whose value is not known is also an
//! `unresolved-dynamic` note.

use crate::cadence::Cadence;
use crate::diagnostic::Diagnostic;
use crate::facts::{Attributed, DataRef, Located};
use crate::span::Span;

use super::interpreter::{collect_assets, Reader};
use super::values::{Args, Value};

impl<'t> Reader<'t> {
    /// The cadence and triggering assets of a DAG's arguments.
    pub(super) fn schedule_of(
        &mut self,
        args: &Args<'t>,
        id: &str,
        dag_span: Span,
    ) -> (Option<Attributed<Cadence>>, Vec<Located<DataRef>>) {
        let entry = ["schedule", "schedule_interval", "timetable"]
            .into_iter()
            .find_map(|k| args.kw(k).map(|e| (k, e)));
        let Some((key, entry)) = entry else {
            if args.unknown_spread.is_some() {
                // Said once by `make_dag`: the spread may hold the schedule.
                return (None, Vec::new());
            }
            let (cadence, origin) = if self.airflow3 {
                (Cadence::Manual, "airflow 3 default")
            } else {
                (Cadence::Every(86_400), "airflow 2 default")
            };
            return (
                Some(Attributed::new(cadence, origin, Some(dag_span))),
                Vec::new(),
            );
        };
        let span = self.src.span_of(entry.at.0, entry.at.1);
        let at = |c: Cadence| Some(Attributed::new(c, key, Some(span.clone())));
        match &entry.value {
            Value::None => (at(Cadence::Manual), Vec::new()),
            Value::Str(t) => {
                let text = t.s.trim();
                let parsed = Cadence::from_preset(&text.to_ascii_lowercase()).or_else(|| {
                    (!text.starts_with('@') && text.split_whitespace().count() >= 5)
                        .then(|| Cadence::parse(text).ok())
                        .flatten()
                });
                match parsed {
                    Some(c) => (at(c), Vec::new()),
                    None => {
                        self.model.diagnostics.push(
                            Diagnostic::new(
                                "invalid-config",
                                format!("DAG `{id}`: `{text}` is not a cron expression or an Airflow preset"),
                            )
                            .node(format!("dag:{id}"))
                            .at(Some(span.clone()))
                            .help("use a cron expression such as `0 3 * * *`, a preset such as `@daily`, a timedelta, or None"),
                        );
                        (None, Vec::new())
                    }
                }
            }
            Value::Duration(secs) if *secs > 0 => (at(Cadence::Every(*secs)), Vec::new()),
            Value::Timetable(t) => {
                let assets = self.asset_refs(&t.assets);
                let cadence = t.cadence.clone().unwrap_or(Cadence::Scheduled);
                (at(cadence), assets)
            }
            v @ (Value::Asset(_) | Value::List(_)) => {
                let mut assets = Vec::new();
                collect_assets(v, &mut assets);
                let all_assets = match v {
                    Value::List(items) => items.iter().all(|i| matches!(i, Value::Asset(_))),
                    _ => true,
                };
                if assets.is_empty() || !all_assets {
                    self.model.unresolved(
                        format!("some assets of the schedule of DAG `{id}`"),
                        span.clone(),
                    );
                }
                // An asset alias or an asset held in a variable still makes
                // the DAG run on data, never by hand.
                (at(Cadence::OnData), self.asset_refs(&assets))
            }
            _ => {
                self.model
                    .unresolved(format!("the schedule of DAG `{id}`"), span);
                (None, Vec::new())
            }
        }
    }

    /// Assets as located data references: a URI with `://` stays a URI, a
    /// scheme-less name such as `analytics.fct_sessions` is a table name.
    pub(super) fn asset_refs(&self, assets: &[super::values::AssetRef]) -> Vec<Located<DataRef>> {
        assets
            .iter()
            .map(|a| {
                Located::new(
                    DataRef::from_name(&a.name),
                    self.src.span_of(a.at.0, a.at.1),
                )
            })
            .collect()
    }
}
