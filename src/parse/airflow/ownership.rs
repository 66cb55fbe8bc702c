//! Owner and failure behavior of tasks: the `default_args` of the DAG, of a
//! task group and of the operator, overridden by the operator's own keyword
//! arguments, key by key — the order in which Airflow's `BaseOperator`
//! applies them.
//!
//! - The owner `"airflow"` is Airflow's default (`[operators] default_owner`)
//!   and counts as no owner: it becomes `None`.
//! - `retries > 0` gives `Retry { count, exponential }` (`retry_exponential_backoff`).
//! - Otherwise an `on_failure_callback`, or a failure e-mail (an explicit
//!   `email_on_failure=True`, or an `email` with `email_on_failure` not
//!   turned off) gives `FailFast`.
//! - Otherwise no failure behavior is known (`None`).

use crate::facts::Attributed;
use crate::failure::FailureBehavior;
use crate::span::Span;

use super::syntax::Source;
use super::values::{Entry, Value};

/// One setting and where it was made.
#[derive(Debug, Clone)]
pub(super) struct Setting<T> {
    /// The value; `None` when written but not statically known.
    pub value: Option<T>,
    /// `default_args`, `task`, `task_group default_args`, …
    pub origin: &'static str,
    /// Where it is written.
    pub span: Span,
}

/// The settings of one layer (or of all layers once overlaid).
#[derive(Debug, Clone, Default)]
pub(super) struct Settings {
    /// `owner`.
    pub owner: Option<Setting<String>>,
    /// `retries`.
    pub retries: Option<Setting<i64>>,
    /// `retry_exponential_backoff`.
    pub exponential: Option<Setting<bool>>,
    /// `on_failure_callback` is set to something other than `None`.
    pub callback: Option<Setting<bool>>,
    /// `email_on_failure`.
    pub email_on_failure: Option<Setting<bool>>,
    /// `email` is set to a non-empty value.
    pub email: Option<Setting<bool>>,
}

impl Settings {
    /// Reads the settings among keyword arguments or dict entries.
    pub fn from_entries(entries: &[Entry<'_>], origin: &'static str, src: &Source<'_>) -> Settings {
        let mut s = Settings::default();
        for e in entries {
            let span = src.span_of(e.at.0, e.at.1);
            let mk = |value| Setting {
                value,
                origin,
                span: span.clone(),
            };
            match e.key.as_str() {
                "owner" => s.owner = Some(mk(e.value.as_str().map(str::to_string))),
                "retries" => {
                    s.retries = Some(Setting {
                        value: match &e.value {
                            Value::Int(n) => Some(*n),
                            Value::None => Some(0),
                            _ => None,
                        },
                        origin,
                        span: span.clone(),
                    })
                }
                "retry_exponential_backoff" => {
                    s.exponential = Some(Setting {
                        value: e.value.truthy(),
                        origin,
                        span: span.clone(),
                    })
                }
                "on_failure_callback" => {
                    s.callback = Some(Setting {
                        value: Some(
                            !matches!(e.value, Value::None)
                                && !matches!(&e.value, Value::List(l) if l.is_empty()),
                        ),
                        origin,
                        span: span.clone(),
                    })
                }
                "email_on_failure" => {
                    s.email_on_failure = Some(Setting {
                        value: e.value.truthy(),
                        origin,
                        span: span.clone(),
                    })
                }
                "email" => {
                    s.email = Some(Setting {
                        value: Some(e.value.truthy().unwrap_or(true)),
                        origin,
                        span: span.clone(),
                    })
                }
                _ => {}
            }
        }
        s
    }

    /// These settings with `top`'s settings replacing them key by key.
    pub fn overlay(&self, top: &Settings) -> Settings {
        fn pick<T: Clone>(
            base: &Option<Setting<T>>,
            top: &Option<Setting<T>>,
        ) -> Option<Setting<T>> {
            top.clone().or_else(|| base.clone())
        }
        Settings {
            owner: pick(&self.owner, &top.owner),
            retries: pick(&self.retries, &top.retries),
            exponential: pick(&self.exponential, &top.exponential),
            callback: pick(&self.callback, &top.callback),
            email_on_failure: pick(&self.email_on_failure, &top.email_on_failure),
            email: pick(&self.email, &top.email),
        }
    }

    /// The owner these settings give, `"airflow"` counting as none. The
    /// second value is true when an owner is written but not known statically.
    pub fn owner(&self) -> (Option<Attributed<String>>, bool) {
        match &self.owner {
            Some(Setting {
                value: Some(owner),
                origin,
                span,
            }) => {
                let owner = owner.trim();
                if owner.is_empty() || owner.eq_ignore_ascii_case("airflow") {
                    (None, false)
                } else {
                    (
                        Some(Attributed::new(
                            owner.to_string(),
                            *origin,
                            Some(span.clone()),
                        )),
                        false,
                    )
                }
            }
            Some(Setting { value: None, .. }) => (None, true),
            None => (None, false),
        }
    }

    /// The failure behavior these settings give. The second value is true
    /// when `retries` is written but not known statically.
    pub fn failure(&self) -> (Option<Attributed<FailureBehavior>>, bool) {
        let mut unknown = false;
        if let Some(r) = &self.retries {
            match r.value {
                Some(count) if count > 0 => {
                    let exponential = self
                        .exponential
                        .as_ref()
                        .and_then(|e| e.value)
                        .unwrap_or(false);
                    let count = u32::try_from(count).unwrap_or(u32::MAX);
                    return (
                        Some(Attributed::new(
                            FailureBehavior::Retry { count, exponential },
                            r.origin,
                            Some(r.span.clone()),
                        )),
                        false,
                    );
                }
                Some(_) => {}
                None => unknown = true,
            }
        }
        fn alert(s: &Option<Setting<bool>>) -> Option<&Setting<bool>> {
            s.as_ref().filter(|s| s.value == Some(true))
        }
        let email_off = self
            .email_on_failure
            .as_ref()
            .is_some_and(|s| s.value == Some(false));
        let fail_fast = alert(&self.callback)
            .or_else(|| alert(&self.email_on_failure))
            .or_else(|| alert(&self.email).filter(|_| !email_off));
        let behavior = fail_fast
            .map(|s| Attributed::new(FailureBehavior::FailFast, s.origin, Some(s.span.clone())));
        (behavior, unknown && fail_fast.is_none())
    }
}
