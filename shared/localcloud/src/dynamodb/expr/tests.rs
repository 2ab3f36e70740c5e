//! Tests of the expression language: AWS's behaviour and messages as
//! recorded by Alternator's and dynalite's suites, and property tests.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::super::error::ErrorCode;
use super::super::value::{AttributeValue as V, Item, Number};
use super::reserved::RESERVED_WORDS;
use super::*;

fn n(text: &str) -> V {
    V::N(Number::parse(text).unwrap())
}

fn s(text: &str) -> V {
    V::S(text.into())
}

fn item(pairs: &[(&str, V)]) -> Item {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn names(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Parses and evaluates a condition on `it`.
fn cond_on(text: &str, vals: &[(&str, V)], it: Option<&Item>) -> DynamoResult<bool> {
    let (nm, vs) = (BTreeMap::new(), item(vals));
    let mut ctx = Context::new(&nm, &vs);
    parse_condition(text, &mut ctx)?.eval(it)
}

fn cond_error(text: &str, vals: &[(&str, V)]) -> String {
    let (nm, vs) = (names(&[("#a", "a")]), item(vals));
    let mut ctx = Context::new(&nm, &vs);
    let e = parse_condition(text, &mut ctx).unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationException);
    e.message
}

/// Applies an update to `it` (key attribute `id`).
fn update_on(text: &str, vals: &[(&str, V)], it: &mut Item) -> DynamoResult<()> {
    let (nm, vs) = (BTreeMap::new(), item(vals));
    let mut ctx = Context::new(&nm, &vs);
    parse_update(text, &mut ctx)?.apply(it, &["id"])
}

fn update_error(text: &str, vals: &[(&str, V)], it: &mut Item) -> String {
    update_on(text, vals, it).unwrap_err().message
}

#[test]
fn reserved_words_are_awss_list_sorted() {
    assert_eq!(RESERVED_WORDS.len(), 573);
    assert!(RESERVED_WORDS.windows(2).all(|w| w[0] < w[1]));
    assert!(reserved::is_reserved("status") && reserved::is_reserved("Name"));
    assert!(!reserved::is_reserved("remove") && !reserved::is_reserved("id"));
}

#[test]
fn comparisons_follow_dynamodb_types() {
    let it = item(&[
        ("a", n("5")),
        ("s", s("cat")),
        ("b", V::B(vec![0x80])),
        ("l", V::L(vec![])),
    ]);
    let t = |text: &str, v: V| cond_on(text, &[(":v", v)], Some(&it)).unwrap();
    assert!(t("a = :v", n("5.0")));
    assert!(t("a < :v", n("6")) && t("a <= :v", n("5")) && t("a >= :v", n("5")));
    assert!(!t("a > :v", n("5")));
    assert!(t("s < :v", s("dog")));
    // Binary compares unsigned: 0x80 > 0x7f.
    assert!(t("b > :v", V::B(vec![0x7f])));
    // Different types: = false, <> true, ordering false.
    assert!(!t("a = :v", s("5")) && t("a <> :v", s("5")) && !t("a < :v", s("9")));
    assert!(!t("l < :v", n("3")));
    // Missing attributes: = false, <> true (even two missing), ordering false.
    assert!(!t("z = :v", n("1")) && t("z <> :v", n("1")) && !t("z < :v", n("1")));
    assert!(cond_on("q <> z", &[], Some(&it)).unwrap());
    // No item at all.
    assert!(!cond_on("a = :v", &[(":v", n("5"))], None).unwrap());
    assert!(cond_on("attribute_not_exists(a)", &[], None).unwrap());
}

#[test]
fn between_in_and_precedence() {
    let it = item(&[("a", n("5")), ("b", s("x"))]);
    let vals = [
        (":lo", n("1")),
        (":hi", n("9")),
        (":x", s("x")),
        (":y", n("5")),
    ];
    let t = |text: &str| cond_on(text, &vals, Some(&it)).unwrap();
    assert!(t("a BETWEEN :lo AND :hi") && t("a between :lo and :hi"));
    assert!(!t("b BETWEEN :lo AND :hi"));
    assert!(t("a IN (:x, :y)") && !t("b IN (:lo, :hi)"));
    // NOT > AND > OR.
    assert!(t("a = :lo OR a = :y AND b = :x"));
    assert!(!t("(a = :lo OR a = :y) AND b = :lo"));
    assert!(t("NOT a = :lo AND b = :x"));
    assert!(!t("NOT (a = :y AND b = :x)"));
    assert!(t("b = :x AND a BETWEEN :lo AND :hi AND a < :hi"));
    assert_eq!(
        cond_error("a IN ()", &[]),
        "Invalid ConditionExpression: Syntax error; token: \")\", near: \"()\""
    );
    let many: Vec<String> = (0..100).map(|i| format!(":v{i}")).collect();
    let vals: Vec<(String, V)> = many.iter().map(|k| (k.clone(), n("1"))).collect();
    let vals: Vec<(&str, V)> = vals.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    assert!(
        cond_on(
            &format!("a IN ({})", many[..99].join(",")),
            &vals[..99],
            Some(&it)
        )
        .is_ok()
    );
    assert!(
        cond_error(&format!("a IN ({})", many.join(",")), &vals)
            .ends_with("operator or function: IN, number of operands: 101")
    );
}

#[test]
fn functions() {
    let it = item(&[
        ("s", s("hello")),
        ("b", V::B(b"hi there".to_vec())),
        ("ss", V::Ss(vec!["x".into(), "y".into()])),
        ("ns", V::Ns(vec![Number::from_i64(2), Number::from_i64(4)])),
        ("l", V::L(vec![n("4"), s("dog")])),
        ("m", V::M(item(&[("k", n("1"))]))),
        ("num", n("7")),
    ]);
    let t = |text: &str, v: V| cond_on(text, &[(":v", v)], Some(&it)).unwrap();
    assert!(t(
        "attribute_exists(m.k) AND attribute_not_exists(m.z) OR :v = :v",
        n("0")
    ));
    assert!(t("attribute_type(ss, :v)", s("SS")) && !t("attribute_type(s, :v)", s("N")));
    assert!(t("begins_with(s, :v)", s("hell")) && !t("begins_with(s, :v)", s("dog")));
    assert!(t("begins_with(b, :v)", V::B(b"hi".to_vec())));
    assert!(!t("begins_with(num, :v)", s("7")));
    assert!(t("contains(s, :v)", s("ell")) && t("contains(ss, :v)", s("y")));
    assert!(t("contains(ns, :v)", n("4")) && t("contains(l, :v)", s("dog")));
    assert!(t("contains(b, :v)", V::B(b"there".to_vec())) && !t("contains(ss, :v)", n("1")));
    assert!(t("size(s) = :v", n("5")) && t("size(l) = :v", n("2")) && t("size(m) = :v", n("1")));
    assert!(t("size(b) > :v", n("7")) && t("size(ss) < :v", n("3")));
    assert!(!t("size(num) = :v", n("1")) && !t("size(zz) = :v", n("0")));
    assert!(t("size(:v) = size(s)", s("abcde")));
}

#[test]
fn condition_errors_are_awss() {
    let e = |text: &str| cond_error(text, &[(":v", n("1")), (":s", s("x"))]);
    assert_eq!(
        e("a"),
        "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"a\""
    );
    assert!(e("NOT a").contains("Syntax error"));
    assert_eq!(
        e("a != :v"),
        "Invalid ConditionExpression: Syntax error; token: \"!\", near: \"a !=\""
    );
    assert_eq!(
        e(""),
        "Invalid ConditionExpression: The expression can not be empty;"
    );
    assert_eq!(
        e("((a = :v))"),
        "Invalid ConditionExpression: The expression has redundant parentheses;"
    );
    assert!(cond_on("((a = :v) AND (a <> :v))", &[(":v", n("1"))], None).is_ok());
    assert!(
        cond_on(
            "(a)between(:v)and(:w)",
            &[(":v", n("1")), (":w", n("2"))],
            None
        )
        .is_ok()
    );
    assert_eq!(
        e("dog(a) = :v"),
        "Invalid ConditionExpression: Invalid function name; function: dog"
    );
    assert_eq!(
        e("size(a)"),
        "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size"
    );
    assert_eq!(
        e("attribute_exists(a) < :v"),
        "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"
    );
    assert_eq!(
        e("if_not_exists(a, :v) = :v"),
        "Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists"
    );
    assert_eq!(
        e("attribute_exists(:v)"),
        "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists"
    );
    assert_eq!(
        e("size(a, a) = :v"),
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: size, number of operands: 2"
    );
    assert_eq!(
        e("size(:v) = :v"),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N"
    );
    assert_eq!(
        e("begins_with(a, :v)"),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
    );
    assert!(e("attribute_type(a, :s)").starts_with(
        "Invalid ConditionExpression: Invalid attribute type name found; type: x, valid types: {"
    ));
    assert_eq!(
        e("a = #a"),
        "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"
    );
    assert_eq!(
        e("status = :v"),
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"
    );
    assert_eq!(
        e("#n = :v"),
        "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #n"
    );
    assert_eq!(
        e("a = :w"),
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :w"
    );
    assert!(e(":v BETWEEN :s AND :v").contains("requires same data type"));
    let (nm, vs) = (BTreeMap::new(), item(&[(":a", n("9")), (":b", n("1"))]));
    let err = parse_filter("x BETWEEN :a AND :b", &mut Context::new(&nm, &vs)).unwrap_err();
    assert_eq!(
        err.message,
        "Invalid FilterExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:9}, upper bound operand: AttributeValue: {N:1}"
    );
}

#[test]
fn limits_refuse_cleanly() {
    let e = |text: &str| cond_error(text, &[]);
    let long = format!("a{} = b", " ".repeat(4096));
    assert_eq!(
        e(&long),
        format!(
            "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: {}",
            long.len()
        )
    );
    assert!(e(&"(".repeat(4000)).starts_with("Invalid ConditionExpression:"));
    assert!(e(&format!("{}a<b", "not ".repeat(1000))).starts_with("Invalid ConditionExpression:"));
    let deep = format!("a<b {}{}", "or (a<b ".repeat(454), ")".repeat(454));
    assert!(e(&deep).contains("too many operators; operator count: 301"));
    let ok = format!("a<b {}{}", "or (a<b ".repeat(149), ")".repeat(149));
    assert!(cond_on(&ok, &[], None).is_ok());
    let path = format!("a{} = b", ".b".repeat(32));
    assert!(
        e(&path).ends_with("The document path has too many nesting levels; nesting levels: 33")
    );
    assert!(e("a[99999999999999] = b").contains("List index is not within the allowable range"));
}

#[test]
fn context_reports_unused_names_and_values() {
    let nm = names(&[("#a", "a"), ("#b", "b")]);
    let vs = item(&[(":v", n("1")), (":w", n("2"))]);
    let mut ctx = Context::new(&nm, &vs);
    parse_condition("#a = :v", &mut ctx).unwrap();
    assert_eq!(
        ctx.check_all_used().unwrap_err().message,
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"
    );
    parse_projection("#b", &mut ctx).unwrap();
    assert_eq!(
        ctx.check_all_used().unwrap_err().message,
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"
    );
    parse_update("SET x = :w", &mut ctx).unwrap();
    ctx.check_all_used().unwrap();
}

#[test]
fn set_reads_the_old_item() {
    let mut it = item(&[("id", s("k")), ("a", n("2")), ("l", V::L(vec![n("1")]))]);
    update_on(
        "SET b = a + :n, c = :n - a, d = if_not_exists(d, :z), e = if_not_exists(a, :z), l = list_append(l, :l)",
        &[(":n", n("3")), (":z", n("0")), (":l", V::L(vec![n("9")]))],
        &mut it,
    )
    .unwrap();
    assert_eq!(it["b"], n("5"));
    assert_eq!(it["c"], n("1"));
    assert_eq!(it["d"], n("0"));
    assert_eq!(it["e"], n("2"));
    assert_eq!(it["l"], V::L(vec![n("1"), n("9")]));
    // REMOVE a SET b = a copies the old a.
    update_on("REMOVE a SET f = a", &[], &mut it).unwrap();
    assert_eq!(it.get("a"), None);
    assert_eq!(it["f"], n("2"));
    // Nested paths and list appends past the end, in index order.
    let mut it = item(&[
        ("id", s("k")),
        ("m", V::M(item(&[("x", V::L(vec![n("0")]))]))),
    ]);
    update_on(
        "SET m.x[9] = :b, m.x[5] = :a, m.y = :a",
        &[(":a", s("a")), (":b", s("b"))],
        &mut it,
    )
    .unwrap();
    assert_eq!(
        it["m"],
        V::M(item(&[
            ("x", V::L(vec![n("0"), s("a"), s("b")])),
            ("y", s("a"))
        ]))
    );
}

#[test]
fn remove_add_delete() {
    let mut it = item(&[
        ("id", s("k")),
        ("l", V::L(vec![n("2"), n("3"), n("4"), n("5")])),
        ("ss", V::Ss(vec!["a".into(), "b".into()])),
        ("n", n("1")),
    ]);
    // Indexes mean what they meant before the update.
    update_on("REMOVE l[1] SET l[3] = :x", &[(":x", n("9"))], &mut it).unwrap();
    assert_eq!(it["l"], V::L(vec![n("2"), n("4"), n("9")]));
    update_on("REMOVE l[7], zz", &[], &mut it).unwrap();
    update_on(
        "ADD n :one, fresh :one, ss :more",
        &[
            (":one", n("1")),
            (":more", V::Ss(vec!["c".into(), "a".into()])),
        ],
        &mut it,
    )
    .unwrap();
    assert_eq!(it["n"], n("2"));
    assert_eq!(it["fresh"], n("1"));
    assert_eq!(it["ss"], V::Ss(vec!["a".into(), "b".into(), "c".into()]));
    update_on("DELETE ss :d", &[(":d", V::Ss(vec!["a".into()]))], &mut it).unwrap();
    assert_eq!(it["ss"], V::Ss(vec!["b".into(), "c".into()]));
    update_on(
        "DELETE ss :d, nothing :d",
        &[(":d", V::Ss(vec!["b".into(), "c".into()]))],
        &mut it,
    )
    .unwrap();
    assert_eq!(it.get("ss"), None);
}

#[test]
fn update_errors_are_awss() {
    let mut it = item(&[
        ("id", s("k")),
        ("str", s("x")),
        ("ss", V::Ss(vec!["a".into()])),
    ]);
    let mut e = |text: &str, vals: &[(&str, V)]| update_error(text, vals, &mut it);
    assert_eq!(
        e("ADD str :v", &[(":v", s("x"))]),
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING"
    );
    assert_eq!(
        e("DELETE ss :v", &[(":v", n("1"))]),
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"
    );
    assert_eq!(
        e("ADD str :v", &[(":v", n("1"))]),
        "An operand in the update expression has an incorrect data type"
    );
    assert_eq!(
        e("SET b = a + :n", &[(":n", n("1"))]),
        "The provided expression refers to an attribute that does not exist in the item"
    );
    assert_eq!(
        e("SET b = :s + :n", &[(":n", n("1")), (":s", s("x"))]),
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"
    );
    assert_eq!(
        e("SET b = str - :n", &[(":n", n("1"))]),
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: -, operand type: S"
    );
    assert_eq!(
        e("SET b = list_append(:s, str)", &[(":s", s("x"))]),
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S"
    );
    assert_eq!(
        e("SET a = :v, a.b = :v", &[(":v", n("1"))]),
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
    );
    assert!(
        e("SET a.b = :v, a[1] = :v", &[(":v", n("1"))]).contains("Two document paths conflict")
    );
    assert_eq!(
        e("SET status = :v", &[(":v", n("1"))]),
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status"
    );
    assert_eq!(
        e("SET a = :v SET b = :v", &[(":v", n("1"))]),
        "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;"
    );
    assert_eq!(
        e("SET _123 = :v", &[(":v", n("1"))]),
        "Invalid UpdateExpression: Syntax error; token: \"_\", near: \"SET _123\""
    );
    assert!(e("SET b = :v + :v + :v", &[(":v", n("1"))]).contains("Syntax error"));
    assert!(e("SET b = if_not_exists(b, :v + :v)", &[(":v", n("1"))]).contains("Syntax error"));
    assert_eq!(
        e("SET b = f(:v)", &[(":v", n("1"))]),
        "Invalid UpdateExpression: Invalid function name; function: f"
    );
    assert_eq!(
        e("SET b = if_not_exists(:v, :v)", &[(":v", n("1"))]),
        "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists"
    );
    assert_eq!(
        e("SET b = list_append(:v)", &[(":v", V::L(vec![]))]),
        "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1"
    );
    assert_eq!(
        e("SET id = :v", &[(":v", n("1"))]),
        "One or more parameter values were invalid: Cannot update attribute id. This attribute is part of the key"
    );
    assert_eq!(
        e("SET str.c = :v", &[(":v", n("1"))]),
        "The document path provided in the update expression is invalid for update"
    );
    assert!(e("HELLO b = :v", &[(":v", n("1"))]).contains("Syntax error"));
    assert_eq!(
        e("SET a = :v", &[]),
        "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :v"
    );
}

#[test]
fn number_overflow_in_add_propagates() {
    let mut it = item(&[("n", n("9e125"))]);
    let e = update_error("ADD n :v", &[(":v", n("1e125"))], &mut it);
    assert!(e.starts_with("Number overflow"), "{e}");
}

#[test]
fn updated_attributes_lists_top_level_names_once() {
    let (nm, vs) = (
        BTreeMap::new(),
        item(&[(":v", n("1")), (":s", V::Ns(vec![Number::from_i64(1)]))]),
    );
    let u = parse_update(
        "SET a.b = :v, c = :v REMOVE d, a.x ADD e :v DELETE f :s",
        &mut Context::new(&nm, &vs),
    )
    .unwrap();
    assert_eq!(u.updated_attributes(), vec!["a", "c", "d", "e", "f"]);
}

#[test]
fn projections() {
    let it = item(&[
        (
            "a",
            V::M(item(&[
                ("b", n("1")),
                ("c", n("2")),
                ("d", V::L(vec![n("7"), n("8"), n("9")])),
            ])),
        ),
        ("x", s("y")),
        ("id", s("k")),
    ]);
    let (nm, vs) = (names(&[("#n", "x")]), BTreeMap::new());
    let p = |text: &str| parse_projection(text, &mut Context::new(&nm, &vs));
    assert_eq!(
        p("a.b, a.d[2], a.d[0], #n, absent, a.zz")
            .unwrap()
            .apply(&it),
        item(&[
            (
                "a",
                V::M(item(&[("b", n("1")), ("d", V::L(vec![n("7"), n("9")]))]))
            ),
            ("x", s("y")),
        ])
    );
    assert_eq!(p("a.d[5]").unwrap().apply(&it), Item::new());
    assert!(p("a, a.b").unwrap_err().message.contains("overlap"));
    assert!(p("a.b, a[1]").unwrap_err().message.contains("conflict"));
    assert_eq!(
        p("id, name").unwrap_err().message,
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name"
    );
    assert!(p("a,").unwrap_err().message.contains("Syntax error"));
    assert!(p("a[-1]").unwrap_err().message.contains("Syntax error"));
    assert!(p("a[]").unwrap_err().message.contains("Syntax error"));
}

#[test]
fn key_conditions() {
    let vals = item(&[
        (":p", s("p1")),
        (":c", n("3")),
        (":d", n("7")),
        (":s", s("ab")),
    ]);
    let nm = names(&[("#k", "pk")]);
    let k = |text: &str, sort: Option<&str>| {
        let mut ctx = Context::new(&nm, &vals);
        parse_key_condition(text, &mut ctx, "pk", sort)
    };
    let kc = k("#k = :p AND sk BETWEEN :c AND :d", Some("sk")).unwrap();
    assert_eq!(kc.partition, ("pk".into(), s("p1")));
    assert_eq!(kc.sort, Some(SortCondition::Between(n("3"), n("7"))));
    let kc = k("(:c < sk) AND (pk = :p)", Some("sk")).unwrap();
    assert_eq!(kc.sort, Some(SortCondition::Gt(n("3"))));
    assert!(k("pk = :p AND begins_with(sk, :s)", Some("sk")).is_ok());
    assert!(k("pk = :p", None).unwrap().sort.is_none());
    let e = |text: &str, sort: Option<&str>| k(text, sort).unwrap_err().message;
    assert_eq!(
        e("sk = :c", Some("sk")),
        "Query condition missed key schema element: pk"
    );
    assert_eq!(
        e("pk = :p AND x = :c", Some("sk")),
        "Query condition missed key schema element: sk"
    );
    assert_eq!(
        e("pk < :p", Some("sk")),
        "Query key condition not supported"
    );
    assert_eq!(
        e("pk = :p AND pk = :p", Some("sk")),
        "KeyConditionExpressions must only contain one condition per key"
    );
    assert_eq!(
        e("pk = :p OR sk = :c", Some("sk")),
        "Invalid operator used in KeyConditionExpression: OR"
    );
    assert_eq!(
        e("pk = :p AND sk <> :c", Some("sk")),
        "Invalid operator used in KeyConditionExpression: <>"
    );
    assert_eq!(
        e("pk = :p AND attribute_exists(sk)", Some("sk")),
        "Invalid operator used in KeyConditionExpression: attribute_exists"
    );
    assert_eq!(
        e("pk = :p AND begins_with(sk, :c)", Some("sk")),
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
    );
    assert_eq!(
        e("pk = :p AND sk.x = :c", Some("sk")),
        "KeyConditionExpressions cannot have conditions on nested attributes"
    );
    assert!(
        e("pk = :p AND sk != :c", Some("sk"))
            .starts_with("Invalid KeyConditionExpression: Syntax error")
    );
    assert_eq!(
        e("", Some("sk")),
        "Invalid KeyConditionExpression: The expression can not be empty;"
    );
    // Sort conditions.
    assert!(SortCondition::BeginsWith(s("ab")).matches(&s("abc")));
    assert!(!SortCondition::BeginsWith(s("ab")).matches(&n("1")));
    assert!(
        SortCondition::Le(n("3")).matches(&n("3")) && !SortCondition::Lt(n("3")).matches(&n("3"))
    );
    assert!(SortCondition::Ge(V::B(vec![0x80])).matches(&V::B(vec![0xff])));
    assert!(!SortCondition::Gt(s("a")).matches(&n("5")));
}

// ---- property tests ------------------------------------------------------

/// A condition over attributes `a0`..`a3` and values `:v0`..`:v3`, with a
/// reference evaluation written independently of the parser.
#[derive(Clone, Debug)]
enum Spec {
    Cmp(usize, &'static str, usize),
    Between(usize, usize, usize),
    In(usize, Vec<usize>),
    Exists(usize),
    NotExists(usize),
    BeginsWith(usize, usize),
    Contains(usize, usize),
    And(Box<Spec>, Box<Spec>),
    Or(Box<Spec>, Box<Spec>),
    Not(Box<Spec>),
}

const OPS: [&str; 6] = ["=", "<>", "<", "<=", ">", ">="];

fn spec() -> impl Strategy<Value = Spec> {
    let leaf = prop_oneof![
        (0..4usize, prop::sample::select(OPS.to_vec()), 0..4usize)
            .prop_map(|(a, o, v)| Spec::Cmp(a, o, v)),
        (0..4usize, 0..4usize, 0..4usize).prop_map(|(a, l, h)| Spec::Between(a, l, h)),
        (0..4usize, prop::collection::vec(0..4usize, 1..4)).prop_map(|(a, l)| Spec::In(a, l)),
        (0..4usize).prop_map(Spec::Exists),
        (0..4usize).prop_map(Spec::NotExists),
        (0..4usize, 0..4usize).prop_map(|(a, v)| Spec::BeginsWith(a, v)),
        (0..4usize, 0..4usize).prop_map(|(a, v)| Spec::Contains(a, v)),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Spec::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Spec::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Spec::Not(Box::new(a))),
        ]
    })
}

