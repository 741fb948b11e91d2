use super::prices::PriceTable;
use super::*;

fn table() -> PriceTable {
    PriceTable::parse(
        "cloud,service,sku,region,usd_per_hour,spot_usd_per_hour,source,read_on\n\
         aws,ec2,g5.xlarge,us-east-1,1.006,0.40,manual:x,2026-11-29\n\
         aws,sagemaker,ml.g5.xlarge,us-east-1,1.408,,manual:x,2026-11-29\n",
        "t.csv",
    )
    .unwrap()
}

fn ec2(n: Option<f64>) -> Usage {
    Usage::new("aws", "ec2", "g5.xlarge", "us-east-1", n)
}

#[test]
fn price_multiplies_by_quantity_and_names_what_runs() {
    let p = price(&[ec2(Some(3.0))], &table()).unwrap();
    assert!((p.per_hour - 3.018).abs() < 1e-9);
    assert_eq!(p.items, ["3 × g5.xlarge"]);
    assert!(p.complete());
    assert_eq!(price(&[], &table()), None);
}

#[test]
fn spot_uses_the_spot_rate_and_a_missing_spot_rate_is_unknown() {
    let p = price(&[ec2(Some(1.0)).spot(true)], &table()).unwrap();
    assert!((p.per_hour - 0.40).abs() < 1e-9);
    let sm = Usage::new("aws", "sagemaker", "ml.g5.xlarge", "us-east-1", Some(1.0)).spot(true);
    let p = price(&[sm], &table()).unwrap();
    assert_eq!(p.unknown, ["ml.g5.xlarge in us-east-1 (spot)"]);
}

#[test]
fn an_unknown_sku_or_region_is_price_unknown_never_a_guess() {
    let p = price(
        &[Usage::new(
            "aws",
            "ec2",
            "g5.xlarge",
            "eu-north-9",
            Some(1.0),
        )],
        &table(),
    )
    .unwrap();
    assert_eq!(p.per_hour, 0.0);
    assert!(!p.complete());
    let line = line(
        Action::Create,
        &ChangeCost {
            before: None,
            after: Some(p),
        },
    )
    .unwrap();
    assert_eq!(line, "cost: price unknown (g5.xlarge in eu-north-9)");
}

#[test]
fn lines_show_create_delta_destroy_and_pending_quantities() {
    let t = table();
    let one = price(&[ec2(Some(1.0))], &t);
    let two = price(&[ec2(Some(2.0))], &t);
    let create = ChangeCost {
        before: None,
        after: two.clone(),
    };
    assert_eq!(line(Action::Create, &create).unwrap(), "cost: $2.01/h");
    let up = ChangeCost {
        before: one.clone(),
        after: two.clone(),
    };
    assert_eq!(
        line(Action::Update, &up).unwrap(),
        "cost: $1.01/h → $2.01/h (+$1.01/h)"
    );
    let down = ChangeCost {
        before: two.clone(),
        after: one.clone(),
    };
    assert_eq!(
        line(Action::Update, &down).unwrap(),
        "cost: $2.01/h → $1.01/h (-$1.01/h)"
    );
    let gone = ChangeCost {
        before: one.clone(),
        after: None,
    };
    assert_eq!(
        line(Action::Delete, &gone).unwrap(),
        "cost: $1.01/h → $0.00/h (-$1.01/h)"
    );
    let replace = ChangeCost {
        before: one.clone(),
        after: one.clone(),
    };
    assert_eq!(
        line(Action::DeleteThenCreate, &replace).unwrap(),
        "cost: $1.01/h → $1.01/h (+$0.00/h)"
    );
    let later = ChangeCost {
        before: None,
        after: price(&[ec2(None)], &t),
    };
    assert_eq!(
        line(Action::Create, &later).unwrap(),
        "cost: known after apply"
    );
    assert_eq!(line(Action::NoOp, &replace), None);
}

#[test]
fn an_autoscaling_maximum_is_shown_as_a_ceiling() {
    let p = price(&[ec2(Some(1.0)).up_to(Some(4.0))], &table()).unwrap();
    assert_eq!(p.max_per_hour.map(|m| (m * 1000.0).round()), Some(4024.0));
    let l = line(
        Action::Create,
        &ChangeCost {
            before: None,
            after: Some(p),
        },
    )
    .unwrap();
    assert_eq!(l, "cost: $1.01/h, up to $4.02/h at the autoscaling maximum");
}

#[test]
fn money_groups_thousands_and_signs() {
    assert_eq!(money(0.0), "$0.00");
    assert_eq!(money(1234567.891), "$1,234,567.89");
    assert_eq!(money(-4.114), "-$4.11");
    assert_eq!(money(999.999), "$1,000.00");
}

#[test]
fn a_bad_price_file_names_its_line() {
    let e = PriceTable::parse("aws,ec2,x,us-east-1,abc,,s,d\n", "mine.csv").unwrap_err();
    assert!(e.starts_with("mine.csv:1:"), "{e}");
    let e = PriceTable::parse("# c\naws,ec2,x\n", "mine.csv").unwrap_err();
    assert!(e.starts_with("mine.csv:2: expected 8 columns"), "{e}");
}

#[test]
fn the_built_in_table_parses_with_a_source_and_date_on_every_row() {
    let t = prices::built_in();
    assert!(t.len() > 40, "{}", t.len());
    let row = t.get("aws", "ec2", "p4d.24xlarge", "us-east-1").unwrap();
    assert!(row.source.contains("https://"), "{row:?}");
    assert_eq!(row.read_on.len(), 10, "{row:?}");
}

#[test]
fn a_sensitive_sku_is_neither_named_nor_priced() {
    use gantry_core::value::Value;
    let v = Value::map(
        [(
            "instance_type".to_string(),
            Value::Sensitive(std::sync::Arc::new(Value::string("g5.xlarge"))),
        )]
        .into_iter()
        .collect(),
    );
    let mut usage = vec![ec2(Some(1.0))];
    redact_sensitive(&mut usage, &v);
    let p = price(&usage, &table()).unwrap();
    let l = line(
        Action::Create,
        &ChangeCost {
            before: None,
            after: Some(p.clone()),
        },
    )
    .unwrap();
    assert!(!l.contains("g5.xlarge") && l.contains("(sensitive)"), "{l}");
    assert!(
        p.items.iter().all(|i| !i.contains("g5.xlarge")),
        "{:?}",
        p.items
    );
    // A value without marks is left alone.
    let mut usage = vec![ec2(Some(1.0))];
    redact_sensitive(&mut usage, &Value::string("x"));
    assert_eq!(usage[0].sku, "g5.xlarge");
}
