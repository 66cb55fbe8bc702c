//! DAG generators pipelint cannot expand: code imported from outside the
//! file that builds DAGs or tasks (a YAML-driven DAG framework such as
//! dag-factory, a factory called in a loop over config, a helper that adds
//! tasks to a DAG). Nothing it builds can be seen statically, so the file
//! gets an `unresolved-dynamic` note naming the construct, never silence.
//!
//! A call of an imported function counts as a generator when its result is
//! stored in `globals()[…]` or it is handed `globals()`, when it is called
//! in a loop at module level, or when it is called as a statement inside a
//! `with DAG` / `with TaskGroup` block. Classes (operators, sensors) are
//! tasks, not generators.

use tree_sitter::Node;

use super::interpreter::Reader;
use super::syntax::{first_named, named_children, Field, Fields, Source};

impl<'t> Reader<'t> {
    /// Notes an expression statement that hands DAG or task building to
    /// imported code (see the module documentation).
    pub(super) fn note_generator(&mut self, stmt: Node<'t>) {
        if self.in_call() {
            return;
        }
        let Some(expr) = first_named(stmt) else {
            return;
        };
        let (call, target) = match expr.kind() {
            "call" => (expr, None),
            "assignment" => match expr.field(Field::Right) {
                Some(right) if right.kind() == "call" => (right, expr.field(Field::Left)),
                _ => return,
            },
            _ => return,
        };
        let Some(function) = call.field(Field::Function) else {
            return;
        };
        if function.kind() != "identifier" {
            return;
        }
        let name = self.src.text_of(function);
        // A class (an operator, a sensor) builds one task pipelint reads.
        if name.starts_with(|c: char| c.is_ascii_uppercase()) {
            return;
        }
        let Some(module) = self.is_foreign(name).map(str::to_string) else {
            return;
        };
        let into_globals = target.is_some_and(|t| {
            t.kind() == "subscript"
                && t.field(Field::Value)
                    .is_some_and(|v| is_globals_call(self.src, v))
        });
        let given_globals = call.field(Field::Arguments).is_some_and(|args| {
            named_children(args)
                .into_iter()
                .any(|a| holds_globals(self.src, a))
        });
        let in_dag = !self.ctx.is_empty() && target.is_none();
        let in_loop = self.loops > 0 && self.ctx.is_empty();
        if into_globals || given_globals || in_dag || in_loop {
            let what = if in_dag { "tasks" } else { "DAGs" };
            let span = self.src.span_of(call.start_byte(), call.end_byte());
            self.model.unresolved(
                format!("the {what} built by `{name}` (imported from `{module}`)"),
                span,
            );
        }
    }
}

/// `globals()`.
fn is_globals_call(src: &Source<'_>, node: Node<'_>) -> bool {
    node.kind() == "call"
        && node
            .field(Field::Function)
            .is_some_and(|f| f.kind() == "identifier" && src.text_of(f) == "globals")
        && node
            .field(Field::Arguments)
            .is_some_and(|a| a.named_child_count() == 0)
}

/// An argument that is `globals()` or `name=globals()`.
fn holds_globals(src: &Source<'_>, arg: Node<'_>) -> bool {
    match arg.kind() {
        "keyword_argument" => arg
            .field(Field::Value)
            .is_some_and(|v| is_globals_call(src, v)),
        _ => is_globals_call(src, arg),
    }
}