fn precedence(spec: &Spec) -> u8 {
    match spec {
        Spec::Or(..) => 1,
        Spec::And(..) => 2,
        Spec::Not(..) => 3,
        _ => 4,
    }
}

/// Prints with only the parentheses precedence needs.
fn print(spec: &Spec) -> String {
    let wrap = |child: &Spec, min: u8| {
        if precedence(child) < min {
            format!("({})", print(child))
        } else {
            print(child)
        }
    };
    match spec {
        Spec::Cmp(a, op, v) => format!("a{a} {op} :v{v}"),
        Spec::Between(a, l, h) => format!("a{a} BETWEEN :v{l} AND :v{h}"),
        Spec::In(a, l) => format!(
            "a{a} IN ({})",
            l.iter()
                .map(|v| format!(":v{v}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Spec::Exists(a) => format!("attribute_exists(a{a})"),
        Spec::NotExists(a) => format!("attribute_not_exists(a{a})"),
        Spec::BeginsWith(a, v) => format!("begins_with(a{a}, :v{v})"),
        Spec::Contains(a, v) => format!("contains(a{a}, :v{v})"),
        // AND and OR associate, so the right side may print unwrapped only
        // when it binds tighter.
        Spec::And(x, y) => format!("{} AND {}", wrap(x, 2), wrap(y, 3)),
        Spec::Or(x, y) => format!("{} OR {}", wrap(x, 1), wrap(y, 2)),
        Spec::Not(x) => format!("NOT {}", wrap(x, 3)),
    }
}

fn reference_order(a: &V, b: &V) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (V::S(x), V::S(y)) => Some(x.cmp(y)),
        (V::N(x), V::N(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn reference(spec: &Spec, it: &Item, vals: &[V]) -> bool {
    let attr = |a: &usize| it.get(&format!("a{a}"));
    match spec {
        Spec::Cmp(a, op, v) => {
            let (x, y) = (attr(a), &vals[*v]);
            match (*op, x) {
                ("=", x) => x == Some(y),
                ("<>", x) => x != Some(y),
                (_, None) => false,
                (op, Some(x)) => reference_order(x, y).is_some_and(|o| match op {
                    "<" => o.is_lt(),
                    "<=" => o.is_le(),
                    ">" => o.is_gt(),
                    _ => o.is_ge(),
                }),
            }
        }
        Spec::Between(a, l, h) => attr(a).is_some_and(|x| {
            reference_order(x, &vals[*l]).is_some_and(|o| o.is_ge())
                && reference_order(x, &vals[*h]).is_some_and(|o| o.is_le())
        }),
        Spec::In(a, l) => attr(a).is_some_and(|x| l.iter().any(|v| &vals[*v] == x)),
        Spec::Exists(a) => attr(a).is_some(),
        Spec::NotExists(a) => attr(a).is_none(),
        Spec::BeginsWith(a, v) => match (attr(a), &vals[*v]) {
            (Some(V::S(x)), V::S(p)) => x.starts_with(p.as_str()),
            _ => false,
        },
        Spec::Contains(a, v) => match (attr(a), &vals[*v]) {
            (Some(V::S(x)), V::S(p)) => x.contains(p.as_str()),
            (Some(V::Ss(x)), V::S(p)) => x.contains(p),
            (Some(V::L(x)), p) => x.contains(p),
            _ => false,
        },
        Spec::And(x, y) => reference(x, it, vals) && reference(y, it, vals),
        Spec::Or(x, y) => reference(x, it, vals) || reference(y, it, vals),
        Spec::Not(x) => !reference(x, it, vals),
    }
}

fn scalar() -> impl Strategy<Value = V> {
    prop_oneof![
        "[ab]{0,3}".prop_map(V::S),
        (-3i64..4).prop_map(|i| V::N(Number::from_i64(i))),
        any::<bool>().prop_map(V::Bool),
    ]
}

fn value() -> impl Strategy<Value = V> {
    prop_oneof![
        4 => scalar(),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(V::L),
        1 => prop::collection::btree_set("[ab]{1,2}", 1..3).prop_map(|s| V::Ss(s.into_iter().collect())),
    ]
}

fn attrs() -> impl Strategy<Value = Item> {
    prop::collection::btree_map((0..4usize).prop_map(|i| format!("a{i}")), value(), 0..4)
}

fn value_map(vals: &[V]) -> BTreeMap<String, V> {
    vals.iter()
        .enumerate()
        .map(|(i, v)| (format!(":v{i}"), v.clone()))
        .collect()
}

/// Whether the printed condition uses constant BETWEEN bounds AWS refuses
/// (different types, or reversed): such specs are skipped.
fn refused_bounds(spec: &Spec, vals: &[V]) -> bool {
    match spec {
        Spec::Between(_, l, h) => {
            let (l, h) = (&vals[*l], &vals[*h]);
            l.type_name() != h.type_name() || condition::compare(l, h).is_some_and(|o| o.is_gt())
        }
        Spec::And(x, y) | Spec::Or(x, y) => refused_bounds(x, vals) || refused_bounds(y, vals),
        Spec::Not(x) => refused_bounds(x, vals),
        _ => false,
    }
}

fn refused_begins_with(spec: &Spec, vals: &[V]) -> bool {
    match spec {
        Spec::BeginsWith(_, v) => !matches!(vals[*v], V::S(_) | V::B(_)),
        Spec::And(x, y) | Spec::Or(x, y) => {
            refused_begins_with(x, vals) || refused_begins_with(y, vals)
        }
        Spec::Not(x) => refused_begins_with(x, vals),
        _ => false,
    }
}

proptest! {
    /// (1) A random condition printed and parsed back evaluates like the
    /// reference, and (2) NOT c is the negation of c.
    #[test]
    fn printed_conditions_evaluate_like_the_reference(
        spec in spec(),
        vals in prop::collection::vec(value(), 4),
        it in attrs(),
    ) {
        let text = print(&spec);
        let (nm, vs) = (BTreeMap::new(), value_map(&vals));
        let mut ctx = Context::new(&nm, &vs);
        let parsed = parse_condition(&text, &mut ctx);
        if refused_bounds(&spec, &vals) || refused_begins_with(&spec, &vals) {
            // Constants AWS refuses before reading the item.
            let e = parsed.unwrap_err();
            prop_assert!(e.message.contains("BETWEEN") || e.message.contains("begins_with"), "{}", e.message);
            return Ok(());
        }
        let parsed = parsed.map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let got = parsed.eval(Some(&it)).unwrap();
        prop_assert_eq!(got, reference(&spec, &it, &vals), "{}", text);
        let negated = parse_condition(&format!("NOT ({text})"), &mut ctx).unwrap();
        prop_assert_eq!(negated.eval(Some(&it)).unwrap(), !got);
    }

    /// (3) `a BETWEEN x AND y` is `a >= x AND a <= y`.
    #[test]
    fn between_is_two_comparisons(a in value(), x in scalar(), y in scalar()) {
        let it = item(&[("a", a)]);
        let vals = [(":x", x), (":y", y)];
        let between = cond_on("a BETWEEN :x AND :y", &vals, Some(&it));
        let both = cond_on("a >= :x AND a <= :y", &vals, Some(&it)).unwrap();
        match between {
            Ok(b) => prop_assert_eq!(b, both),
            // Refused constant bounds: different types or reversed.
            Err(e) => prop_assert!(e.message.contains("BETWEEN operator requires")),
        }
    }

    /// (4) SET then a projection of the same path reads the value back.
    #[test]
    fn set_then_project_reads_back(name in "[a-z][a-z0-9_]{0,8}", nested in any::<bool>(), v in value()) {
        // The key attribute may not be set.
        prop_assume!(nested || name != "id");
        let nm = names(&[("#p", &name)]);
        let vs = item(&[(":v", v.clone())]);
        let mut it = item(&[("id", s("k")), ("m", V::M(Item::new()))]);
        let path = if nested { "m.#p" } else { "#p" };
        let mut ctx = Context::new(&nm, &vs);
        parse_update(&format!("SET {path} = :v"), &mut ctx).unwrap().apply(&mut it, &["id"]).unwrap();
        let got = parse_projection(path, &mut ctx).unwrap().apply(&it);
        let expected = if nested {
            item(&[("m", V::M(item(&[(name.as_str(), v)])))])
        } else {
            item(&[(name.as_str(), v)])
        };
        prop_assert_eq!(got, expected);
    }

    /// (5) ADD on numbers agrees with Number::add (errors included).
    #[test]
    fn add_agrees_with_number_add(a in -1_000_000i64..1_000_000, ea in -5i32..5, b in -1_000_000i64..1_000_000, eb in -5i32..5) {
        let (x, y) = (Number::parse(&format!("{a}e{ea}")).unwrap(), Number::parse(&format!("{b}e{eb}")).unwrap());
        let mut it = item(&[("n", V::N(x.clone()))]);
        let result = update_on("ADD n :y", &[(":y", V::N(y.clone()))], &mut it);
        match x.add(&y) {
            Ok(sum) => { result.unwrap(); prop_assert_eq!(&it["n"], &V::N(sum)); }
            Err(e) => prop_assert_eq!(result.unwrap_err().message, e.message),
        }
    }

    /// (6) No parser panics on arbitrary text: Ok or a ValidationException.
    #[test]
    fn parsers_never_panic(text in "[a-c#:()\\[\\]0-9 ,.=<>+_-]{0,40}|(AND|OR|NOT|SET|REMOVE|ADD|DELETE|BETWEEN|IN|size|contains|[(),.=<> ]|:v|#n|a|b\\[1\\]){0,30}|\\PC{0,30}") {
        let nm = names(&[("#n", "x")]);
        let vs = item(&[(":v", n("1"))]);
        let mut ctx = Context::new(&nm, &vs);
        let results = [
            parse_condition(&text, &mut ctx).map(|c| { let _ = c.eval(None); }),
            parse_update(&text, &mut ctx).map(|u| { let _ = u.apply(&mut Item::new(), &["id"]); }),
            parse_projection(&text, &mut ctx).map(|p| { p.apply(&Item::new()); }),
            parse_key_condition(&text, &mut ctx, "a", Some("b")).map(|_| ()),
        ];
        for r in results {
            if let Err(e) = r {
                prop_assert_eq!(e.code, ErrorCode::ValidationException);
            }
        }
    }
}
