//! Expressions: names, literals, strings, dicts, operators, comprehensions,
//! attributes and call arguments, folded to values where knowable.

use super::*;

impl<'t> Reader<'t> {
    /// Evaluates an expression (and records what it builds).
    pub fn eval(&mut self, node: Node<'t>) -> Value<'t> {
        if self.depth >= MAX_DEPTH {
            self.too_deep(node);
            return Value::Unknown;
        }
        self.depth += 1;
        let v = self.eval_inner(node);
        self.depth -= 1;
        v
    }

    pub(super) fn eval_inner(&mut self, node: Node<'t>) -> Value<'t> {
        match node.kind() {
            "identifier" => self.lookup(self.src.text_of(node)),
            "string" => self.eval_string(node),
            "concatenated_string" => {
                let mut out = String::new();
                for part in named_children(node) {
                    match self.eval(part) {
                        Value::Str(t) => out.push_str(&t.s),
                        _ => return Value::Unknown,
                    }
                }
                Value::string(out)
            }
            "integer" => parse_int(self.src.text_of(node)).map_or(Value::Unknown, Value::Int),
            "float" => self
                .src
                .text_of(node)
                .replace('_', "")
                .parse()
                .map_or(Value::Unknown, Value::Float),
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "none" => Value::None,
            "parenthesized_expression" => named_children(node)
                .first()
                .map_or(Value::Unknown, |c| self.eval(*c)),
            "list" | "tuple" | "set" | "expression_list" => {
                let mut items = Vec::new();
                let mut unknown_length = false;
                for child in named_children(node) {
                    if child.kind() == "list_splat" {
                        match first_named(child).map(|c| self.eval(c)) {
                            Some(Value::List(inner)) => items.extend(inner),
                            _ => unknown_length = true,
                        }
                    } else {
                        items.push(self.eval(child));
                    }
                }
                if unknown_length {
                    return Value::Unknown;
                }
                Value::list(items)
            }
            "dictionary" => self.eval_dict(node),
            "binary_operator" => self.eval_binary(node),
            "assignment" => {
                let value = node
                    .field(Field::Right)
                    .map_or(Value::Unknown, |r| self.eval(r));
                if let Some(left) = node.field(Field::Left) {
                    self.assign(left, value.clone());
                }
                value
            }
            "augmented_assignment" => {
                let Some((left, op, right)) = self.binary(node) else {
                    return Value::Unknown;
                };
                let current = self.eval(left);
                let add = self.eval(right);
                let value = if op == "+=" {
                    add_values(current, add)
                } else {
                    Value::Unknown
                };
                self.assign(left, value.clone());
                value
            }
            "named_expression" => {
                let value = node
                    .field(Field::Value)
                    .map_or(Value::Unknown, |v| self.eval(v));
                if let Some(name) = node.field(Field::Name) {
                    self.assign(name, value.clone());
                }
                value
            }
            "call" => self.eval_call(node),
            "attribute" => self.eval_attribute(node),
            "subscript" => {
                let object = node
                    .field(Field::Value)
                    .map_or(Value::Unknown, |v| self.eval(v));
                let key = node
                    .field(Field::Subscript)
                    .map_or(Value::Unknown, |k| self.eval(k));
                match (&object, &key) {
                    (Value::Tasks { xcom: true, .. }, _) => object.clone(),
                    (Value::Dict(_), Value::Str(k)) => {
                        object.get(&k.s).map_or(Value::Unknown, |e| e.value.clone())
                    }
                    (Value::List(items), Value::Int(i)) => {
                        let idx = if *i < 0 { items.len() as i64 + i } else { *i };
                        usize::try_from(idx)
                            .ok()
                            .and_then(|i| items.get(i))
                            .cloned()
                            .unwrap_or(Value::Unknown)
                    }
                    _ => Value::Unknown,
                }
            }
            "conditional_expression" => {
                let parts = named_children(node);
                if parts.len() != 3 {
                    return Value::Unknown;
                }
                match self.eval(parts[1]).truthy() {
                    Some(true) => self.eval(parts[0]),
                    Some(false) => self.eval(parts[2]),
                    None => {
                        self.eval(parts[0]);
                        self.eval(parts[2]);
                        Value::Unknown
                    }
                }
            }
            "boolean_operator" => {
                let Some((l, op, r)) = self.binary(node) else {
                    return Value::Unknown;
                };
                let left = self.eval(l);
                match (op, left.truthy()) {
                    ("and", Some(false)) | ("or", Some(true)) => left,
                    (_, Some(_)) => self.eval(r),
                    _ => {
                        self.eval(r);
                        Value::Unknown
                    }
                }
            }
            "not_operator" => node
                .field(Field::Argument)
                .map(|a| self.eval(a))
                .and_then(|v| v.truthy())
                .map_or(Value::Unknown, |b| Value::Bool(!b)),
            "comparison_operator" => self.eval_comparison(node),
            "list_comprehension" => self.eval_comprehension(node),
            "unary_operator" => {
                let arg = node
                    .field(Field::Argument)
                    .map_or(Value::Unknown, |a| self.eval(a));
                let op = node
                    .field(Field::Operator)
                    .map_or("", |o| self.src.text_of(o));
                match (op, arg) {
                    ("-", Value::Int(i)) => Value::Int(-i),
                    ("-", Value::Float(f)) => Value::Float(-f),
                    _ => Value::Unknown,
                }
            }
            "keyword_argument" | "lambda" | "generator_expression" | "await" | "yield" => {
                Value::Unknown
            }
            _ => Value::Unknown,
        }
    }

    pub(super) fn eval_string(&mut self, node: Node<'t>) -> Value<'t> {
        let mut prefix = "";
        let mut out = String::new();
        let mut raw_at = None;
        let mut verbatim = true;
        let mut contents = 0;
        for child in named_children(node) {
            match child.kind() {
                "string_start" => {
                    let t = self.src.text_of(child);
                    prefix = t.trim_end_matches(['"', '\'']);
                }
                "string_content" => {
                    contents += 1;
                    let lower = prefix.to_ascii_lowercase();
                    let (text, same) = unescape(
                        self.src.text_of(child),
                        lower.contains('r'),
                        lower.contains('f') || lower.contains('t'),
                    );
                    verbatim &= same;
                    if raw_at.is_none() {
                        raw_at = Some(child.start_byte());
                    }
                    out.push_str(&text);
                }
                "interpolation" => {
                    verbatim = false;
                    if child.field(Field::FormatSpecifier).is_some()
                        || child.field(Field::TypeConversion).is_some()
                    {
                        return Value::Unknown;
                    }
                    let value = child
                        .field(Field::Expression)
                        .map_or(Value::Unknown, |e| self.eval(e));
                    match value.display() {
                        Some(s) => out.push_str(&s),
                        None => return Value::Unknown,
                    }
                }
                _ => {}
            }
        }
        if prefix.to_ascii_lowercase().contains('b') {
            return Value::Unknown;
        }
        if out.len() > super::super::values::MAX_TEXT {
            return Value::Unknown;
        }
        Value::Str(Text {
            s: out,
            raw_at: raw_at.filter(|_| verbatim && contents == 1),
        })
    }

    pub(super) fn eval_dict(&mut self, node: Node<'t>) -> Value<'t> {
        let mut entries: Vec<Entry<'t>> = Vec::new();
        for child in named_children(node) {
            match child.kind() {
                "pair" => {
                    let key = child
                        .field(Field::Key)
                        .map_or(Value::Unknown, |k| self.eval(k));
                    let Some(value_node) = child.field(Field::Value) else {
                        continue;
                    };
                    let value = self.eval(value_node);
                    if let Some(key) = key.display().filter(|_| !matches!(key, Value::None)) {
                        entries.retain(|e| e.key != key);
                        entries.push(Entry {
                            key,
                            value,
                            at: Self::range(value_node),
                        });
                    }
                }
                "dictionary_splat" => match first_named(child).map(|c| self.eval(c)) {
                    Some(Value::Dict(inner)) => {
                        for e in inner {
                            entries.retain(|x| x.key != e.key);
                            entries.push(e);
                        }
                    }
                    _ => return Value::Unknown,
                },
                _ => {}
            }
        }
        Value::dict(entries)
    }

    /// The left operand, operator text and right operand of a binary node.
    pub(super) fn binary(&self, node: Node<'t>) -> Option<(Node<'t>, &'t str, Node<'t>)> {
        let left = node.field(Field::Left)?;
        let right = node.field(Field::Right)?;
        let op = node
            .field(Field::Operator)
            .map_or("", |o| self.src.text_of(o));
        Some((left, op, right))
    }

    /// Flattens a left-nested chain of one operator (`a >> b >> c`, `"a" + b + c`)
    /// iteratively, so long chains cost no recursion.
    pub(super) fn operator_chain(&self, node: Node<'t>) -> (String, Vec<Node<'t>>, Vec<Node<'t>>) {
        let op_text = |n: Node<'t>| {
            n.field(Field::Operator)
                .map_or(String::new(), |o| self.src.text_of(o).to_string())
        };
        let op = op_text(node);
        let mut operands = Vec::new();
        let mut operators = Vec::new();
        let mut current = node;
        while let (Some(l), Some(r)) = (current.field(Field::Left), current.field(Field::Right)) {
            operands.push(r);
            if let Some(o) = current.field(Field::Operator) {
                operators.push(o);
            }
            if l.kind() == "binary_operator" && op_text(l) == op {
                current = l;
            } else {
                operands.push(l);
                break;
            }
        }
        operands.reverse();
        operators.reverse();
        (op, operands, operators)
    }

    pub(super) fn eval_binary(&mut self, node: Node<'t>) -> Value<'t> {
        let (op, operands, operators) = self.operator_chain(node);
        let mut values: Vec<Value<'t>> = operands.iter().map(|n| self.eval(*n)).collect();
        match op.as_str() {
            ">>" | "<<" => {
                let mut operators = operators;
                let mut i = 0;
                while i < values.len() {
                    if matches!(values[i], Value::Label) && values.len() > 1 {
                        values.remove(i);
                        if !operators.is_empty() {
                            operators.remove(i.min(operators.len() - 1));
                        }
                    } else {
                        i += 1;
                    }
                }
                for (i, pair) in values.windows(2).enumerate() {
                    let span = operators
                        .get(i)
                        .map_or_else(|| self.src.span(node), |o| self.src.span(*o));
                    if op == ">>" {
                        self.connect(&pair[0], &pair[1], span);
                    } else {
                        self.connect(&pair[1], &pair[0], span);
                    }
                }
                values.into_iter().last().unwrap_or(Value::Unknown)
            }
            "+" => values
                .into_iter()
                .reduce(add_values)
                .unwrap_or(Value::Unknown),
            "|" | "&" => {
                let mut assets = Vec::new();
                for v in values {
                    collect_assets(&v, &mut assets);
                }
                if assets.is_empty() {
                    Value::Unknown
                } else {
                    Value::List(assets.into_iter().map(Value::Asset).collect())
                }
            }
            "/" => values
                .into_iter()
                .reduce(|a, b| match (a, b) {
                    (Value::RepoPath(p), Value::Str(s)) => Value::RepoPath(join_path(&p, &s.s)),
                    _ => Value::Unknown,
                })
                .unwrap_or(Value::Unknown),
            "%" => match (values.first(), values.get(1)) {
                (Some(Value::Str(fmt)), Some(arg)) if values.len() == 2 => {
                    percent_format(&fmt.s, arg).map_or(Value::Unknown, Value::string)
                }
                _ => Value::Unknown,
            },
            _ => Value::Unknown,
        }
    }

    pub(super) fn eval_comparison(&mut self, node: Node<'t>) -> Value<'t> {
        let parts = named_children(node);
        let mut ops = Vec::new();
        let mut c = node.walk();
        for child in node.children(&mut c) {
            if !child.is_named() {
                ops.push(self.src.text_of(child).to_string());
            }
        }
        let values: Vec<Value<'t>> = parts.iter().map(|p| self.eval(*p)).collect();
        if values.len() != 2 || ops.is_empty() {
            return Value::Unknown;
        }
        let op = ops.join(" ");
        let eq = values[0].equals(&values[1]);
        match op.as_str() {
            "==" | "is" => eq.map_or(Value::Unknown, Value::Bool),
            "!=" | "is not" => eq.map_or(Value::Unknown, |b| Value::Bool(!b)),
            "in" | "not in" => {
                let found = match &values[1] {
                    Value::List(items) => items
                        .iter()
                        .map(|i| values[0].equals(i))
                        .try_fold(false, |acc, e| e.map(|e| acc || e)),
                    Value::Dict(_) => values[0].as_str().map(|k| values[1].get(k).is_some()),
                    Value::Str(s) => values[0].as_str().map(|k| s.s.contains(k)),
                    _ => None,
                };
                found.map_or(Value::Unknown, |f| Value::Bool(f == (op == "in")))
            }
            _ => Value::Unknown,
        }
    }

    pub(super) fn eval_comprehension(&mut self, node: Node<'t>) -> Value<'t> {
        let Some(body) = node.field(Field::Body) else {
            return Value::Unknown;
        };
        let clauses: Vec<Node<'t>> = named_children(node)
            .into_iter()
            .filter(|c| matches!(c.kind(), "for_in_clause" | "if_clause"))
            .collect();
        let [for_clause, rest @ ..] = clauses.as_slice() else {
            return Value::Unknown;
        };
        if for_clause.kind() != "for_in_clause" || rest.iter().any(|c| c.kind() != "if_clause") {
            return Value::Unknown;
        }
        let (Some(left), Some(right)) = (
            for_clause.field(Field::Left),
            for_clause.field(Field::Right),
        ) else {
            return Value::Unknown;
        };
        let iterable = self.eval(right);
        let Some(items) = iteration_items(iterable) else {
            return Value::Unknown;
        };
        self.scopes.push(HashMap::new());
        let mut out = Vec::new();
        for item in items.into_iter().take(MAX_LOOP) {
            if !self.tick(node) {
                break;
            }
            self.assign(left, item);
            let mut keep = Some(true);
            for cond in rest {
                let v = named_children(*cond)
                    .first()
                    .map_or(Value::Unknown, |c| self.eval(*c));
                keep = match (keep, v.truthy()) {
                    (Some(true), t) => t,
                    (k, _) => k,
                };
            }
            match keep {
                Some(true) => out.push(self.eval(body)),
                Some(false) => {}
                None => {
                    self.eval(body);
                    out.push(Value::Unknown);
                }
            }
        }
        self.scopes.pop();
        Value::list(out)
    }

    pub(super) fn eval_attribute(&mut self, node: Node<'t>) -> Value<'t> {
        let (Some(object), Some(attr)) = (node.field(Field::Object), node.field(Field::Attribute))
        else {
            return Value::Unknown;
        };
        let attr = self.src.text_of(attr);
        let value = self.eval(object);
        match (value, attr) {
            (Value::Tasks { items, .. }, "output") => Value::Tasks { items, xcom: true },
            (Value::RepoPath(p), "parent") => Value::RepoPath(parent_dir(&p)),
            (Value::RepoPath(p), "name") => Value::string(file_name(&p)),
            (Value::RepoPath(p), "stem") => {
                let name = file_name(&p);
                let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
                Value::string(stem)
            }
            (Value::Dag(d), "dag_id") => Value::string(self.model.dags[d].id.clone()),
            (Value::Tasks { items, .. }, "task_id") => match items.as_slice() {
                [super::super::values::Endpoint::Task(t)] => {
                    Value::string(self.model.tasks[*t].job.name.clone())
                }
                _ => Value::Unknown,
            },
            _ => Value::Unknown,
        }
    }

    /// Evaluates a call's arguments, spreading known `*list` / `**dict`.
    pub fn eval_args(&mut self, node: Option<Node<'t>>) -> Args<'t> {
        let mut args = Args::default();
        let Some(node) = node else { return args };
        if node.kind() != "argument_list" {
            self.eval(node);
            args.unknown_spread = Some(Self::range(node));
            return args;
        }
        for child in named_children(node) {
            match child.kind() {
                "keyword_argument" => {
                    let (Some(name), Some(value)) =
                        (child.field(Field::Name), child.field(Field::Value))
                    else {
                        continue;
                    };
                    let v = self.eval(value);
                    args.keywords.push(Entry {
                        key: self.src.text_of(name).to_string(),
                        value: v,
                        at: Self::range(value),
                    });
                }
                "list_splat" => match first_named(child).map(|c| self.eval(c)) {
                    Some(Value::List(items)) => {
                        let at = Self::range(child);
                        args.positional.extend(items.into_iter().map(|v| (v, at)));
                    }
                    _ => args.unknown_spread = Some(Self::range(child)),
                },
                "dictionary_splat" => match first_named(child).map(|c| self.eval(c)) {
                    Some(Value::Dict(entries)) => args.keywords.extend(entries),
                    _ => args.unknown_spread = Some(Self::range(child)),
                },
                _ => {
                    let v = self.eval(child);
                    args.positional.push((v, Self::range(child)));
                }
            }
        }
        args
    }
}

pub(super) fn parse_int(text: &str) -> Option<i64> {
    let t = text.replace('_', "").to_ascii_lowercase();
    if let Some(hex) = t.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    t.parse().ok()
}

/// `a + b` for strings, lists and numbers.
pub(super) fn add_values<'t>(a: Value<'t>, b: Value<'t>) -> Value<'t> {
    match (a, b) {
        (Value::Str(a), Value::Str(b)) => Value::string(a.s + &b.s),
        (Value::List(mut a), Value::List(b)) => {
            a.extend(b);
            Value::list(a)
        }
        (Value::Int(a), Value::Int(b)) => a.checked_add(b).map_or(Value::Unknown, Value::Int),
        (Value::Duration(a), Value::Duration(b)) => Value::Duration(a.saturating_add(b)),
        _ => Value::Unknown,
    }
}

/// `"%s_%s" % (a, b)` with known arguments (`%s` and `%d` only).
pub(super) fn percent_format(fmt: &str, arg: &Value<'_>) -> Option<String> {
    let values: Vec<&Value<'_>> = match arg {
        Value::List(items) => items.iter().collect(),
        v => vec![v],
    };
    let mut out = String::new();
    let mut next = values.into_iter();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            's' | 'd' => out.push_str(&next.next()?.display()?),
            _ => return None,
        }
    }
    next.next().is_none().then_some(out)
}
