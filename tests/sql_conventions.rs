//! Plain SQL as the warehouse reads it: Jinja templates, one folder per
//! table, wildcard tables declared external.

mod common;

use common::{check_json, edges, findings, fixture, graph_json};

#[test]
fn folder_per_table_jinja_and_external_wildcards() {
    let dir = fixture("sql-conventions");
    let (code, doc) = check_json(&dir, &["--fail-on", "info"]);
    assert_eq!(findings(&doc), Vec::<String>::new());
    assert_eq!(code, 0);
    let mut e = edges(&graph_json(&dir));
    e.sort();
    assert_eq!(
        e,
        [
            // `{{ project }}.analytics.orders_daily` renders to a hole and
            // names no table; the literal name still reads.
            "dataset:shop.analytics.orders_daily -reads-> script:sql/shop/analytics/revenue/query.sql",
            "dataset:shop.landing.orders_* -reads-> script:sql/shop/raw/orders/query.sql",
            "dataset:shop.raw.orders -reads-> script:sql/shop/analytics/orders_daily/query.sql",
            // `writes = "{1}.{2}.{3}"`: the path names the table.
            "script:sql/shop/analytics/orders_daily/query.sql -writes-> dataset:shop.analytics.orders_daily",
            "script:sql/shop/analytics/revenue/query.sql -writes-> dataset:shop.analytics.revenue",
            "script:sql/shop/raw/orders/query.sql -writes-> dataset:shop.raw.orders",
        ]
    );
}
