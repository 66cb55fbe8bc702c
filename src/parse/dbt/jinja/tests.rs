//! Every dbt Jinja construct the recording environment stands in for.

use super::*;
use crate::parse::dbt::yaml;

fn macro_def(package: &str, source: &str) -> Vec<MacroDef> {
    let (rewritten, _) = crate::parse::dbt::template_scan::rewrite_dbt_blocks(source);
    let (macros, _) = crate::parse::dbt::template_scan::split_macros(&rewritten);
    macros
        .into_iter()
        .map(|m| MacroDef {
            package: package.to_string(),
            name: m.name,
            source: m.source,
        })
        .collect()
}

fn jinja(macros: Vec<MacroDef>, vars: &str) -> DbtJinja {
    let scope = Scope {
        root_package: "acme".into(),
        installed: ["acme", "dbt_utils"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        missing: ["codegen"].iter().map(|s| s.to_string()).collect(),
        root_vars: Some(yaml::parse(vars).unwrap()).filter(|v| !v.is_null()),
        adapter_type: "snowflake".into(),
        target: target_value("snowflake"),
        ..Scope::default()
    };
    DbtJinja::new(scope, macros)
}

fn node(name: &str) -> NodeInfo {
    NodeInfo {
        package: "acme".into(),
        name: name.into(),
        resource_type: "model",
        path: format!("models/{name}.sql"),
        alias: name.into(),
        ..NodeInfo::default()
    }
}

fn refs(r: &Rendered) -> Vec<String> {
    r.recording
        .refs
        .iter()
        .map(|r| {
            let mut s = match &r.package {
                Some(p) => format!("{p}.{}", r.name),
                None => r.name.clone(),
            };
            if let Some(v) = &r.version {
                s.push_str(&format!("@v{v}"));
            }
            s
        })
        .collect()
}

fn render(j: &DbtJinja, text: &str) -> Rendered {
    j.render("models/m.sql", text, node("m"))
}

#[test]
fn ref_forms_are_recorded() {
    let j = jinja(vec![], "");
    let r = render(
        &j,
        "select * from {{ ref('a') }} join {{ ref('pkg', 'b') }} join {{ ref('c', version=2) }} join {{ ref('d', v='3') }}",
    );
    assert_eq!(
        r.output.as_deref().unwrap(),
        "select * from a join b join c join d"
    );
    assert_eq!(refs(&r), vec!["a", "pkg.b", "c@v2", "d@v3"]);
}

#[test]
fn unicode_whitespace_inside_tags_renders_as_in_jinja2() {
    let j = jinja(vec![], "");
    let r = render(
        &j,
        "{{ config({\n  \"database\": env_var('DB')\u{2009},\n  \"schema\": \"legacy\"})\n}}select 1 from {{\u{a0}ref('namespaces') }}",
    );
    assert_eq!(r.output.as_deref().unwrap(), "select 1 from namespaces");
    assert_eq!(refs(&r), vec!["namespaces"]);
}

#[test]
fn source_is_recorded_and_renders_schema_and_table() {
    let j = jinja(vec![], "");
    let r = render(&j, "select * from {{ source('raw', 'orders') }}");
    assert_eq!(r.recording.sources, vec![("raw".into(), "orders".into())]);
    assert_eq!(r.output.clone().unwrap(), "select * from raw.orders");
}

#[test]
fn config_is_recorded_and_readable() {
    let j = jinja(vec![], "");
    let r = render(
        &j,
        "{{ config(materialized='table', schema='mart', alias='rev', tags=['a','b'], group='finance', meta={'owner': 'analytics-eng'}) }}{{ config.get('materialized') }}|{{ config.get('missing', 'dflt') }}",
    );
    assert_eq!(r.output.clone().unwrap(), "table|dflt");
    let c = &r.recording.config;
    assert_eq!(c.schema.as_ref().unwrap().value, "mart");
    assert_eq!(c.alias.as_ref().unwrap().value, "rev");
    assert_eq!(c.materialized.as_ref().unwrap().value, "table");
    assert_eq!(c.group.as_ref().unwrap().value, "finance");
    assert_eq!(c.owner.as_ref().unwrap().value, "analytics-eng");
    assert_eq!(c.tags, vec!["a", "b"]);
}

#[test]
fn vars_use_project_values_then_defaults() {
    let j = jinja(vec![], "start: '2020-01-01'\nacme:\n  scoped: yes_scoped\nevents_model: \"{{ ref('stg_events') }}\"\n");
    let r = render(
        &j,
        "{{ var('start') }}|{{ var('scoped') }}|{{ var('nope', 'dflt') }}|{{ var('nope') is none }}|{{ var('events_model') }}",
    );
    assert_eq!(
        r.output.clone().unwrap(),
        "2020-01-01|yes_scoped|dflt|True|stg_events"
    );
    assert_eq!(refs(&r), vec!["stg_events"]);
}

#[test]
fn env_var_uses_defaults_only() {
    std::env::set_var("PIPELINT_TEST_SECRET", "leaked");
    let j = jinja(vec![], "");
    let r = render(
        &j,
        "{{ env_var('PIPELINT_TEST_SECRET', 'dflt') }}|{{ env_var('PIPELINT_TEST_SECRET') }}|",
    );
    assert_eq!(r.output.clone().unwrap(), "dflt||");
}

#[test]
fn is_incremental_is_false_and_execute_is_false() {
    let j = jinja(vec![], "");
    let r = render(
        &j,
        "{% if is_incremental() %}{{ ref('inc') }}{% endif %}{% if execute %}{{ ref('exec') }}{% endif %}{{ ref('always') }}",
    );
    assert_eq!(refs(&r), vec!["always"]);
}

#[test]
fn this_and_target_render() {
    let j = jinja(vec![], "");
    let r = j.render(
        "m",
        "{{ this }}|{{ this.identifier }}|{{ target.name }}|{{ target.type }}|{{ target.schema }}",
        NodeInfo {
            schema: Some("mart".into()),
            ..node("rev")
        },
    );
    assert_eq!(
        r.output.clone().unwrap(),
        "mart.rev|rev|dev|snowflake|analytics"
    );
}

#[test]
fn project_macros_render_and_record_refs_inside() {
    let macros = macro_def(
        "acme",
        "{% macro cents_to_dollars(col) %}({{ col }} / 100.0){% endmacro %}\n{% macro orders() %}{{ ref('stg_orders') }}{% endmacro %}",
    );
    let j = jinja(macros, "");
    let r = render(
        &j,
        "select {{ cents_to_dollars('amount') }} from {{ orders() }}",
    );
    assert_eq!(
        r.output.clone().unwrap(),
        "select (amount / 100.0) from stg_orders"
    );
    assert_eq!(refs(&r), vec!["stg_orders"]);
}

#[test]
fn return_gives_the_macro_value() {
    let macros = macro_def(
        "acme",
        "{% macro cols() %}{% do return(['a', 'b']) %}ignored{% endmacro %}\n{% macro pick(x) %}{% if x %}{{ return('yes') }}{% endif %}{{ return('no') }}{% endmacro %}",
    );
    let j = jinja(macros, "");
    let r = render(
        &j,
        "{{ cols() | join(',') }}|{{ pick(true) }}|{{ pick(false) }}",
    );
    assert_eq!(r.output.clone().unwrap(), "a,b|yes|no");
}

#[test]
fn overridden_ref_macro_still_records_through_builtins() {
    let macros = macro_def(
        "acme",
        "{% macro ref(model_name) %}{% set rel = builtins.ref(model_name) %}{% do return(rel) %}{% endmacro %}",
    );
    let j = jinja(macros, "");
    let r = render(&j, "select * from {{ ref('a') }}");
    assert_eq!(r.output.clone().unwrap(), "select * from a");
    assert_eq!(refs(&r), vec!["a"]);
}

#[test]
fn adapter_dispatch_finds_adapter_then_default_macros() {
    let mut macros = macro_def(
        "dbt_utils",
        "{% macro star(from) %}{{ return(adapter.dispatch('star', 'dbt_utils')(from)) }}{% endmacro %}\n{% macro default__star(from) %}*{% endmacro %}\n{% macro snowflake__datediff(a) %}sf{% endmacro %}\n{% macro default__datediff(a) %}d{% endmacro %}",
    );
    macros.extend(macro_def(
        "acme",
        "{% macro default__thing() %}{{ ref('inside_dispatch') }}{% endmacro %}",
    ));
    let j = jinja(macros, "");
    let r = render(
        &j,
        "{{ dbt_utils.star(ref('a')) }}|{{ adapter.dispatch('datediff', 'dbt_utils')(1) }}|{{ adapter.dispatch('thing')() }}",
    );
    assert_eq!(r.output.clone().unwrap(), "*|sf|inside_dispatch");
    assert_eq!(refs(&r), vec!["a", "inside_dispatch"]);
}

#[test]
fn run_query_log_exceptions_and_statement_are_inert() {
    let j = jinja(vec![], "");
    let r = render(
        &j,
        "{% set r = run_query('select 1') %}{% if r %}x{% endif %}{{ log('hi', info=True) }}{% do exceptions.raise_compiler_error('boom') %}{% call statement('s', fetch_result=True) %}{{ ref('in_statement') }}{% endcall %}{{ ref('after') }}",
    );
    assert_eq!(r.output.clone().unwrap(), "after");
    assert_eq!(refs(&r), vec!["after"]);
}

#[test]
fn unknown_names_and_missing_packages_are_inert() {
    let j = jinja(vec![], "");
    let r = render(
        &j,
        "{{ codegen.generate(ref('a')) }}{{ some_dbt_builtin(ref('b')) }}{{ dbt.current_timestamp() }}",
    );
    assert_eq!(r.output.clone().unwrap(), "");
    assert_eq!(refs(&r), vec!["a", "b"]);
    assert!(r.recording.missing_namespaces.contains("codegen"));
    assert!(r.recording.unknown_names.contains("some_dbt_builtin"));
}

#[test]
fn python_methods_work_and_mutators_do_not_fail() {
    let j = jinja(vec![], "");
    let r = render(
        &j,
        "{% set l = [] %}{% do l.append(ref('x')) %}{{ 'ABC'.lower() }}|{{ 'a,b'.split(',') | length }}|{{ {'k': 1}.items() | list | length }}",
    );
    assert_eq!(r.output.clone().unwrap(), "abc|2|1");
    assert_eq!(refs(&r), vec!["x"]);
}

#[test]
fn loops_build_refs_dynamically() {
    let j = jinja(vec![], "");
    let r = render(
        &j,
        "{% for m in ['a', 'b'] %}{{ ref('stg_' ~ m) }}{% if not loop.last %} union all {% endif %}{% endfor %}",
    );
    assert_eq!(refs(&r), vec!["stg_a", "stg_b"]);
}

#[test]
fn runaway_templates_stop() {
    let macros = macro_def(
        "acme",
        "{% macro forever(n) %}{{ forever(n + 1) }}{% endmacro %}",
    );
    let j = jinja(macros, "");
    let r = render(&j, "{{ forever(0) }}");
    assert!(r.output.is_err());
    let r = render(
        &j,
        "{% for i in range(100000) %}{% for k in range(100000) %}{% endfor %}{% endfor %}",
    );
    let err = r.output.unwrap_err();
    assert!(err.0.contains("fuel"), "{err:?}");
}

#[test]
fn render_errors_carry_the_line() {
    let j = jinja(vec![], "");
    let r = render(&j, "select 1\n{{ ref('a') }}\n{% if %}\n");
    let (message, line) = r.output.unwrap_err();
    assert_eq!(line, Some(3), "{message}");
}

/// A fuzzer's find: minijinja counts columns in 16 bits and panicked (in
/// debug builds; wrapped silently in release) on a syntax error past column
/// 65,535. Such a line is refused before minijinja sees it.
#[test]
fn a_line_past_column_65535_is_refused_not_lexed() {
    let j = jinja(vec![], "");
    let text = format!(
        "select * from {{{{ {}source('crm', 'contacts') }}}}\n",
        "source(' ".repeat(14_363)
    );
    let r = render(&j, &text);
    let (message, line) = r.output.unwrap_err();
    assert_eq!(line, Some(1));
    assert!(
        message.contains("longer than 65535 characters"),
        "{message}"
    );
    let fine = format!("select 1 -- {}\n{{{{ ref('a') }}}}", "x".repeat(1000));
    assert_eq!(refs(&render(&j, &fine)), vec!["a"]);
}

#[test]
fn bad_ref_arguments_are_recorded_not_fatal() {
    let j = jinja(vec![], "");
    let r = render(&j, "{{ ref(none) }}{{ ref('ok') }}");
    assert_eq!(refs(&r), vec!["ok"]);
    assert_eq!(r.recording.bad_calls.len(), 1);
}

#[test]
fn generic_test_blocks_become_macros() {
    let macros = macro_def(
        "acme",
        "{% test positive(model, column_name) %}select 1{% endtest %}",
    );
    assert_eq!(macros[0].name, "test_positive");
}

#[test]
fn run_started_at_and_datetime_arithmetic_render() {
    let j = jinja(vec![], "");
    let r = render(
        &j,
        "{% set y = var('year', (run_started_at - modules.datetime.timedelta(1)).strftime('%Y')) | int %}{{ y }}|{{ (modules.datetime.datetime(y, 1, 1) + modules.datetime.timedelta(days=31)).strftime('%Y-%m-01') }}|{{ run_started_at.strftime('%Y-%m-%d %H:%M:%S%z') }}",
    );
    assert_eq!(
        r.output.clone().unwrap(),
        "2024|2024-01-01|2024-01-01 00:00:00+0000"
    );
}

#[test]
fn empty_rendered_config_values_are_unset() {
    let j = jinja(vec![], "");
    let r = render(&j, "{{ config(database=env_var('DB'), schema='s') }}");
    assert!(r.recording.config.database.is_none());
    assert_eq!(r.recording.config.schema.as_ref().unwrap().value, "s");
}
