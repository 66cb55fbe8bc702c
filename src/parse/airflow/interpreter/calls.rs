//! Calls: same-file functions run statically, methods of known values,
//! Airflow constructors and the standard-library helpers that fold constants.

use super::*;

impl<'t> Reader<'t> {
    pub(super) fn eval_call(&mut self, node: Node<'t>) -> Value<'t> {
        let Some(func) = node.field(Field::Function) else {
            return Value::Unknown;
        };
        let name = dotted_name(self.src, func).map(|n| self.canonical(n));
        let (receiver, method) = if func.kind() == "attribute" {
            let object = func.field(Field::Object);
            let method = func
                .field(Field::Attribute)
                .map_or("", |a| self.src.text_of(a));
            (object.map(|o| self.eval(o)), Some(method))
        } else {
            (None, None)
        };
        let callee = if func.kind() == "identifier" {
            self.lookup(self.src.text_of(func))
        } else if func.kind() != "attribute" {
            self.eval(func)
        } else {
            Value::Unknown
        };
        let args = self.eval_args(node.field(Field::Arguments));
        let name_at = Self::range(func);
        if let (Some(Value::Dict(mut entries)), Some("update")) = (receiver.clone(), method) {
            // `default_args.update({...})` / `.update(k=v)` on a known dict.
            let object = func.field(Field::Object);
            if let Some(object) = object.filter(|o| o.kind() == "identifier") {
                let mut new = match args.positional.first() {
                    Some((Value::Dict(d), _)) => d.clone(),
                    Some(_) => return Value::None,
                    None => Vec::new(),
                };
                new.extend(args.keywords.iter().cloned());
                for e in new {
                    entries.retain(|x| x.key != e.key);
                    entries.push(e);
                }
                let name = self.src.text_of(object);
                let updated = if args.unknown_spread.is_some() {
                    Value::Unknown
                } else {
                    Value::dict(entries)
                };
                self.bind(name, updated);
            }
            return Value::None;
        }
        if let (Some(receiver), Some(method)) = (receiver, method) {
            if let Some(v) = self.call_method(receiver, method, &args, node, name.as_deref()) {
                return v;
            }
        }
        if let Value::Function(def) = callee {
            return self.call_function(def, &args, node);
        }
        let short = name.as_deref().map(last_part).unwrap_or("");
        if let Some(v) = self.call_builtin(name.as_deref().unwrap_or(""), short, &args, node) {
            return v;
        }
        if args.kw("task_id").is_some() {
            let class = if short.is_empty() { "operator" } else { short };
            return self.operator_task(class, &args, name_at, node);
        }
        Value::Unknown
    }

    /// Calls of methods on values the reader knows.
    pub(super) fn call_method(
        &mut self,
        receiver: Value<'t>,
        method: &str,
        args: &Args<'t>,
        node: Node<'t>,
        name: Option<&str>,
    ) -> Option<Value<'t>> {
        let span = self.src.span(node);
        let first = || args.positional.first().map(|(v, _)| v.clone());
        Some(match (receiver, method) {
            (r @ (Value::Tasks { .. } | Value::Group(_) | Value::List(_)), "set_downstream") => {
                if let Some(other) = first() {
                    self.connect(&r, &other, span);
                }
                Value::None
            }
            (r @ (Value::Tasks { .. } | Value::Group(_) | Value::List(_)), "set_upstream") => {
                if let Some(other) = first() {
                    self.connect(&other, &r, span);
                }
                Value::None
            }
            (Value::Function(mut def), "override") if def.kind == FnKind::Task => {
                def.kwargs.extend(args.keywords.iter().cloned());
                Value::Function(def)
            }
            (Value::Function(def), "partial") if def.kind == FnKind::Task => {
                Value::Partial(Box::new(PartialCall {
                    at: Self::range(def.node.field(Field::Name).unwrap_or(def.node)),
                    target: PartialTarget::TaskFn(def),
                    args: args.clone(),
                }))
            }
            (Value::Function(def), "expand" | "expand_kwargs") if def.kind == FnKind::Task => {
                self.call_task_fn(&def, args, node)
            }
            (Value::Partial(p), "expand" | "expand_kwargs") => self.expand_partial(*p, args, node),
            (Value::Function(def), "expand" | "expand_kwargs") if def.kind == FnKind::TaskGroup => {
                self.call_function(def, args, node)
            }
            (r @ Value::Tasks { .. }, "as_setup") => {
                self.set_role(&r, TaskRole::Setup);
                r
            }
            (r @ Value::Tasks { .. }, "as_teardown") => {
                self.set_role(&r, TaskRole::Teardown);
                if let Some(setups) = args.kw("setups") {
                    let setups = setups.value.clone();
                    self.connect(&setups, &r, span);
                }
                r
            }
            (Value::Unknown, "partial") if args.kw("task_id").is_some() => {
                let class = name
                    .and_then(|n| n.rsplit_once('.'))
                    .map_or("operator", |(c, _)| last_part(c));
                let at = node
                    .field(Field::Function)
                    .and_then(|f| f.field(Field::Object))
                    .map_or(Self::range(node), Self::range);
                Value::Partial(Box::new(PartialCall {
                    target: PartialTarget::Operator(class.to_string()),
                    args: args.clone(),
                    at,
                }))
            }
            (d @ Value::Dict(_), "get") => match first()
                .as_ref()
                .and_then(|k| k.as_str().map(str::to_string))
            {
                Some(k) => d
                    .get(&k)
                    .map(|e| e.value.clone())
                    .or_else(|| args.positional.get(1).map(|(v, _)| v.clone()))
                    .unwrap_or(Value::None),
                None => Value::Unknown,
            },
            (d @ Value::Dict(_), "copy") => d,
            (Value::Dict(entries), "items") => Value::List(
                entries
                    .into_iter()
                    .map(|e| Value::List(vec![Value::string(e.key), e.value]))
                    .collect(),
            ),
            (Value::Dict(entries), "keys") => {
                Value::List(entries.into_iter().map(|e| Value::string(e.key)).collect())
            }
            (Value::Dict(entries), "values") => {
                Value::List(entries.into_iter().map(|e| e.value).collect())
            }
            (Value::Str(sep), "join") => match first() {
                Some(Value::List(items)) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .map_or(Value::Unknown, |parts| Value::string(parts.join(&sep.s))),
                _ => Value::Unknown,
            },
            (Value::Str(fmt), "format") => {
                str_format(&fmt.s, args).map_or(Value::Unknown, Value::string)
            }
            (Value::Str(s), "lower") => Value::string(s.s.to_lowercase()),
            (Value::Str(s), "upper") => Value::string(s.s.to_uppercase()),
            (Value::Str(s), "strip") if args.positional.is_empty() => {
                Value::string(s.s.trim().to_string())
            }
            (Value::Str(s), "replace") => match (first(), args.positional.get(1)) {
                (Some(Value::Str(a)), Some((Value::Str(b), _))) => {
                    Value::string(s.s.replace(&a.s, &b.s))
                }
                _ => Value::Unknown,
            },
            (Value::RepoPath(p), "joinpath") => args
                .positional
                .iter()
                .try_fold(p, |acc, (v, _)| v.as_str().map(|s| join_path(&acc, s)))
                .map_or(Value::Unknown, Value::RepoPath),
            (Value::RepoPath(p), "resolve" | "absolute") => Value::RepoPath(p),
            _ => return None,
        })
    }

