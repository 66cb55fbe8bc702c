//! Dependencies between tasks: `>>`, `<<`, lists on either side, `chain`,
//! `chain_linear`, `cross_downstream`, `set_upstream` / `set_downstream`,
//! and task groups as endpoints (a group upstream stands for its leaves, a
//! group downstream for its roots, computed when the edge is set, as Airflow
//! does).

use std::collections::{HashMap, HashSet};

use crate::facts::{EdgeFact, EdgeKind};
use crate::span::Span;

use super::interpreter::Reader;
use super::model::{Model, PendingEdge};
use super::values::{Args, Endpoint, Value};

/// The endpoints a value stands for, and whether it was a list.
fn endpoints(value: &Value<'_>) -> Option<(Vec<Endpoint>, bool)> {
    match value {
        Value::Tasks { items, .. } => Some((items.clone(), items.len() > 1)),
        Value::Group(g) => Some((vec![Endpoint::Group(*g)], false)),
        Value::List(items) => {
            let mut out = Vec::new();
            for i in items {
                out.extend(endpoints(i)?.0);
            }
            Some((out, true))
        }
        _ => None,
    }
}

impl<'t> Reader<'t> {
    /// `up >> down`: every endpoint of `up` before every endpoint of `down`.
    /// A list on both sides is an error in Airflow and sets nothing.
    pub(super) fn connect(&mut self, up: &Value<'t>, down: &Value<'t>, span: Span) {
        let (Some((ups, up_list)), Some((downs, down_list))) = (endpoints(up), endpoints(down))
        else {
            return;
        };
        if up_list && down_list {
            return;
        }
        self.connect_all(&ups, &downs, &span);
    }

    fn connect_all(&mut self, ups: &[Endpoint], downs: &[Endpoint], span: &Span) {
        for u in ups {
            for d in downs {
                if u != d {
                    self.model.pending.push(PendingEdge {
                        from: *u,
                        to: *d,
                        span: span.clone(),
                    });
                }
            }
        }
    }

    /// `chain(a, [b, c], d)`: consecutive elements in order; two lists in a
    /// row must have the same length and are joined pairwise.
    pub(super) fn chain(&mut self, args: &Args<'t>, span: Span) {
        let items: Vec<Option<(Vec<Endpoint>, bool)>> =
            args.positional.iter().map(|(v, _)| endpoints(v)).collect();
        for pair in items.windows(2) {
            let (Some((ups, up_list)), Some((downs, down_list))) = (&pair[0], &pair[1]) else {
                continue;
            };
            if *up_list && *down_list {
                if ups.len() == downs.len() {
                    for (u, d) in ups.iter().zip(downs) {
                        self.connect_all(&[*u], &[*d], &span);
                    }
                }
            } else {
                self.connect_all(ups, downs, &span);
            }
        }
    }

    /// `chain_linear(a, [b, c], [d, e])`: every element of one argument before
    /// every element of the next.
    pub(super) fn chain_linear(&mut self, args: &Args<'t>, span: Span) {
        let items: Vec<Option<(Vec<Endpoint>, bool)>> =
            args.positional.iter().map(|(v, _)| endpoints(v)).collect();
        for pair in items.windows(2) {
            if let (Some((ups, _)), Some((downs, _))) = (&pair[0], &pair[1]) {
                self.connect_all(ups, downs, &span);
            }
        }
    }

    /// `cross_downstream(from_tasks, to_tasks)`: every pair.
    pub(super) fn cross_downstream(&mut self, args: &Args<'t>, span: Span) {
        let from = args.arg("from_tasks", 0).and_then(|(v, _)| endpoints(v));
        let to = args.arg("to_tasks", 1).and_then(|(v, _)| endpoints(v));
        if let (Some((ups, _)), Some((downs, _))) = (from, to) {
            self.connect_all(&ups, &downs, &span);
        }
    }
}

/// The most `after` edges one file may produce; a file past it is noted as
/// unresolved instead of flooding the graph.
pub(super) const MAX_EDGES: usize = 100_000;

/// Expands the dependencies in the order they were set into task-to-task
/// `after` edges (`task:<dag>.<id>` ids), deduplicated, each with the span of
/// its first writing. Endpoints in different DAGs (an error in Airflow) are
/// dropped. The second value is false when `MAX_EDGES` cut the list short.
pub(super) fn resolve_edges(model: &Model) -> (Vec<EdgeFact>, bool) {
    let chains: Vec<Vec<usize>> = (0..model.tasks.len())
        .map(|t| group_chain(model, t))
        .collect();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); model.groups.len()];
    for (t, chain) in chains.iter().enumerate() {
        for g in chain {
            members[*g].push(t);
        }
    }
    // For each task and each group it is in: how many of its upstream and
    // downstream tasks are in that group too (a root has none upstream).
    let mut ups_in: HashMap<(usize, usize), usize> = HashMap::new();
    let mut downs_in: HashMap<(usize, usize), usize> = HashMap::new();
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut ordered: Vec<(usize, usize, Span)> = Vec::new();
    for edge in &model.pending {
        if model.endpoint_dag(edge.from) != model.endpoint_dag(edge.to) {
            continue;
        }
        let ups = expand(edge.from, &members, &downs_in);
        let downs = expand(edge.to, &members, &ups_in);
        for u in &ups {
            for d in &downs {
                if u == d || !seen.insert((*u, *d)) {
                    continue;
                }
                if ordered.len() >= MAX_EDGES {
                    return (to_facts(model, ordered), false);
                }
                for g in chains[*u].iter().filter(|g| chains[*d].contains(g)) {
                    *downs_in.entry((*u, *g)).or_default() += 1;
                    *ups_in.entry((*d, *g)).or_default() += 1;
                }
                ordered.push((*u, *d, edge.span.clone()));
            }
        }
    }
    (to_facts(model, ordered), true)
}

fn to_facts(model: &Model, ordered: Vec<(usize, usize, Span)>) -> Vec<EdgeFact> {
    ordered
        .into_iter()
        .map(|(u, d, span)| EdgeFact {
            from: model.tasks[u].job.id.clone(),
            to: model.tasks[d].job.id.clone(),
            kind: EdgeKind::After,
            span,
        })
        .collect()
}

/// The groups a task is in, innermost first.
fn group_chain(model: &Model, task: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut g = model.tasks[task].group;
    while let Some(current) = g {
        if out.len() > model.groups.len() {
            break;
        }
        out.push(current);
        g = model.groups[current].parent;
    }
    out
}

/// The tasks an endpoint stands for: itself, or a group's members with no
/// edge inside the group on the given side (its leaves as an upstream, its
/// roots as a downstream), given the edges set so far.
fn expand(
    e: Endpoint,
    members: &[Vec<usize>],
    inside: &HashMap<(usize, usize), usize>,
) -> Vec<usize> {
    match e {
        Endpoint::Task(t) => vec![t],
        Endpoint::Group(g) => members[g]
            .iter()
            .copied()
            .filter(|m| inside.get(&(*m, g)).copied().unwrap_or(0) == 0)
            .collect(),
    }
}
