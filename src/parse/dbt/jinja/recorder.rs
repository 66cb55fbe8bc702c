//! What one render of a dbt node recorded: its refs, sources and config.

use std::collections::BTreeSet;
use std::sync::Mutex;

use minijinja::Value;

use crate::parse::dbt::config::{PartialConfig, Setting};

/// A `ref()` as called at render time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RecordedRef {
    /// The package (two-argument form or `package=`).
    pub package: Option<String>,
    /// The model name.
    pub name: String,
    /// `version=` / `v=`.
    pub version: Option<String>,
}

/// Everything a render recorded, in call order.
#[derive(Debug, Default)]
pub struct Recording {
    /// `ref()` calls.
    pub refs: Vec<RecordedRef>,
    /// `source()` calls: (source name, table name).
    pub sources: Vec<(String, String)>,
    /// Configuration set by `config()` calls (no spans: set at render time).
    pub config: PartialConfig,
    /// Raw `config()` keyword values, for `config.get`.
    pub config_values: Vec<(String, Value)>,
    /// `ref`/`source` calls whose arguments were not strings.
    pub bad_calls: Vec<String>,
    /// Names that resolved to nothing and were stood in for inertly.
    pub unknown_names: BTreeSet<String>,
    /// Package namespaces used but not installed (`dbt_utils.star`).
    pub missing_namespaces: BTreeSet<String>,
    /// Macros not found by `adapter.dispatch`.
    pub undispatched: BTreeSet<String>,
}

/// The mutable state of one render, shared by the stand-in objects and the
/// nested macro renders it causes. Also enforces the budget that keeps a
/// template from running away.
#[derive(Debug, Default)]
pub struct Recorder {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    recording: Recording,
    returns: Vec<Option<Value>>,
    fuel_used: u64,
    macro_calls: u64,
}

impl Recorder {
    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        match self.inner.lock() {
            Ok(mut guard) => f(&mut guard),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Records a `ref()`.
    pub fn record_ref(&self, r: RecordedRef) {
        self.with(|i| i.recording.refs.push(r));
    }

    /// Records a `source()`.
    pub fn record_source(&self, source: String, table: String) {
        self.with(|i| i.recording.sources.push((source, table)));
    }

    /// Records a call whose arguments could not be read.
    pub fn record_bad_call(&self, what: String) {
        self.with(|i| i.recording.bad_calls.push(what));
    }

    /// Records one `config()` keyword.
    pub fn record_config(&self, key: &str, value: &Value) {
        self.with(|i| {
            let text = || {
                value
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| {
                        (!value.is_none() && !value.is_undefined()).then(|| value.to_string())
                    })
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            };
            let c = &mut i.recording.config;
            match key {
                "schema" | "target_schema" => c.schema = text().map(|v| Setting::new(v, None)),
                "alias" => c.alias = text().map(|v| Setting::new(v, None)),
                "database" | "target_database" | "project" => {
                    c.database = text().map(|v| Setting::new(v, None))
                }
                "materialized" => c.materialized = text().map(|v| Setting::new(v, None)),
                // `config(group=none)` takes the node out of its folder's group.
                "group" => c.group = Some(Setting::new(text().unwrap_or_default(), None)),
                "enabled" => c.enabled = Some(Setting::new(value.is_true(), None)),
                "tags" => {
                    let tags: Vec<String> = match value.as_str() {
                        Some(s) => vec![s.to_string()],
                        None => value
                            .try_iter()
                            .map(|it| it.filter_map(|v| v.as_str().map(str::to_string)).collect())
                            .unwrap_or_default(),
                    };
                    for t in tags {
                        if !c.tags.contains(&t) {
                            c.tags.push(t);
                        }
                    }
                }
                "meta" => {
                    if let Ok(owner) = value.get_attr("owner") {
                        if let Some(o) = owner.as_str().filter(|o| !o.trim().is_empty()) {
                            c.owner = Some(Setting::new(o.trim().to_string(), None));
                        }
                    }
                }
                _ => {}
            }
            i.recording
                .config_values
                .push((key.to_string(), value.clone()));
        });
    }

    /// The last value given to `config(key=…)` in this render.
    pub fn config_value(&self, key: &str) -> Option<Value> {
        self.with(|i| {
            i.recording
                .config_values
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        })
    }

    /// Records a name that resolved to nothing.
    pub fn record_unknown(&self, name: &str) {
        self.with(|i| {
            if i.recording.unknown_names.len() < 64 {
                i.recording.unknown_names.insert(name.to_string());
            }
        });
    }

    /// Records a namespace of a package that is not installed.
    pub fn record_missing_namespace(&self, name: &str) {
        self.with(|i| {
            i.recording.missing_namespaces.insert(name.to_string());
        });
    }

    /// Records a macro `adapter.dispatch` could not find.
    pub fn record_undispatched(&self, name: &str) {
        self.with(|i| {
            i.recording.undispatched.insert(name.to_string());
        });
    }

    /// Enters a macro call: fails when the call depth or the number of calls
    /// is over budget.
    pub fn enter_macro(&self, max_depth: usize, max_calls: u64) -> Result<(), String> {
        self.with(|i| {
            if i.returns.len() >= max_depth {
                return Err(format!("macros nested deeper than {max_depth} calls"));
            }
            i.macro_calls += 1;
            if i.macro_calls > max_calls {
                return Err(format!("more than {max_calls} macro calls in one render"));
            }
            i.returns.push(None);
            Ok(())
        })
    }

    /// Leaves a macro call, returning the value given to `return()` in it.
    pub fn leave_macro(&self) -> Option<Value> {
        self.with(|i| i.returns.pop().flatten())
    }

    /// Sets the value of `return()` for the innermost macro call; false when
    /// no macro is being called.
    pub fn set_return(&self, value: Value) -> bool {
        self.with(|i| match i.returns.last_mut() {
            Some(slot) => {
                *slot = Some(value);
                true
            }
            None => false,
        })
    }

    /// Adds fuel used by a nested render; fails when the render's total is
    /// over `budget`.
    pub fn charge_fuel(&self, fuel: u64, budget: u64) -> Result<(), String> {
        self.with(|i| {
            i.fuel_used = i.fuel_used.saturating_add(fuel);
            if i.fuel_used > budget {
                Err(crate::limits::over(
                    format!("{} template steps", i.fuel_used),
                    "render-fuel",
                    budget,
                ))
            } else {
                Ok(())
            }
        })
    }

    /// Takes what was recorded.
    pub fn take(&self) -> Recording {
        self.with(|i| std::mem::take(&mut i.recording))
    }
}
