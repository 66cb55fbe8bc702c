//! PL202 unknown-owner: an owner that is not a declared team.

use std::collections::BTreeMap;

use crate::diagnostic::Diagnostic;
use crate::graph::{Graph, NodeKind};
use crate::rules::{meta, Rule, RuleMeta};
use crate::span::Span;

/// A node id and where it is defined.
type NodePlace<'g> = (&'g str, Option<Span>);

/// Flags owners outside `[teams]`, once per place the owner is written.
pub struct UnknownOwner;

static META: RuleMeta = meta!(
    "PL202",
    "unknown-owner",
    Error,
    "an owner not declared in [teams]"
);

impl Rule for UnknownOwner {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, graph: &Graph) -> Vec<Diagnostic> {
        if graph.teams.is_empty() {
            return Vec::new();
        }
        // One finding per written owner: a bad `[paths]` owner inherited by forty
        // scripts is one mistake on one line.
        let mut by_place: BTreeMap<(String, Option<Span>), Vec<NodePlace>> = BTreeMap::new();
        for (_, n) in graph.nodes() {
            if n.kind == NodeKind::Dataset {
                continue;
            }
            let Some(owner) = &n.owner else { continue };
            if graph.teams.iter().any(|t| t == &owner.value) {
                continue;
            }
            by_place
                .entry((owner.value.clone(), owner.span.clone()))
                .or_default()
                .push((n.id.as_str(), n.span.clone()));
        }
        let mut out = Vec::new();
        for ((owner, span), nodes) in by_place {
            let Some((first, first_span)) = nodes.first() else {
                continue;
            };
            let hint = crate::suggest::closest(&owner, graph.teams.iter().map(String::as_str))
                .map(|t| format!("did you mean `{t}`? "))
                .unwrap_or_default();
            let mut d = Diagnostic::new(
                "unknown-owner",
                format!("owner `{owner}` of `{first}` is not a team declared in [teams]"),
            )
            .node(first.to_string())
            .at(span.clone().or_else(|| first_span.clone()))
            .help(format!(
                "{hint}declare the team under [teams] in pipeline.toml, or fix the owner"
            ));
            for (other, other_span) in nodes.iter().skip(1) {
                d = d.related(
                    format!("`{other}` has the same owner"),
                    Some(other.to_string()),
                    other_span.clone(),
                );
            }
            out.push(d);
        }
        out
    }
}
