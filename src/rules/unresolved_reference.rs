//! PL102 unresolved-reference: a reference that leads nowhere in the repo.

use crate::diagnostic::Diagnostic;
use crate::graph::Graph;
use crate::rules::{meta, Rule, RuleMeta};

/// Reports each unresolved name once, at its first reference, with the others related.
pub struct UnresolvedReference;

static META: RuleMeta = meta!(
    "PL102",
    "unresolved-reference",
    Warn,
    "a ref/source/table/task id that resolves to nothing"
);

impl Rule for UnresolvedReference {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, graph: &Graph) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for u in &graph.unresolved {
            let Some((node, span)) = u.places.first() else {
                continue;
            };
            let (message, help) = match u.what {
                "dataset" => (
                    format!("`{}` is read, but nothing in the repo writes it and no source lands it", u.name),
                    "declare the source that lands it (`[[source]] lands_in`), add the job that builds it, or fix the name".to_string(),
                ),
                "model" => (format!("ref to model `{}`, which does not exist", u.name), "fix the model name".to_string()),
                "source" => (format!("dbt source `{}` is not declared", u.name), "declare it under `sources:` in a schema .yml file".to_string()),
                "script" => (
                    format!("runs `{}`, which is not a SQL file of this repo", u.name),
                    "fix the path (repo-relative) or the template_searchpath".to_string(),
                ),
                "package" => (
                    format!("refs into package `{}`, which is not installed", u.name),
                    "run `dbt deps` so the package's models can be resolved".to_string(),
                ),
                other => (format!("depends on {other} `{}`, which is not defined anywhere", u.name), "fix the id".to_string()),
            };
            let help = match &u.suggestion {
                Some(s) => format!("did you mean `{s}`? {help}"),
                None => help,
            };
            let mut d = Diagnostic::new("unresolved-reference", message)
                .node(node.clone())
                .at(Some(span.clone()))
                .help(help);
            for (other, span) in u.places.iter().skip(1) {
                d = d.related(
                    "also referenced here",
                    Some(other.clone()),
                    Some(span.clone()),
                );
            }
            out.push(d);
        }
        out
    }
}