    /// Calls whose meaning comes from their name: Airflow constructors and
    /// helpers, and the few standard-library functions that fold constants.
    pub(super) fn call_builtin(
        &mut self,
        name: &str,
        short: &str,
        args: &Args<'t>,
        node: Node<'t>,
    ) -> Option<Value<'t>> {
        let span = self.src.span(node);
        let first = args.positional.first().map(|(v, _)| v.clone());
        let name_at = node
            .field(Field::Function)
            .map_or(Self::range(node), Self::range);
        Some(match short {
            "DAG" => self.make_dag(args, name_at, None),
            "ProjectConfig" => args
                .arg("dbt_project_path", 0)
                .map_or(Value::Unknown, |(v, _)| v.clone()),
            "DbtDag" | "DbtTaskGroup" => self.cosmos(short, args, name_at),
            "TaskGroup" => self.make_group(args, None),
            "chain" => {
                self.chain(args, span);
                Value::None
            }
            "chain_linear" => {
                self.chain_linear(args, span);
                Value::None
            }
            "cross_downstream" => {
                self.cross_downstream(args, span);
                Value::None
            }
            "Label" => Value::Label,
            "XComArg" => match first {
                Some(Value::Tasks { items, .. }) => Value::Tasks { items, xcom: true },
                _ => Value::Unknown,
            },
            "timedelta" | "duration" => {
                timedelta_seconds(args).map_or(Value::Unknown, Value::Duration)
            }
            "Dataset" | "Asset" => {
                let uri = args
                    .kw("uri")
                    .map(|e| (&e.value, e.at))
                    .or_else(|| args.arg("name", 0));
                match uri {
                    Some((Value::Str(t), at)) => Value::Asset(AssetRef {
                        name: t.s.clone(),
                        at,
                    }),
                    _ => Value::Unknown,
                }
            }
            "DatasetAll" | "DatasetAny" | "AssetAll" | "AssetAny" => {
                let mut assets = Vec::new();
                for (v, _) in &args.positional {
                    collect_assets(v, &mut assets);
                }
                Value::List(assets.into_iter().map(Value::Asset).collect())
            }
            "CronTriggerTimetable" | "CronDataIntervalTimetable" | "CronPartitionTimetable" => {
                let cron = args
                    .arg("cron", 0)
                    .and_then(|(v, _)| v.as_str().map(str::to_string));
                Value::Timetable(Timetable {
                    cadence: cron.and_then(|c| crate::cadence::Cadence::parse(&c).ok()),
                    assets: Vec::new(),
                    name: short.to_string(),
                })
            }
            "MultipleCronTriggerTimetable" => {
                let crons: Vec<crate::cadence::Cadence> = args
                    .positional
                    .iter()
                    .filter_map(|(v, _)| v.as_str())
                    .filter_map(|c| crate::cadence::Cadence::parse(c).ok())
                    .collect();
                Value::Timetable(Timetable {
                    cadence: crons
                        .into_iter()
                        .min_by_key(|c| c.max_gap_seconds().unwrap_or(u64::MAX)),
                    assets: Vec::new(),
                    name: short.to_string(),
                })
            }
            "AssetAlias" | "DatasetAlias" => Value::Timetable(Timetable {
                cadence: Some(crate::cadence::Cadence::OnData),
                assets: Vec::new(),
                name: short.to_string(),
            }),
            "DeltaDataIntervalTimetable" | "DeltaTriggerTimetable" => {
                let delta = match args.arg("delta", 0) {
                    Some((Value::Duration(s), _)) => Some(crate::cadence::Cadence::Every(*s)),
                    _ => None,
                };
                Value::Timetable(Timetable {
                    cadence: delta,
                    assets: Vec::new(),
                    name: short.to_string(),
                })
            }
            "DatasetOrTimeSchedule" | "AssetOrTimeSchedule" => {
                let base = match args.arg("timetable", 0) {
                    Some((Value::Timetable(t), _)) => t.cadence.clone(),
                    _ => None,
                };
                let mut assets = Vec::new();
                if let Some((v, _)) = args
                    .kw("datasets")
                    .or_else(|| args.kw("assets"))
                    .map(|e| (&e.value, e.at))
                {
                    collect_assets(v, &mut assets);
                }
                Value::Timetable(Timetable {
                    cadence: base,
                    assets,
                    name: short.to_string(),
                })
            }
            _ => match name {
                "dict" => {
                    let mut entries = match first {
                        Some(Value::Dict(e)) => e,
                        Some(_) => return Some(Value::Unknown),
                        None => Vec::new(),
                    };
                    if args.unknown_spread.is_some() {
                        return Some(Value::Unknown);
                    }
                    for e in &args.keywords {
                        entries.retain(|x| x.key != e.key);
                        entries.push(e.clone());
                    }
                    Value::dict(entries)
                }
                "str" => first
                    .and_then(|v| v.display())
                    .map_or(Value::Unknown, Value::string),
                "int" => match first {
                    Some(Value::Int(i)) => Value::Int(i),
                    Some(Value::Str(s)) => s.s.trim().parse().map_or(Value::Unknown, Value::Int),
                    _ => Value::Unknown,
                },
                "list" | "tuple" | "sorted" => match first {
                    Some(v @ Value::List(_)) => v,
                    _ => Value::Unknown,
                },
                "range" => {
                    let ints: Option<Vec<i64>> = args
                        .positional
                        .iter()
                        .map(|(v, _)| match v {
                            Value::Int(i) => Some(*i),
                            _ => None,
                        })
                        .collect();
                    match ints.as_deref() {
                        Some([end]) => int_range(0, *end),
                        Some([start, end]) => int_range(*start, *end),
                        _ => Value::Unknown,
                    }
                }
                "enumerate" => match first {
                    Some(Value::List(items)) => Value::List(
                        items
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| Value::List(vec![Value::Int(i as i64), v]))
                            .collect(),
                    ),
                    _ => Value::Unknown,
                },
                "os.path.join" => {
                    let mut parts = args.positional.iter().map(|(v, _)| v);
                    let base = match parts.next() {
                        Some(Value::RepoPath(p)) => Some(p.clone()),
                        Some(Value::Str(s)) => {
                            return Some(
                                parts
                                    .try_fold(s.s.clone(), |acc, v| {
                                        v.as_str().map(|s| join_path(&acc, s))
                                    })
                                    .map_or(Value::Unknown, Value::string),
                            )
                        }
                        _ => None,
                    };
                    base.and_then(|b| {
                        parts.try_fold(b, |acc, v| v.as_str().map(|s| join_path(&acc, s)))
                    })
                    .map_or(Value::Unknown, Value::RepoPath)
                }
                "os.path.basename" => match first {
                    Some(Value::RepoPath(p)) => Value::string(file_name(&p)),
                    Some(Value::Str(p)) => Value::string(file_name(&p.s)),
                    _ => Value::Unknown,
                },
                "os.path.dirname" => match first {
                    Some(Value::RepoPath(p)) => Value::RepoPath(parent_dir(&p)),
                    _ => Value::Unknown,
                },
                "os.path.abspath" | "os.path.realpath" | "os.path.normpath" => match first {
                    Some(v @ Value::RepoPath(_)) => v,
                    _ => Value::Unknown,
                },
                "Path" | "pathlib.Path" => match first {
                    Some(v @ Value::RepoPath(_)) => v,
                    Some(Value::Str(s)) => Value::string(s.s),
                    _ => Value::Unknown,
                },
                // A custom timetable (`WorkdayTimetable()`): scheduled, at
                // times only its code knows.
                _ if short.ends_with("Timetable") => Value::Timetable(Timetable {
                    cadence: None,
                    assets: Vec::new(),
                    name: short.to_string(),
                }),
                _ => return None,
            },
        })
    }

    /// Calls a function defined in the file: `@dag`, `@task`, `@task_group`,
    /// or a plain function whose body is read with the arguments bound.
    pub(super) fn call_function(
        &mut self,
        def: FnDef<'t>,
        args: &Args<'t>,
        node: Node<'t>,
    ) -> Value<'t> {
        match def.kind {
            FnKind::Task => self.call_task_fn(&def, args, node),
            FnKind::Dag => {
                let name = def
                    .node
                    .field(Field::Name)
                    .map_or("", |n| self.src.text_of(n));
                let mut dag_args = Args {
                    keywords: def.kwargs.clone(),
                    ..Args::default()
                };
                dag_args.unknown_spread = None;
                let name_at = Self::range(def.node.field(Field::Name).unwrap_or(def.node));
                let dag = self.make_dag(&dag_args, name_at, Some(name));
                let ctx = match dag {
                    Value::Dag(d) => Ctx::Dag(d),
                    _ => Ctx::Unknown,
                };
                self.ctx.push(ctx);
                self.run_body(&def, args);
                self.ctx.pop();
                dag
            }
            FnKind::TaskGroup => {
                let name = def
                    .node
                    .field(Field::Name)
                    .map_or("", |n| self.src.text_of(n));
                let group_args = Args {
                    keywords: def.kwargs.clone(),
                    ..Args::default()
                };
                let group = self.make_group(&group_args, Some(name));
                let ctx = match group {
                    Value::Group(g) => Ctx::Group(g),
                    _ => Ctx::Unknown,
                };
                self.ctx.push(ctx);
                let returned = self.run_body(&def, args);
                self.ctx.pop();
                match returned {
                    v @ Value::Tasks { .. } => v,
                    _ => group,
                }
            }
            FnKind::Plain => self.run_body(&def, args),
        }
    }

    /// Reads a function body with its parameters bound to the arguments;
    /// returns what it returns.
    pub(super) fn run_body(&mut self, def: &FnDef<'t>, args: &Args<'t>) -> Value<'t> {
        if self.call_depth >= MAX_CALL_DEPTH {
            self.model.unresolved(
                format!("calls nested deeper than {MAX_CALL_DEPTH} levels"),
                self.src.span(def.node),
            );
            return Value::Unknown;
        }
        let mut scope = HashMap::new();
        let params = def
            .node
            .field(Field::Parameters)
            .map(named_children)
            .unwrap_or_default();
        let mut positional = args.positional.iter();
        for p in params {
            let (name_node, default) = match p.kind() {
                "identifier" => (Some(p), None),
                "default_parameter" | "typed_default_parameter" => {
                    (p.field(Field::Name), p.field(Field::Value))
                }
                "typed_parameter" => (first_named(p), None),
                _ => (None, None),
            };
            let Some(name_node) = name_node else { continue };
            let name = self.src.text_of(name_node);
            let value = if let Some(kw) = args.kw(name) {
                kw.value.clone()
            } else if let Some((v, _)) = positional.next() {
                v.clone()
            } else if args.unknown_spread.is_some() {
                Value::Unknown
            } else if let Some(d) = default {
                self.eval(d)
            } else {
                Value::Unknown
            };
            scope.insert(name.to_string(), value);
        }
        self.scopes.push(scope);
        self.call_depth += 1;
        let flow = def
            .node
            .field(Field::Body)
            .map_or(Flow::Next, |b| self.exec_block(b));
        self.call_depth -= 1;
        self.scopes.pop();
        match flow {
            Flow::Return(v) => v,
            Flow::Next => Value::None,
        }
    }
}

pub(super) fn int_range<'t>(start: i64, end: i64) -> Value<'t> {
    if end.saturating_sub(start) > MAX_LOOP as i64 {
        return Value::Unknown;
    }
    Value::List((start..end).map(Value::Int).collect())
}

/// `"{} {name}".format(...)` with known arguments.
pub(super) fn str_format(fmt: &str, args: &Args<'_>) -> Option<String> {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    let mut auto = 0;
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut field = String::new();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    field.push(c);
                }
                if field.contains([':', '!', '.', '[']) {
                    return None;
                }
                let value = if field.is_empty() {
                    auto += 1;
                    args.positional.get(auto - 1).map(|(v, _)| v)
                } else if let Ok(i) = field.parse::<usize>() {
                    args.positional.get(i).map(|(v, _)| v)
                } else {
                    args.kw(&field).map(|e| &e.value)
                };
                out.push_str(&value?.display()?);
            }
            c => out.push(c),
        }
    }
    Some(out)
}
